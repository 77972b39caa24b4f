"""The captions screen: live captions in a terminal (`dictation captions`, `run --captions`).
Delivered lines scroll up, the utterance in progress shows provisionally beneath them, and a
status line sits at the bottom. Drawn with rich on the alternate screen, so the terminal comes
back as it was and a resize simply redraws at the new size (over ssh too). (Caption files are
captionfiles.py.)"""

from __future__ import annotations

import logging
import os
import statistics
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console, ConsoleOptions, RenderResult
from rich.live import Live
from rich.text import Text

from dictation.records import Final, Interim, Quiet, Revised

REFRESH_PER_SECOND = 10  # redraws come from a timer, never from an audio block
HISTORY = 500  # lines kept to redraw from; more than any terminal shows
FLOOR_DB = -60.0  # the level bar's empty end; its full end is 0 dBFS
BAR_CELLS = 12
PEAK_FALL_DB_S = 20.0  # how fast the peak mark sinks back
SMOOTHING = 0.3  # weight of each new block in the bar's level
KEPT_WARNINGS = 20  # logged again after the screen closes

STATE_STYLES = {"listening": "green", "hearing speech": "bold green",
                "transcribing": "yellow", "retrying": "bold red", "idle": "dim"}


def terminal() -> Console:
    """The console on stdout, sized by the terminal itself: COLUMNS and LINES in the
    environment (which some shells and tools export) would pin rich to a size the terminal
    leaves behind when it is resized."""
    return Console(_environ={k: v for k, v in os.environ.items()
                             if k not in ("COLUMNS", "LINES")})


class Level:
    """The input level as a bar shows it: smoothed, with a peak that decays."""

    def __init__(self) -> None:
        self.db = FLOOR_DB
        self.peak = FLOOR_DB
        self._peak_at = 0.0

    def push(self, dbfs: float, now: float) -> None:
        dbfs = max(FLOOR_DB, min(0.0, dbfs))
        self.db += SMOOTHING * (dbfs - self.db)
        if dbfs >= self.peak_now(now):
            self.peak, self._peak_at = dbfs, now

    def peak_now(self, now: float) -> float:
        return max(FLOOR_DB, self.peak - PEAK_FALL_DB_S * max(0.0, now - self._peak_at))

    def bar(self, now: float, cells: int = BAR_CELLS) -> Text:
        fill = round(cells * (self.db - FLOOR_DB) / -FLOOR_DB)
        peak = min(cells - 1, round((cells - 1) * (self.peak_now(now) - FLOOR_DB) / -FLOOR_DB))
        out = Text()
        for i in range(cells):
            if i < fill:
                out.append("█", "green" if i < cells * 0.75 else "yellow")
            elif i == peak and peak > 0:
                out.append("│", "yellow")
            else:
                out.append("·", "dim")
        return out


