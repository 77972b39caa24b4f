"""Undo latency: from `dictation ctl undo`, or from the end of a spoken "scratch that", to the
sentence gone from the window.

A real daemon (`--engine local`, the bundled tiny.en, default settings otherwise) reads a WAV
at real time (`--input FILE`, paced like a microphone) and types with xdotool into a Tk text
field under Xvfb; the window's content is read every 10 ms. The sentences are the calm case's
(festival and espeak-ng voices). Two runs, each with its own daemon and window:

- **ctl undo**: each sentence is followed by 6 s of silence. Once the sentence is in the
  window, `dictation ctl undo` is started as a process (the console script, as a user or a
  key binding runs it). The clock starts just before the process is started and stops when
  the window's content no longer holds the sentence: it includes the process's start-up.
- **spoken "scratch that"**: each sentence is followed by 1.2 s of silence, "Scratch that."
  (festival's voice) and 6 s of silence. The clock starts at the end of the spoken "scratch
  that": the moment its last audible sample was due from the paced file, which is the
  `start` event's wall-clock time (the file's first sample, to within a few ms: the file is
  paced from just after it) plus that sample's offset in the WAV. It stops when the window no
  longer holds the sentence. A trial counts only if a `revise` event took back exactly the
  sentence's piece; misses are listed. *Speech end → closed* runs from the same speech end
  to the arrival of the daemon's `-v` line that closed the utterance (`utterance N: a-b s,
  ended by pause`): mostly the silence the segmenter waits for before it ends an utterance.
  *Closed → gone* is the rest: transcription not already done by speculation, the command,
  typing the BackSpaces.

    .venv/bin/python bench/undo.py            # writes bench/undo.md
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import corpus
import numpy as np
import rig
from control import Lines

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from procs import spawn, stop_group  # noqa: E402

LEAD_S = 6.0  # silence first: the model loads meanwhile, not during the first trial
PAUSE_S = 1.2  # between a sentence and its "scratch that": ends the sentence's utterance
AFTER_S = 6.0  # silence after each trial: time to type, take back and read the window
POLL_S = 0.01
LONG_S = 60.0  # generous bounds on a loaded two-core machine; waits end on their event
CLOSED = re.compile(r"utterance \d+: ([\d.]+)-([\d.]+) s, ended by")


@dataclass(frozen=True)
class Trial:
    text: str
    start: float  # the sentence's speech in the file, seconds
    end: float
    scratch_end: float | None  # the end of the spoken "scratch that" after it


@dataclass(frozen=True)
class Result:
    typed: str  # the sentence as the daemon typed it ("" if it never reached the window)
    gone_s: float | None  # clock start → the sentence gone from the window
    ctl_exit_s: float | None = None  # ctl: start → the process exited
    closed_s: float | None = None  # speech: speech end → the `-v` line closing the utterance
    taken_back: bool = False  # a revise event took exactly this piece back


def build(n: int, spoken: bool, into: Path) -> tuple[Path, list[Trial]]:
    """The calm sentences, each (with ``spoken``) followed by a pause and "scratch that"."""
    texts, voices = corpus.CALM[:n], corpus.CALM_VOICES[:n]
    scratch = corpus.level(corpus.trim(corpus.synthesize("Scratch that.", corpus.slt())))
    a = corpus.Assembly([], [])
    a.pad(LEAD_S)
    for text, voice, clip in zip(texts, voices, corpus.clips(texts, voices), strict=True):
        a.speak(corpus.level(corpus.trim(clip)), text, voice)
        if spoken:
            a.pad(PAUSE_S)
            a.speak(scratch, "Scratch that.", corpus.slt())
        a.pad(AFTER_S)
    wav = into / ("speech.wav" if spoken else "ctl.wav")
    corpus.write_wav(wav, a.signal())
    said = a.sentences[::2] if spoken else a.sentences
    ends = [y["end"] for y in a.sentences[1::2]] if spoken else [None] * len(said)
    return wav, [Trial(x["text"], x["start"], x["end"], e)
                 for x, e in zip(said, ends, strict=True)]


class Window:
    """The tests' Tk text field (tests/textwindow.py): ``dump`` on stdin prints its content."""

    def __init__(self, display: str) -> None:
        self.proc = spawn([sys.executable, str(REPO / "tests" / "textwindow.py")],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                          env={**os.environ, "DISPLAY": display})
        self.out = Lines(self.proc.stdout)
        if self.out.get(LONG_S)[1] != "ready":
            raise SystemExit("bench: the Tk window did not get the focus")

    def content(self) -> str:
        assert self.proc.stdin is not None
        self.proc.stdin.write("dump\n")
        self.proc.stdin.flush()
        return json.loads(self.out.get(LONG_S)[1])


