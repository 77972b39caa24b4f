"""Interim results: provisional text of the utterance in progress, stabilised by local
agreement, never a final's text (typed only with --live: test_live_typing)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from conftest import SAMPLE, dictation_cmd
from faultserver import FaultServer, Reply, Request, json_text

from dictation.cli.build import build_config, resolve_args
from dictation.cli.options import INTERIM_S
from dictation.segment.interim import agreed_prefix

# --- local agreement (pure) ----------------------------------------------------------------


def test_agreed_prefix_is_the_common_word_prefix_in_the_newer_spelling() -> None:
    assert agreed_prefix("", "Dictation turns") == ""
    assert agreed_prefix("dictation her.", "Dictation turns your speed.") == "Dictation"
    assert agreed_prefix("Dictation turns your speed.",
                         "dictation turns your speech into text") == "dictation turns your"
    # Case and punctuation do not count; the newer interim's words are emitted.
    assert agreed_prefix("speak naturally pause", "Speak naturally, pause for") == \
        "Speak naturally, pause"


def test_agreed_prefix_stops_at_the_first_difference() -> None:
    assert agreed_prefix("turn left here", "turn right here") == "turn"
    assert agreed_prefix("a b c", "x b c") == ""
    assert agreed_prefix("one two three", "one two") == "one two"
    assert agreed_prefix("one two", "one two three") == "one two"
    assert agreed_prefix("It's fine.", "its fine") == "its fine"  # apostrophes too


def test_agreed_prefix_keeps_words_made_of_punctuation_apart() -> None:
    assert agreed_prefix("wait - then", "wait ... then") == "wait"
    assert agreed_prefix("wait - then", "wait - then go") == "wait - then"


# --- defaults --------------------------------------------------------------------------------


@pytest.mark.parametrize(("argv", "expected"), [
    (["run", "--engine", "local"], INTERIM_S),
    (["run", "--engine", "local", "--input", str(SAMPLE), "--fast"], 0.0),
    # A server keeps decoding an interim the client dropped, delaying finals: off for every
    # API, on this machine too (bench/interim.md); billed per request elsewhere.
    (["run", "--base-url", "http://127.0.0.1:8000/v1"], 0.0),
    (["run", "--base-url", "https://api.example.com/v1"], 0.0),
    (["run", "--base-url", "http://127.0.0.1:8000/v1", "--interim", "0.7"], 0.7),
    (["run", "--base-url", "https://api.example.com/v1", "--interim", "1"], 1.0),
    (["run", "--engine", "local", "--interim", "0"], 0.0),
])
def test_interim_is_on_for_the_local_engine_only_by_default(argv: list[str],
                                                            expected: float) -> None:
    cfg = build_config(resolve_args(argv, {"OPENAI_API_KEY": "sk-test"}).args)
    assert cfg.interim_s == expected


@pytest.mark.parametrize("value", ["-1", "0.1", "11", "soon"])
def test_bad_interim_is_a_usage_error(value: str) -> None:
    p = subprocess.run(dictation_cmd("run", "--engine", "local", "--interim", value),
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "argument --interim:" in p.stderr.strip().splitlines()[-1], p.stderr


# --- end to end --------------------------------------------------------------------------------

INTERIM_LINE = re.compile(r"debug: interim (\d+): ([\d.]+)-([\d.]+) s: '(.*)' \(stable '(.*)'\)$")
QUEUED_LINE = re.compile(r"debug: utterance (\d+): [\d.]+-[\d.]+ s, ended by")
TOTALS = re.compile(r"(\d+) utterances, (\d+) transcriptions \(.*, (\d+) interim\)")
SPECULATIVE = re.compile(r"\((\d+) speculative used, (\d+) discarded, \d+ interim\)")


def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items()
             if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL")}
    return {**clean, "HF_HUB_OFFLINE": "1", "XDG_STATE_HOME": str(tmp_path / "state")}


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    # --input FILE without --fast is read at real time, as a microphone would deliver it.
    # --log-text: the interim lines show their text, which the checks read.
    p = subprocess.run(dictation_cmd("run", "--input", str(SAMPLE), "-v", "--log-text", *args),
                       capture_output=True, text=True, env=env(tmp_path), timeout=180)
    assert p.returncode == 0, p.stderr
    return p


def interims(stderr: str) -> list[tuple[int, str, str]]:
    return [(int(m[1]), m[4], m[5]) for line in stderr.splitlines()
            if (m := INTERIM_LINE.search(line))]


def check_order(stderr: str) -> set[int]:
    """Each interim comes before its utterance is queued, never after; returns the utterances
    that had one."""
    queued: set[int] = set()
    seen: set[int] = set()
    for line in stderr.splitlines():
        if m := INTERIM_LINE.search(line):
            assert int(m[1]) not in queued, f"interim after its final was queued: {line}"
            seen.add(int(m[1]))
        elif m := QUEUED_LINE.search(line):
            queued.add(int(m[1]))
    return seen


@pytest.mark.real
@pytest.mark.realtime
def test_local_interims_come_before_the_final_and_never_change_it(tmp_path: Path) -> None:
    with_interim = run(tmp_path, "--engine", "local", "--interim", "0.5")
    without = run(tmp_path, "--engine", "local", "--interim", "0")
    assert with_interim.stdout == without.stdout  # interims never change the final text
    assert len(with_interim.stdout.splitlines()) == 2, with_interim.stdout
    # How many interims fit between finals depends on the machine's speed (an interim waits
    # for an idle engine); that each comes before its final does not. The in-process core
    # tests pin the scheduling down.
    assert check_order(with_interim.stderr) <= {1, 2}, with_interim.stderr
    for _seq, text, stable in interims(with_interim.stderr):
        assert text.startswith(stable), (text, stable)
    # Local agreement: by the last interims, the words agreed on are part of the final.
    finals = with_interim.stdout.lower().split("\n")
    stables = {seq: stable for seq, _text, stable in interims(with_interim.stderr)}
    for seq, stable in stables.items():  # (a lone interim has agreed on nothing yet)
        assert finals[seq - 1].startswith(stable.lower()[:10]), (stable, finals)
    t = TOTALS.search(with_interim.stderr)
    assert t and int(t[3]) >= 1 and int(t[2]) >= int(t[3]) + 2, with_interim.stderr
    t = TOTALS.search(without.stderr)
    assert t and t[3] == "0" and "debug: interim" not in without.stderr, without.stderr


@pytest.mark.real
@pytest.mark.realtime
def test_api_interims_are_counted_and_never_reach_stdout(tmp_path: Path) -> None:
    # Every answer is unique (it names its request), so any interim text that leaked into the
    # output would show. The answers are slightly slow, so ticks get skipped and a final can
    # arrive while an interim is in flight.
    def answer(req: Request) -> Reply:
        r = json_text(f"Request {req.index} answered.")
        return Reply(r.status, r.headers, r.body, delay_s=0.2)

    with FaultServer(default=answer) as srv:
        p = run(tmp_path, "--base-url", srv.url + "/v1", "--interim", "0.5")
    shown = {text for _seq, text, _stable in interims(p.stderr)}
    assert shown, p.stderr
    out = p.stdout.splitlines()
    assert len(out) == 2 and not shown & set(out), (out, shown)
    assert check_order(p.stderr) <= {1, 2}
    t = TOTALS.search(p.stderr)
    assert t, p.stderr
    requests, interim = int(t[2]), int(t[3])
    # A breath's speculation is shown as an interim once the speaker went on (a decode already
    # paid for); it is counted as speculative, not as an interim.
    spec = SPECULATIVE.search(p.stderr)
    assert spec and interim >= 1, p.stderr
    assert interim + int(spec[1]) + int(spec[2]) >= len(shown), (p.stderr, shown)
    # Every counted request was made (a cancelled one may never have reached the server).
    assert interim + 2 <= requests and len(srv.requests) <= requests
    assert len(srv.requests) >= len(shown) + 2


def test_segmenter_shows_the_open_utterance_so_far() -> None:
    from dictation.segment.segmenter import Segmenter, SegmenterConfig

    seg: Segmenter[int] = Segmenter(SegmenterConfig(pre_roll_s=0.06, start_s=0.06))
    assert seg.so_far() is None and seg.open_frames == 0
    for i in range(5):
        seg.push(True, payload=i)
    assert seg.so_far() == (0, 1, 2, 3, 4) and seg.open_frames == 5
    seg.cancel()
    assert seg.so_far() is None
