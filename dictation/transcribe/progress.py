"""How a download shows its progress on stderr: a rich bar on a terminal (bytes, rate, time
left), else a plain line now and then, through the log, so a daemon's first run, a journal or
a test sees how far it got."""

from __future__ import annotations

import logging
import time
from typing import Any, Protocol

log = logging.getLogger("dictation")

LINE_EVERY_FRACTION = 0.1  # a plain line per tenth of the download…
LINE_EVERY_S = 30.0  # …or per half minute, whichever comes first


class Meter(Protocol):
    def start(self, label: str, total: int, done: int) -> None:
        """``total`` bytes to have, ``done`` of them already here (a resumed download)."""
        ...

    def advance(self, n: int) -> None:
        """``n`` more bytes (negative: a server that ignored a resume sent them again)."""
        ...

    def note(self, text: str) -> None:
        """One line about the download (a retry, verifying)."""
        ...

    def stop(self) -> None: ...


def megabytes(n: float) -> str:
    return f"{n / 1e6:.1f} MB"


class _Rate:
    """Bytes, rate and time left, counting only what this run received."""

    def __init__(self, total: int, done: int) -> None:
        self.total, self.done, self._first = total, done, done
        self._began = time.monotonic()

    def describe(self) -> str:
        elapsed = time.monotonic() - self._began
        got = self.done - self._first
        share = f" ({100 * self.done // self.total} %)" if self.total else ""
        text = f"{megabytes(self.done)} of {megabytes(self.total)}{share}"
        if got > 0 and elapsed > 0:
            rate = got / elapsed
            left = max(self.total - self.done, 0) / rate
            text += f", {megabytes(rate)}/s, {left:.0f} s left"
        return text


class LineMeter:
    """Plain lines: where stderr is not a terminal, or the daemon logs as it runs."""

    def __init__(self, what: str = "downloading") -> None:
        self._what = what
        self._label = ""
        self._rate: _Rate | None = None
        self._shown = (0.0, 0.0)  # (fraction, time) of the last line

    def start(self, label: str, total: int, done: int) -> None:
        self._label = label
        self._rate = _Rate(total, done)
        self._shown = (self._fraction(), time.monotonic())
        resumed = f", resuming at {megabytes(done)}" if done else ""
        log.info("%s %s: %s%s", self._what, label, megabytes(total), resumed)

    def _fraction(self) -> float:
        r = self._rate
        return r.done / r.total if r and r.total else 0.0

    def advance(self, n: int) -> None:
        if self._rate is None:
            return
        self._rate.done += n
        fraction, now = self._fraction(), time.monotonic()
        if (fraction - self._shown[0] >= LINE_EVERY_FRACTION
                or now - self._shown[1] >= LINE_EVERY_S):
            self._shown = (fraction, now)
            log.info("%s %s: %s", self._what, self._label, self._rate.describe())

    def note(self, text: str) -> None:
        log.info("%s", text)

    def stop(self) -> None:
        self._rate = None


class BarMeter:
    """rich's progress bar on stderr, for a person at a terminal."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self._progress: Any = Progress(
            TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
            TransferSpeedColumn(), TimeRemainingColumn(), console=Console(stderr=True))
        self._task: Any = None

    def start(self, label: str, total: int, done: int) -> None:
        self._task = self._progress.add_task(label, total=total, completed=done)
        self._progress.start()

    def advance(self, n: int) -> None:
        if self._task is not None:
            self._progress.advance(self._task, n)

    def note(self, text: str) -> None:
        self._progress.console.print(f"dictation: {text}", markup=False, highlight=False)

    def stop(self) -> None:
        self._progress.stop()


def meter(terminal: bool) -> Meter:
    return BarMeter() if terminal else LineMeter()