@contextmanager
def desktop() -> Iterator[tuple[str, Window]]:
    """Xvfb on a display number it picks itself (-displayfd), and the window on it."""
    read, write = os.pipe()
    xvfb = spawn(["Xvfb", "-displayfd", str(write), "-nolisten", "tcp", "-noreset"],
                 pass_fds=(write,), stderr=subprocess.DEVNULL)
    os.close(write)
    window = None
    try:
        with os.fdopen(read, "rb") as pipe:
            number = pipe.readline().strip()
        if not number:
            raise SystemExit("bench: Xvfb did not start")
        window = Window(f":{int(number)}")
        yield f":{int(number)}", window
    finally:
        if window:
            stop_group(window.proc)
        stop_group(xvfb, signal.SIGTERM)


def events(path: Path) -> list[dict]:
    lines = path.read_text().splitlines() if path.exists() else []
    return [json.loads(x) for x in lines if x.endswith("}")]  # a line being written: later


def wait(check: Callable[[], Any], what: str, timeout: float = LONG_S) -> Any:
    deadline = time.monotonic() + timeout
    while not (got := check()):
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(POLL_S)
    return got


def gone_after(window: Window, typed: str, deadline: float) -> float | None:
    """The monotonic time the window first no longer holds ``typed``; None by ``deadline``."""
    while time.monotonic() < deadline:
        if typed not in window.content():
            return time.monotonic()
        time.sleep(POLL_S)
    return None


def ctl_undo(window: Window, typed: str, sock: Path) -> Result:
    """`dictation ctl undo` as the user runs it; the window and the process watched at once."""
    exe = Path(sys.executable).parent / "dictation"  # the console script, as a user calls it
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "dictation"]
    t0 = time.monotonic()
    proc = spawn([*cmd, "ctl", "undo", "--socket", str(sock)], stdout=subprocess.DEVNULL,
                 stderr=subprocess.DEVNULL, env=rig.product_env())
    gone = exited = None
    try:
        while (gone is None or exited is None) and time.monotonic() < t0 + LONG_S:
            if exited is None and proc.poll() is not None:
                exited = time.monotonic() - t0
            if gone is None and typed not in window.content():
                gone = time.monotonic() - t0
            time.sleep(POLL_S)
    finally:
        if proc.poll() is None:
            stop_group(proc)
    return Result(typed, gone, exited)


def taken_back(ev: Path, typed: str) -> bool:
    """A revise event took exactly this piece back. The window changes first: the event is
    written once the typing is done."""
    def back() -> bool:
        return any(e["type"] == "revise" and e["text"] == "" and e["old_text"].strip() == typed
                   for e in events(ev))
    try:
        return wait(back, "no revise event", PAUSE_S)
    except TimeoutError:
        return False


def closed_at(log: Lines, seen: list[tuple[float, str]], end_s: float) -> float | None:
    """When the daemon's `-v` line that closed the utterance holding ``end_s`` arrived."""
    while not log.q.empty():
        seen.append(log.q.get())
    return next((t for t, line in seen if (g := CLOSED.search(line))
                 and float(g[1]) <= end_s <= float(g[2]) + 0.3), None)


def run_trial(trial: Trial, window: Window, ev: Path, sock: Path, t0: float,
              log: tuple[Lines, list[tuple[float, str]]]) -> Result:
    """One sentence: its text in the window, then taken back (ctl) or awaited (speech)."""
    def final() -> dict | None:
        return next((e for e in events(ev) if e["type"] == "final"
                     and trial.start - 0.5 <= e["speech_start_s"] <= trial.end), None)
    try:
        typed: str = wait(final, f"no text for {trial.text!r}")["text"]
        wait(lambda: typed in window.content(), f"{typed!r} never reached the window")
    except TimeoutError as err:
        print(f"bench: {err}", file=sys.stderr)
        return Result("", None)
    if trial.scratch_end is None:
        result = ctl_undo(window, typed, sock)
    else:
        said = t0 + trial.scratch_end
        gone = gone_after(window, typed, said + AFTER_S + PAUSE_S)
        closed = closed_at(*log, trial.scratch_end)
        result = Result(typed, gone and gone - said, closed_s=closed and closed - said)
    return replace(result, taken_back=result.gone_s is not None and taken_back(ev, typed))


