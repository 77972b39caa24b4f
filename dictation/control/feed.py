"""The daemon's state changes pushed to every `dictation status --follow` that is connected:
an observer of the pipeline (it hears each change once), read by the control server.

A follower that reads slowly loses the oldest changes it has not read, never the newest: each
change is a whole status, so the last one it gets is always the truth.
"""

from __future__ import annotations

import asyncio

from dictation.records import Quiet

MAX_FOLLOWERS = 16  # a bar per screen, a few terminals; more is a runaway client
QUEUED = 32  # changes kept for a follower that has not read them yet


class StatusFeed(Quiet):
    def __init__(self) -> None:
        self._queues: set[asyncio.Queue[dict[str, object] | None]] = set()
        self.closed = False

    def add(self) -> asyncio.Queue[dict[str, object] | None]:
        """A queue of the changes from now on (None in it: the daemon is closing); give it
        back to :meth:`remove`."""
        if len(self._queues) >= MAX_FOLLOWERS:
            raise ValueError(f"too many followers (at most {MAX_FOLLOWERS})")
        queue: asyncio.Queue[dict[str, object] | None] = asyncio.Queue(QUEUED)
        self._queues.add(queue)
        return queue

    @property
    def followers(self) -> int:
        return len(self._queues)

    def remove(self, queue: asyncio.Queue[dict[str, object] | None]) -> None:
        self._queues.discard(queue)

    def state(self, status: dict[str, object]) -> None:
        for queue in self._queues:
            _put(queue, dict(status))

    def close(self) -> None:
        """Every follower is told the daemon is going; none is taken from now on."""
        self.closed = True
        for queue in self._queues:
            _put(queue, None)


def _put(queue: asyncio.Queue[dict[str, object] | None], item: dict[str, object] | None) -> None:
    if queue.full():
        queue.get_nowait()  # the oldest change: a newer status says more
    queue.put_nowait(item)
