"""Every output a piece of text goes to, in order: the sinks that show it at once and can
change what they show (typing with xdotool, the clipboard, the captions screen, caption
files) and the observer; and the sinks that show only final text (stdout, typing on
Wayland, paste: ``final_only``). When a piece is final is decided in one place,
deliver/finality.py; this is the fan-out it drives.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from dictation.errors import SinkError

if TYPE_CHECKING:
    from dictation.output.sinks import RevisableSink, Sink
    from dictation.records import Final, Observer, Revised, Transcribed


class Failures(Protocol):
    def failed(self, err: SinkError, item: Transcribed) -> None:
        """A sink other than stdout failed later than the delivery, to show ``item`` or its
        change: say so and keep what can be kept (Finality.failed)."""


class Outputs:
    def __init__(self, sinks: Sequence[Sink], observer: Observer, failures: Failures) -> None:
        self.live: list[RevisableSink] = [s for s in sinks  # type: ignore[misc]
                                          if not s.final_only]
        self.later = [s for s in sinks if s.final_only]
        self.observer = observer
        self._failures = failures

    async def show(self, event: Final) -> list[SinkError]:
        """A new piece to the sinks that show it at once, and the observer. Returns their
        errors, for the caller to keep its audio."""
        errors: list[SinkError] = []
        for sink in self.live:
            try:
                await sink.deliver(event.item)
            except SinkError as err:
                errors.append(err)
        self.observer.final(event)
        return errors

    async def change(self, rev: Revised) -> None:
        """A piece shown changed, or was taken back: to the sinks that can revise, and the
        observer."""
        for sink in self.live:
            try:
                await sink.revise(rev)
            except SinkError as err:
                self._failures.failed(err, rev.item)
        self.observer.revise(rev)

    async def to_later(self, item: Transcribed) -> None:
        """A final piece to the sinks that show only final text; raises stdout's error."""
        for sink in self.later:
            try:
                await sink.deliver(item)
            except SinkError as err:
                if sink.name == "stdout":
                    raise
                self._failures.failed(err, item)
