"""The event stream (``run --events FILE|-``): one JSON object per line for each state
change and each transcript, flushed line by line, for other programs to follow.

The format is versioned by its ``v`` field and described by ``data/events.schema.json`` and
docs/events.md. A ``final`` event gives a piece of text as delivered; a ``revise`` event changes a
piece given before (a fragment joined with its continuation) or takes it back. Every event
has ``v``, ``type``, ``time`` (wall clock, ISO 8601 with its UTC offset) and ``t`` (seconds
since the start event); audio positions (``start_s``, ``end_s``) are seconds since capture
started. A file is appended to: each session starts with its ``start`` event and ends with
``stop``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import sys
import time
from collections.abc import Callable
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any, TextIO

from dictation.errors import ConfigError
from dictation.records import Final, Interim, LiveTyped, Quiet, Revised

log = logging.getLogger("dictation")

VERSION = 4  # 2: the revise event; 3: why a piece was revised; 4: the live event
STATE_KEYS = ("mode", "state", "listening", "engine", "backlog", "delivered", "last_error",
              "language")


def schema_path() -> Path:
    return Path(str(resources.files("dictation") / "data" / "events.schema.json"))


class EventStream(Quiet):
    """An observer writing the events of one session to ``stream``."""

    def __init__(self, stream: TextIO, name: str = "event stream",
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._stream = stream
        self._name = name
        self._clock = clock
        self._t0 = clock()
        self._last: tuple[Any, ...] | None = None
        self.broken = False
        self.on_broken: Callable[[], None] = lambda: None  # e.g. stop the run

    @classmethod
    def open(cls, spec: str) -> EventStream:
        """``-``: standard output; anything else: a file, appended to."""
        if spec == "-":
            return cls(sys.stdout, "standard output")
        path = Path(spec).expanduser()
        try:
            stream = open(path, "a", encoding="utf-8", newline="\n")  # noqa: SIM115
        except OSError as err:
            raise ConfigError(f"cannot write events to {path}: {err.strerror or err}") from None
        return cls(stream, str(path))

    def start(self, status: dict[str, object], source: str) -> None:
        """The session began: what it listens to and with which engine, then its state."""
        self._t0 = self._clock()
        self._emit("start", input=source, engine=status.get("engine"),
                   mode=status.get("mode"))
        self.state(status)

    def stop(self, exit_code: int, error: str | None = None) -> None:
        self._emit("stop", exit_code=exit_code, error=error)

    def state(self, status: dict[str, object]) -> None:
        fields = {k: status.get(k) for k in STATE_KEYS}
        key = tuple(fields.values())
        if key != self._last:  # the pipeline reports changes in more than these fields
            self._last = key
            self._emit("state", **fields)

    def interim(self, event: Interim) -> None:
        self._emit("interim", seq=event.seq, text=event.text, stable=event.stable,
                   start_s=_s(event.start_s), end_s=_s(event.end_s))

    def final(self, event: Final) -> None:
        item = event.item
        self._emit("final", seq=item.seq, text=item.text, start_s=_s(item.start_s),
                   end_s=_s(item.end_s), speech_start_s=_s(item.speech_start_s),
                   speech_end_s=_s(item.speech_end_s), latency_s=_s(event.latency_s),
                   recovered=event.recovered, language=item.language,
                   segments=[{"start_s": _s(item.start_s + s.start),
                              "end_s": _s(item.start_s + s.end), "text": s.text}
                             for s in item.segments if s.text])

    def revise(self, event: Revised) -> None:
        item = event.item
        self._emit("revise", seq=event.seq, text="" if event.retracted else item.text,
                   old_text=event.old_text, start_s=_s(item.start_s), end_s=_s(item.end_s),
                   language=item.language, **({"why": event.why} if event.why else {}))

    def live(self, event: LiveTyped) -> None:
        self._emit("live", seq=event.seq, text=event.text, typed=event.typed,
                   deleted=event.deleted, why=event.why)

    def close(self) -> None:
        if self._stream is sys.stdout:
            if self.broken:  # else Python's own flush at exit complains about the pipe
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return
        with contextlib.suppress(OSError):
            self._stream.close()

    def _emit(self, kind: str, **fields: object) -> None:
        if self.broken:
            return
        now = datetime.now().astimezone()
        line = json.dumps({"v": VERSION, "type": kind,
                           "time": now.isoformat(timespec="milliseconds"),
                           "t": _s(self._clock() - self._t0), **fields},
                          ensure_ascii=False, allow_nan=False)
        try:
            self._stream.write(line + "\n")
            self._stream.flush()
        except (OSError, ValueError) as err:  # a closed pipe, a full disk
            self.broken = True
            reason = "closed" if isinstance(err, (BrokenPipeError, ValueError)) else (
                err.strerror or str(err))
            log.error("cannot write events to %s: %s; stopping", self._name, reason)
            self.on_broken()


def _s(seconds: float) -> float:
    return round(seconds, 3) if math.isfinite(seconds) else 0.0
