"""Every output a piece of text goes to, in order: the sinks that show it at once and can
change what they show (typing with xdotool, the clipboard, the captions screen, caption
files) and the observer; and the sinks that show only final text (stdout, typing on
Wayland, paste: ``final_only``). When a piece is final is decided in one place,
deliver/finality.py; this is the fan-out it drives.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from dictation.errors import SinkError

if TYPE_CHECKING:
    from dictation.output.sinks import Sink
    from dictation.records import Final, Revised, Transcribed


class Outputs:
    def __init__(self, sinks: Sequence[Sink], *, delivered: Callable[[Final], None],
                 revised: Callable[[Revised], None],
                 failed: Callable[[SinkError, Transcribed], None]) -> None:
        """``delivered``/``revised``: the observer; ``failed``: a sink other than stdout
        failed later than the delivery (the caller says so and keeps what it can)."""
        self.live = [s for s in sinks if not getattr(s, "final_only", False)]
        self.later = [s for s in sinks if getattr(s, "final_only", False)]
        self._delivered = delivered
        self._revised = revised
        self._failed = failed

    async def show(self, event: Final) -> list[SinkError]:
        """A new piece to the sinks that show it at once, and the observer. Returns their
        errors, for the caller to keep its audio."""
        errors: list[SinkError] = []
        for sink in self.live:
            try:
                await sink.deliver(event.item)
            except SinkError as err:
                errors.append(err)
        self._delivered(event)
        return errors

    async def change(self, rev: Revised) -> None:
        """A piece shown changed, or was taken back: to the sinks that can revise, and the
        observer."""
        for sink in self.live:
            if (revise := getattr(sink, "revise", None)) is None:
                continue
            try:
                await revise(rev)
            except SinkError as err:
                self._failed(err, rev.item)
        self._revised(rev)

    async def to_later(self, item: Transcribed) -> None:
        """A final piece to the sinks that show only final text; raises stdout's error."""
        for sink in self.later:
            try:
                await sink.deliver(item)
            except SinkError as err:
                if sink.name == "stdout":
                    raise
                self._failed(err, item)
