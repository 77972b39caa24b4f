"""Speculative endpointing: an utterance is transcribed during its trailing silence, and a
speculation overtaken by speech is discarded, never output."""

from __future__ import annotations

import io
import os
import re
import subprocess
import wave
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import SAMPLE, dictation_cmd
from faultserver import FaultServer, Reply, Request, json_text

pytestmark = [pytest.mark.real, pytest.mark.realtime]  # daemons at real time

SAMPLE_WORDS = ["dictation", "turns", "your", "speech", "into", "text", "wherever", "your",
                "cursor", "is", "speak", "naturally", "pause", "for", "a", "moment", "and",
                "each", "sentence", "appears", "on", "its", "own", "line"]


def words(text: str) -> list[str]:
    return re.sub(r"[^a-z0-9' ]", " ", text.lower()).split()


def seconds(req: Request) -> float:
    with wave.open(io.BytesIO(req.files["file"][2])) as w:
        return w.getnframes() / w.getframerate()


def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items()
             if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL")}
    return {**clean, "HF_HUB_OFFLINE": "1", "XDG_STATE_HOME": str(tmp_path / "state")}


def test_speculation_overtaken_by_speech_is_never_output(tmp_path: Path, say: Callable,
                                                         join: Callable) -> None:
    # Speech, a pause longer than the speculation delay but shorter than the hangover, more
    # speech, then silence. The server answers slowly, so the first speculation is still in
    # flight when speech resumes; each answer names the request and the audio it was given.
    wav = join(say("Turn left here.", pad=(0.5, 0.25)),
               say("Then stop at the bakery on the corner.", pad=(0.0, 1.5)))

    def answer(req: Request) -> Reply:
        r = json_text(f"Request {req.index} heard {seconds(req):.2f} seconds.")
        return Reply(r.status, r.headers, r.body, delay_s=0.5)

    with FaultServer(default=answer) as srv:
        p = subprocess.run(
            dictation_cmd("run", "--input", str(wav), "--base-url", srv.url + "/v1",
                          "--speculate", "0.15", "--hangover-min", "0.6",
                          "--hangover-max", "1.0", "-v"),
            capture_output=True, text=True, env=env(tmp_path), timeout=60)
    assert p.returncode == 0, p.stderr
    # At least one speculation was discarded (whether its request had reached the server
    # yet depends on the machine's speed; the in-process core tests pin both cases down).
    stats = re.search(r"(\d+) speculative used, (\d+) discarded", p.stderr)
    assert stats and int(stats.group(2)) >= 1, p.stderr
    out = p.stdout.splitlines()
    assert len(out) == 1, p.stdout  # one utterance, one line: nothing stale, nothing twice
    used = int(re.match(r"Request (\d+) heard", out[0]).group(1))
    # The text used is from the request that heard all the speech: the longest one, the last.
    assert used == len(srv.requests)
    assert seconds(srv.requests[used - 1]) == max(map(seconds, srv.requests))
    assert "1 speculative used" in p.stderr and "discarded" in p.stderr


def test_local_speculation_gives_the_same_text_sooner(tmp_path: Path) -> None:
    # The sample's second sentence has comma pauses: speculations start there and are
    # discarded when speech resumes. A speculation transcribes exactly the audio its utterance
    # ends up with, so the output is the same as without speculation, word for word.
    def dictate(speculate: str) -> subprocess.CompletedProcess:
        p = subprocess.run(dictation_cmd("run", "--input", str(SAMPLE), "--speculate",
                                         speculate, "-v"),
                           capture_output=True, text=True, env=env(tmp_path), timeout=120)
        assert p.returncode == 0, p.stderr
        return p

    with_spec, without = dictate("0.09"), dictate("0")
    assert words(with_spec.stdout) == SAMPLE_WORDS
    assert with_spec.stdout == without.stdout
    stats = re.search(r"(\d+) speculative used, (\d+) discarded", with_spec.stderr)
    assert stats and int(stats.group(1)) >= 1 and int(stats.group(2)) >= 1, with_spec.stderr


def test_speculation_off_sends_one_request_per_utterance(tmp_path: Path,
                                                         say: Callable) -> None:
    with FaultServer(default=json_text("Fine.")) as srv:
        p = subprocess.run(
            dictation_cmd("run", "--input", str(say("Turn left, then stop.")), "--base-url",
                          srv.url + "/v1", "--speculate", "0"),
            capture_output=True, text=True, env=env(tmp_path), timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout == "Fine.\n" and len(srv.requests) == 1
