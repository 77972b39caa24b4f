"""The worker's queue: utterances in the order they were spoken, and among them the markers
that must keep their place (an undo takes back what was said before it; a refinement is
applied after the utterances that were queued when it came back); how many utterances wait;
and the event that lets a file read on once the worker took one."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

from dictation.records import Speech


@dataclass(frozen=True)
class Undo:
    """Take back the newest piece (``dictation ctl undo``)."""


@dataclass(frozen=True)
class Back:
    """The refinement of piece ``seq`` is back, or was given up: apply it in turn."""

    seq: int


Turn = Speech | Undo | Back


class Turns:
    def __init__(self) -> None:
        self._queue: asyncio.Queue[Turn | None] = asyncio.Queue()
        self.waiting = 0
        """Utterances in the queue, markers aside."""
        self.taken = asyncio.Event()
        """The worker took an item, or capture may resume (set by others too)."""

    def __len__(self) -> int:
        return self._queue.qsize()

    def put(self, item: Turn) -> None:
        self._queue.put_nowait(item)
        if isinstance(item, Speech):
            self.waiting += 1

    def end(self) -> None:
        """Nothing more comes: the worker stops once it took what is queued."""
        self._queue.put_nowait(None)

    async def next(self) -> Turn | None:
        """The next item, once there is one; None: the end."""
        item = await self._queue.get()
        if item is not None:
            self.taken.set()
        if isinstance(item, Speech):
            self.waiting -= 1
        return item

    async def taken_or(self, timeout_s: float) -> None:
        """Return once the worker took an item (or ``taken`` was set), or after
        ``timeout_s``."""
        self.taken.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.taken.wait(), timeout_s)