class Captions(Quiet):
    """The captions screen as an observer. Observer calls come from the event loop; drawing
    happens on rich's refresh thread, so both take the lock."""

    def __init__(self, console: Console | None = None, *, engine: str = "",
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.console = console or terminal()
        self._clock = clock
        self._lock = threading.Lock()
        self.lines: deque[Text] = deque(maxlen=HISTORY)  # delivered text and log notices
        self._seqs: deque[int | None] = deque(maxlen=HISTORY)  # each line's piece, if text
        self.current: Interim | None = None
        self.status: dict[str, object] = {"state": "starting", "engine": engine, "backlog": 0}
        self.levels = Level()
        self.latencies: list[float] = []
        self.started = clock()
        self.ended: float | None = None
        self._live: Live | None = None

    # Observer

    def level(self, dbfs: float) -> None:
        self.levels.push(dbfs, self._clock())  # a few float operations: no drawing here

    def state(self, status: dict[str, object]) -> None:
        with self._lock:
            self.status = dict(status)
            if status.get("state") == "listening" and not status.get("backlog"):
                self.current = None  # no utterance open or pending: its interim was dropped

    def interim(self, event: Interim) -> None:
        with self._lock:
            if self.current is None or event.seq >= self.current.seq:
                self.current = event

    def final(self, event: Final) -> None:
        with self._lock:
            self.lines.append(Text(event.item.text))
            self._seqs.append(event.item.seq)
            if self.current is not None and self.current.seq <= event.item.seq:
                self.current = None
            if not event.recovered:
                self.latencies.append(event.latency_s)

    def revise(self, event: Revised) -> None:
        """The piece's line shows its new text, or goes when it was taken back."""
        with self._lock:
            for i in range(len(self._seqs) - 1, -1, -1):
                if self._seqs[i] == event.seq:
                    if event.retracted:
                        del self.lines[i], self._seqs[i]
                    else:
                        self.lines[i] = Text(event.item.text)
                    return

    def notice(self, message: str, levelno: int) -> None:
        """A log line, shown in the scroll so it cannot tear the screen."""
        style = "bold red" if levelno >= logging.ERROR else (
            "yellow" if levelno >= logging.WARNING else "dim")
        with self._lock:
            self.lines.append(Text(message, style=style))
            self._seqs.append(None)

    # Drawing

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = max(1, options.max_width)
        height = options.height or console.size.height
        now = self._clock()
        with self._lock:
            history = list(self.lines)
            current = self.current
            status = dict(self.status)
        room = max(0, height - 1)  # the status line takes the last one
        bottom = list(_interim_text(current).wrap(console, width)) \
            if current is not None and current.text else []
        bottom = bottom[-room:] if room else []
        keep = room - len(bottom)
        shown: list[Text] = []
        for entry in reversed(history):  # newest first, only until the screen is full
            if len(shown) >= keep:
                break
            shown[:0] = entry.wrap(console, width)
        shown = shown[-keep:] if keep else []
        yield from [*([Text()] * (keep - len(shown))), *shown, *bottom]
        yield self._status_line(status, now, width)

    def _status_line(self, status: dict[str, object], now: float, width: int) -> Text:
        state = str(status.get("state") or "")
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append(f"● {state}", STATE_STYLES.get(state, "bold"))
        line.append("  ")
        line.append_text(self.levels.bar(now))
        line.append(f" {self.levels.db:4.0f} dB", "dim")
        line.append(f"  backlog {status.get('backlog', 0)}")
        if language := status.get("language"):
            line.append(f"  {language}")
        if self.latencies:
            line.append(f"  last {self.latencies[-1]:.1f} s")
        if error := status.get("last_error"):
            line.append(f"  ⚠ {error}", "red")
        line.append(f"  {status.get('engine', '')}", "dim")  # least news: last, cut first
        line.truncate(width, overflow="ellipsis")
        return line

    # Running

    def start(self) -> None:
        self.started = self._clock()
        self._live = Live(self, console=self.console, screen=True, auto_refresh=True,
                          refresh_per_second=REFRESH_PER_SECOND, redirect_stdout=True,
                          redirect_stderr=True)
        self._live.start(refresh=True)

    def stop(self) -> None:
        """Leave the alternate screen (the cursor comes back), then say what was captured."""
        if self._live is not None:
            self._live.stop()
            self._live = None
        self.ended = self._clock()

    def summary(self) -> str:
        minutes = ((self.ended or self._clock()) - self.started) / 60
        lines = len(self.latencies)
        median = (f", median latency {statistics.median(self.latencies):.2f} s"
                  if self.latencies else "")
        return f"captions: {minutes:.1f} min captured, {lines} line(s){median}"

    @contextmanager
    def running(self, log: logging.Logger) -> Iterator[Captions]:
        """The screen up, and ``log``'s lines shown in it instead of on stderr. The last
        warnings and errors are logged again once it is down: the screen takes its lines
        with it, and what went wrong must stay readable."""
        handler = _NoticeHandler(self)
        saved = log.handlers[:]
        for h in saved:
            log.removeHandler(h)
        log.addHandler(handler)
        self.start()
        try:
            yield self
        finally:
            self.stop()
            log.removeHandler(handler)
            for h in saved:
                log.addHandler(h)
            for record in handler.kept:
                log.handle(record)


def _interim_text(event: Interim) -> Text:
    """The agreed prefix plainly, the rest that may still change dimmed."""
    stable = event.stable if event.text.startswith(event.stable) else ""
    out = Text(stable)
    out.append(event.text[len(stable):], "dim italic")
    return out


class _NoticeHandler(logging.Handler):
    def __init__(self, captions: Captions) -> None:
        super().__init__()
        self.captions = captions
        self.kept: deque[logging.LogRecord] = deque(maxlen=KEPT_WARNINGS)

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.WARNING:
            self.kept.append(record)
        try:
            self.captions.notice(record.getMessage(), record.levelno)
        except Exception:  # a log line must never end the run
            self.handleError(record)
