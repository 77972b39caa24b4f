"""The captions screen: what it draws from observer records (rendered by rich into a recorded
console of a fixed size), and the real thing in a real terminal: `dictation captions` in a
tmux pane, read back with capture-pane while it runs, resized, and stopped with Ctrl-C."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import _need, dictation_cmd, norm
from faultserver import buzz_wav
from procs import spawn
from rich.console import Console
from rich.screen import Screen

from dictation.output.screen import Captions, Level
from dictation.records import Final, Interim, Transcribed

LONG = ("The weather forecast says it will rain tomorrow morning in the northern part of the "
        "city.")
SHORT = "Please send the report by Friday."


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def final(seq: int, text: str, latency: float = 0.5) -> Final:
    return Final(Transcribed(seq, text, 0.0, 1.0, 0.1, 0.9), latency)


def draw(captions: Captions, width: int, height: int) -> list[str]:
    """The screen as Live draws it on the alternate screen: exactly ``height`` rows."""
    console = Console(width=width, height=height, record=True, file=io.StringIO(),
                      force_terminal=True, color_system="truecolor")
    captions.console = console
    console.print(Screen(captions))
    rows = console.export_text(styles=False).split("\n")
    return [r.rstrip() for r in rows[:height]]


def test_lines_wrap_to_the_width_newest_at_the_bottom_over_the_status_line() -> None:
    cap = Captions(clock=Clock())
    cap.state({"state": "listening", "engine": "local engine, model tiny.en", "backlog": 0})
    for n in range(1, 8):
        cap.final(final(n, f"Line number {n}."))
    cap.final(final(8, LONG, latency=0.42))
    rows = draw(cap, 40, 6)
    assert len(rows) == 6
    assert all(len(r) <= 40 for r in rows)
    assert rows[-1].startswith("● listening") and rows[-1].endswith("…")
    assert "backlog 0  last 0.4 s" in draw(cap, 80, 6)[-1]
    body = rows[:-1]
    # Only what fits, newest last: LONG takes three rows, older lines above it.
    assert norm(" ".join(body[-3:])) == norm(LONG)
    assert body[:2] == ["Line number 6.", "Line number 7."]
    # Wider: LONG fits in fewer rows, more of the older lines show; the status stays last.
    wide = draw(cap, 100, 6)
    assert wide[-2] == LONG and wide[-1].startswith("● listening")
    assert wide[:4] == [f"Line number {n}." for n in range(4, 8)]


def test_a_screen_with_few_lines_keeps_them_at_the_bottom() -> None:
    cap = Captions(clock=Clock())
    cap.final(final(1, SHORT))
    rows = draw(cap, 50, 5)
    assert rows[:3] == ["", "", ""] and rows[3] == SHORT


def test_the_interim_shows_under_the_lines_until_its_final_replaces_it() -> None:
    cap = Captions(clock=Clock())
    cap.state({"state": "hearing speech", "engine": "e", "backlog": 0})
    cap.final(final(1, SHORT))
    cap.interim(Interim(2, "The weather forecast says", "The weather", 5.0, 6.5))
    rows = draw(cap, 60, 5)
    assert rows[-3:-1] == [SHORT, "The weather forecast says"]
    # Stable words plain, the rest dimmed.
    from dictation.output.screen import _interim_text
    text = _interim_text(Interim(2, "The weather forecast says", "The weather", 5.0, 6.5))
    dim = [text.plain[s.start:s.end] for s in text.spans if "dim" in str(s.style)]
    assert dim == [" forecast says"]
    cap.interim(Interim(1, "stale", "", 0.0, 1.0))  # an older utterance's: ignored
    cap.interim(Interim(2, LONG, "The weather forecast says", 5.0, 9.0))
    rows = draw(cap, 60, 5)
    assert norm(" ".join(rows[-3:-1])) == norm(LONG) and "stale" not in " ".join(rows)
    cap.final(final(2, LONG))
    rows = draw(cap, 60, 5)
    joined = norm(" ".join(rows[:-1]))
    assert joined == norm(f"{SHORT} {LONG}")  # once: the interim went with its final


def test_an_interim_whose_utterance_was_dropped_goes_when_nothing_is_pending() -> None:
    cap = Captions(clock=Clock())
    cap.interim(Interim(1, "Thank you", "", 0.0, 1.0))
    cap.state({"state": "transcribing", "engine": "e", "backlog": 1})
    assert "Thank you" in " ".join(draw(cap, 40, 4))
    cap.state({"state": "listening", "engine": "e", "backlog": 0})
    assert "Thank you" not in " ".join(draw(cap, 40, 4))


def test_the_level_bar_smooths_and_its_peak_decays() -> None:
    clock = Clock()
    level = Level()
    level.push(-10.0, clock.now)
    assert -60 < level.db < -10  # smoothed: one loud block does not fill the bar
    for _ in range(30):
        level.push(-10.0, clock.now)
    full = level.bar(clock.now).plain
    assert full.count("█") >= 9
    for _ in range(30):
        level.push(-60.0, clock.now)
    assert level.bar(clock.now).plain.count("█") == 0
    assert "│" in level.bar(clock.now).plain  # the peak mark stays a moment
    clock.now += 0.5
    mark_at = level.bar(clock.now).plain.index("│")
    assert mark_at < full.count("█")  # …and sinks
    clock.now += 5
    assert "│" not in level.bar(clock.now).plain


def test_status_shows_the_state_the_error_and_nothing_past_the_width() -> None:
    cap = Captions(clock=Clock())
    cap.state({"state": "retrying", "engine": "api engine", "backlog": 3,
               "last_error": "cannot reach the server"})
    row = draw(cap, 200, 3)[-1]
    assert row.startswith("● retrying") and "backlog 3" in row
    assert "⚠ cannot reach the server" in row
    assert len(draw(cap, 30, 3)[-1]) <= 30


def test_log_lines_show_on_the_screen_and_warnings_again_after_it(
        capsys: pytest.CaptureFixture[str]) -> None:
    log = logging.getLogger("dictation.test-captions")
    log.propagate = False
    log.setLevel(logging.INFO)
    handler = logging.StreamHandler(sys.stderr)
    log.addHandler(handler)
    console = Console(width=60, height=8, file=io.StringIO(), force_terminal=True)
    cap = Captions(console)
    # pytest attaches its capture handler to loggers that do not propagate: the handlers
    # before the screen, whatever they are, are the ones after it.
    before = log.handlers[:]
    try:
        with cap.running(log):
            log.info("model ready")
            log.warning("the engine fails; retrying")
            rows = draw(cap, 60, 8)
            assert capsys.readouterr().err == ""  # nothing tore the screen
        assert "model ready" in rows[-3] and "retrying" in rows[-2]
        assert capsys.readouterr().err == "the engine fails; retrying\n"
        assert log.handlers == before and handler in before
    finally:
        log.removeHandler(handler)


def test_summary_counts_minutes_lines_and_the_median_latency() -> None:
    clock = Clock()
    cap = Captions(clock=clock)
    for n, lat in enumerate((0.4, 1.0, 0.6), 1):
        cap.final(final(n, f"line {n}", lat))
    cap.final(Final(Transcribed(4, "left over", 0, 1, 0, 1), 99.0, recovered=True))
    clock.now += 90
    cap.ended = clock.now
    assert cap.summary() == "captions: 1.5 min captured, 3 line(s), median latency 0.60 s"


@pytest.mark.real
@pytest.mark.realtime
def test_status_says_retrying_while_the_engine_is_down(tmp_path: Path,
                                                       refused_port: socket.socket) -> None:
    wav = buzz_wav(tmp_path / "buzz.wav", 6, tone_s=0.4, gap_s=1.1)
    port = refused_port.getsockname()[1]  # nobody listens there
    env = {**os.environ, "XDG_RUNTIME_DIR": str(tmp_path), "OPENAI_API_KEY": "sk-test",
           "XDG_STATE_HOME": str(tmp_path / "state")}
    daemon = spawn(
        dictation_cmd("run", "--input", str(wav), "--base-url", f"http://127.0.0.1:{port}/v1",
                      "--hangover-max", "0.4", "--hangover-min", "0.2"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    states = []
    try:
        deadline = time.monotonic() + 30
        while "retrying" not in states and time.monotonic() < deadline:
            assert daemon.poll() is None, daemon.communicate()
            st = subprocess.run(dictation_cmd("status", "--json"), capture_output=True,
                                text=True, env=env, timeout=30)
            if st.returncode == 0:
                states.append(json.loads(st.stdout)["state"])
            time.sleep(0.3)
    finally:
        daemon.send_signal(signal.SIGINT)
        daemon.communicate(timeout=30)
    assert "retrying" in states, states


# The real terminal.

class Pane:
    """One program in a tmux pane of a private tmux server."""

    def __init__(self, command: list[str], env: dict[str, str], width: int = 100,
                 height: int = 30) -> None:
        _need("tmux")
        self.server = f"dictation-test-{uuid.uuid4().hex[:8]}"
        shell = (f"{shlex.join(['env', *(f'{k}={v}' for k, v in env.items()), *command])}; "
                 "echo EXIT=$?; sleep 120")
        self.tmux("new-session", "-d", "-s", "t", "-x", str(width), "-y", str(height), shell)

    def tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.server, "-f", "/dev/null", *args],
                              capture_output=True, text=True, check=True, timeout=10).stdout

    def rows(self) -> list[str]:
        """The rows as shown; ``styled`` keeps them with their colours and attributes."""
        self.styled = self.tmux("capture-pane", "-p", "-e", "-t", "t").rstrip("\n").split("\n")
        return [re.sub(r"\x1b\[[0-9;]*m", "", r).rstrip() for r in self.styled]

    def flag(self, name: str) -> str:
        return self.tmux("display-message", "-p", "-t", "t", f"#{{{name}}}").strip()

    def wait(self, check: Callable[[list[str]], bool], timeout: float,
             seen: Callable[[list[str]], None] = lambda rows: None) -> list[str]:
        deadline = time.monotonic() + timeout
        while True:
            rows = self.rows()
            seen(rows)
            if check(rows):
                return rows
            assert time.monotonic() < deadline, "\n".join(rows)
            time.sleep(0.1)

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.server, "kill-server"], capture_output=True)


@pytest.fixture
def pane_env(tmp_path: Path) -> dict[str, str]:
    return {"HF_HUB_OFFLINE": "1", "XDG_RUNTIME_DIR": str(tmp_path),
            "XDG_STATE_HOME": os.environ["XDG_STATE_HOME"],
            "XDG_CONFIG_HOME": os.environ["XDG_CONFIG_HOME"],
            "PYTHONPATH": os.environ.get("PYTHONPATH", ""), "TERM": "screen-256color"}


@pytest.fixture
def pane_factory() -> Iterator[Callable[..., Pane]]:
    panes: list[Pane] = []

    def make(*args, **kwargs) -> Pane:
        panes.append(Pane(*args, **kwargs))
        return panes[-1]

    yield make
    for p in panes:
        p.close()


def covers(shown: str, said: str) -> float:
    """How many of the words said the screen shows (tiny.en may mishear one or two)."""
    words = norm(said).split()
    return sum(w in norm(shown).split() for w in words) / len(words)


def _level(row: str) -> float | None:
    words = row.split()
    return float(words[words.index("dB") - 1]) if "dB" in words else None


def test_captions_in_a_terminal(say: Callable[..., Path], join: Callable[..., Path],
                                pane_env: dict[str, str],
                                pane_factory: Callable[..., Pane]) -> None:
    first = "The quick brown fox jumps over the lazy dog."
    wav = join(say(first), say(LONG), say(SHORT), say("Thank you all for coming today."),
               say("The meeting is over now."))
    pane = pane_factory(dictation_cmd("captions", "--input", str(wav), "--engine", "local",
                                      "--interim", "0.7"), pane_env)
    said = [first, LONG, SHORT]
    states: set[str] = set()
    levels: set[float] = set()
    polls = 0
    interims: dict[int, int] = {}  # sentence → first poll showing it provisionally (dimmed)
    finals: dict[int, int] = {}  # sentence → first poll showing its final line (plain)

    def seen(rows: list[str]) -> None:
        nonlocal polls
        polls += 1
        for plain, styled in zip(rows[:-1], pane.styled[:-1], strict=False):
            for n, s in enumerate(said):
                if norm(plain).split()[:2] == norm(s).split()[:2]:
                    got = interims if "\x1b[2;3m" in styled else finals
                    got.setdefault(n, polls)
        if rows[-1].startswith("● "):
            states.add(rows[-1][2:].split("  ")[0])
            if (db := _level(rows[-1])) is not None:
                levels.add(db)

    rows = pane.wait(lambda rows: norm(first) in norm(" ".join(rows[:-1])), 30, seen)
    assert pane.flag("alternate_on") == "1" and pane.flag("cursor_flag") == "0"
    assert rows[-1].startswith("● ") and "local engine" in rows[-1]
    assert {"listening", "hearing speech"} <= states, states
    assert min(levels) <= -55 and max(levels) >= -35, levels  # the bar follows the voice
    # Narrower: the long line (one row at 100) is drawn again, wrapped at 60, no word lost.
    # (Until the screen is redrawn, tmux shows the old rows cut at 60.)
    pane.tmux("resize-window", "-t", "t", "-x", "60", "-y", "30")

    def wrapped(rows: list[str]) -> bool:
        at = [i for i, r in enumerate(rows[:-2]) if r.startswith("The weather")]
        return bool(at) and covers(rows[at[0]], LONG) < 0.9 <= covers(
            f"{rows[at[0]]} {rows[at[0] + 1]}", LONG)

    rows = pane.wait(wrapped, 30, seen)
    assert pane.flag("pane_width") == "60"
    assert max(len(r) for r in rows) <= 60
    assert rows[-1].startswith("● ") and len(rows) == 30
    # The words came provisionally before their final line replaced them.
    early = [n for n in finals if n in interims and interims[n] < finals[n]]
    assert early, (interims, finals)
    pane.tmux("send-keys", "-t", "t", "C-c")
    rows = pane.wait(lambda rows: any(r.startswith("EXIT=") for r in rows), 30)
    text = "\n".join(rows)
    summary = next(r for r in rows if r.startswith("captions: "))
    lines = int(summary.split(", ")[1].split()[0])
    assert lines >= 2 and "median latency" in summary and "min captured" in summary, text
    assert "EXIT=0" in text and "Traceback" not in text, text
    assert pane.flag("alternate_on") == "0" and pane.flag("cursor_flag") == "1"


@pytest.mark.real
def test_without_a_terminal_captions_are_plain_lines(say: Callable[..., Path],
                                                     tmp_path: Path) -> None:
    wav = say(SHORT)
    done = subprocess.run(dictation_cmd("captions", "--input", str(wav), "--engine", "local",
                                        "--fast"),
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, "HF_HUB_OFFLINE": "1",
                               "XDG_RUNTIME_DIR": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert norm(done.stdout) == norm(SHORT)
    assert "\x1b" not in done.stdout
    notes = [ln for ln in done.stderr.splitlines() if "not a terminal" in ln]
    assert notes == ["dictation: warning: stdout is not a terminal: captions are written as "
                     "plain lines"], done.stderr