def session(wav: Path, trials: list[Trial], tmp: Path, tag: str) -> list[Result]:
    """A daemon on ``wav`` typing into a fresh window; every trial in turn."""
    ev, sock = tmp / f"{tag}.jsonl", tmp / f"{tag}.sock"
    with desktop() as (display, window):
        env = {k: v for k, v in rig.product_env().items()
               if k not in ("WAYLAND_DISPLAY", "XDG_SESSION_TYPE", "XDG_CURRENT_DESKTOP")}
        cmd = [sys.executable, "-m", "dictation", "-v", "run", "--input", str(wav),
               "--engine", "local", "--output", "type", "--typer", "xdotool",
               "--events", str(ev), "--socket", str(sock), "--spool-dir", str(tmp / "spool")]
        daemon = spawn(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=REPO,
                       text=True, env={**env, "DISPLAY": display,
                                       "XDG_STATE_HOME": str(tmp / "state")})
        log = Lines(daemon.stderr)
        try:
            start = wait(lambda: next((e for e in events(ev) if e["type"] == "start"), None),
                         "the daemon did not start")  # at the file's first sample:
            t0 = datetime.fromisoformat(start["time"]).timestamp() - time.time() + time.monotonic()
            seen: list[tuple[float, str]] = []  # its lines with their arrival times
            results = [run_trial(t, window, ev, sock, t0, (log, seen)) for t in trials]
            daemon.wait(LONG_S + AFTER_S)  # the file's end ends the run
        finally:
            if daemon.poll() is None:
                stop_group(daemon)
            (tmp / f"{tag}.log").write_text("".join(log.all))
    return results


def report(ctl: list[Result], spoken: list[Result], n: int, others: float) -> str:
    def col(rs: list[Result], f: Callable[[Result], float | None]) -> str:
        if not (xs := [x * 1000 for r in rs if (x := f(r)) is not None]):
            return "0 | – | –"
        return f"{len(xs)} | {np.median(xs):.0f} ms | {np.percentile(xs, 90):.0f} ms"
    ok = [r for r in spoken if r.taken_back and r.gone_s is not None]
    how = __doc__.split("\n\n", 1)[1].split("\n\n    .venv")[0]
    return "\n".join([
        "# Undo latency\n",
        f"`.venv/bin/python bench/undo.py` — {n} sentences each way. 2-core shared machine, "
        f"noisy: quote medians. Other load during the runs: {others:.2f} cores.", "",
        how, "",
        "| measure | n | median | p90 |",
        "|---|---|---|---|",
        f"| `dictation ctl undo` started → sentence gone from the window | "
        f"{col(ctl, lambda r: r.gone_s)} |",
        f"| `dictation ctl undo` started → the process exited | "
        f"{col(ctl, lambda r: r.ctl_exit_s)} |",
        f"| end of the spoken \"scratch that\" → sentence gone from the window | "
        f"{col(ok, lambda r: r.gone_s)} |",
        f"| of which: speech end → closed | {col(ok, lambda r: r.closed_s)} |",
        "| of which: closed → gone | "
        f"{col(ok, lambda r: r.gone_s - r.closed_s if r.gone_s and r.closed_s else None)} |",
        "",
        f"\"Scratch that\" took its sentence back {len(ok)} times out of {len(spoken)}; "
        f"`ctl undo` {sum(r.taken_back for r in ctl)} out of {len(ctl)}.", "",
        *(f"- not taken back: {r.typed!r}" for r in spoken if r not in ok),
    ]).rstrip() + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sentences", type=int, default=8)
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "undo.md")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="dictundo"))
    load = rig.Load()
    ctl = session(*build(args.sentences, False, tmp), tmp, "ctl")
    spoken = session(*build(args.sentences, True, tmp), tmp, "speech")
    text = report(ctl, spoken, args.sentences, load.others_cores())
    args.out.write_text(text)
    print(text)
    print(f"logs and events: {tmp}", file=sys.stderr)


if __name__ == "__main__":
    main()
