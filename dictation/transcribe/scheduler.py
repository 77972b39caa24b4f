"""Every engine call goes through one scheduler: a finished utterance's final, a speculation
on a pause, an interim for the captions, a refinement. It starts each call, counts it, and
owns it until its result is used or it is discarded (cancelled, its outcome retrieved so an
error in an abandoned call is never reported as unhandled). The stages that ask hold a
:class:`Call` handle and start no task of their own.

Calls have a priority (:class:`Kind`). An engine with a limit on calls at once (the local
engine runs one decode at a time on the machine's cores) takes them in priority order, a
finished utterance's final first, interims and refinements last; a speculation that becomes
its utterance's final moves up with it (:meth:`Call.promote`).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from dictation.records import Kind

if TYPE_CHECKING:
    import numpy as np

    from dictation.records import Stats
    from dictation.transcribe import Transcriber, Transcript


class Call:
    """One engine call, from :meth:`Scheduler.start` to its use or :meth:`discard`."""

    def __init__(self, scheduler: Scheduler, kind: Kind, pcm: np.ndarray, prompt: str,
                 after: Callable[[Transcript], Awaitable[Any]] | None) -> None:
        self.kind = kind
        self.speculative = kind is Kind.SPECULATION  # counted as one when discarded
        self.pcm = pcm
        self.prompt = prompt
        self.began = 0.0  # monotonic time the engine took it
        self.elapsed_s: float | None = None  # how long the engine took, once it answered
        self.discarded = False
        self._scheduler = scheduler
        self._after = after
        self._turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.task: asyncio.Task[Any] = asyncio.create_task(self._run())

    async def _run(self) -> Any:
        s = self._scheduler
        try:
            await self._turn
            self.began = s.clock()
            result = await s.transcriber.transcribe(self.pcm, self.prompt)
            self.elapsed_s = s.clock() - self.began
            return result if self._after is None else await self._after(result)
        finally:
            s.finished(self)

    def go(self) -> None:
        """Its turn came: the engine takes it now."""
        if not self._turn.done():
            self._turn.set_result(None)

    def done(self) -> bool:
        return self.task.done()

    def value(self) -> Any:
        """A finished call's result (what ``after`` made of it); None if it failed or was
        cancelled."""
        if not self.task.done() or self.task.cancelled() or self.task.exception():
            return None
        return self.task.result()

    async def result(self) -> Any:
        """Wait for the call's result; raises its error."""
        return await self.task

    def promote(self, kind: Kind) -> None:
        """The call is now for ``kind`` (a speculation that is its utterance's final)."""
        if kind < self.kind:
            self.kind = kind
            self._scheduler.reorder()

    def then(self, callback: Callable[[Call], None]) -> None:
        """Call ``callback(call)`` on the loop once it is done, whatever the outcome."""
        self.task.add_done_callback(lambda _task: callback(self))

    def discard(self) -> None:
        """Abandoned: its text would be stale, or is no longer wanted."""
        if self.discarded:
            return
        self.discarded = True
        self._scheduler.discarded(self)
        self.task.cancel()
        # Retrieve its outcome so an error in an abandoned call is not reported as unhandled.
        self.task.add_done_callback(lambda t: t.cancelled() or t.exception())


class Scheduler:
    """The engine behind one queue. ``slots``: calls the engine takes at once (None: all;
    a server queues them itself)."""

    def __init__(self, transcriber: Transcriber, stats: Stats, slots: int | None = None
                 ) -> None:
        self.transcriber = transcriber
        self.description = transcriber.description
        self.stats = stats
        self.slots = slots
        self._running: set[Call] = set()
        self._waiting: list[tuple[int, int, Call]] = []
        self._order = itertools.count()
        self.clock = time.monotonic  # how long the engine takes: a test's own clock

    async def prepare(self) -> None:
        await self.transcriber.prepare()

    async def aclose(self) -> None:
        for call in [*self._running, *(c for _, _, c in self._waiting)]:
            call.discard()
        await self.transcriber.aclose()

    def start(self, kind: Kind, pcm: np.ndarray, prompt: str,
              after: Callable[[Transcript], Awaitable[Any]] | None = None) -> Call:
        """A call, running as soon as its turn comes; ``after``: what becomes of its text
        before it is the call's result (e.g. the guard's verdict, off the loop)."""
        call = Call(self, kind, pcm, prompt, after)
        heapq.heappush(self._waiting, (kind, next(self._order), call))
        self._dispatch()
        return call

    async def transcribe(self, kind: Kind, pcm: np.ndarray, prompt: str) -> Transcript:
        """One call, awaited at once; cancelling the caller discards it."""
        call = self.start(kind, pcm, prompt)
        try:
            return await asyncio.shield(call.task)
        except asyncio.CancelledError:
            call.discard()
            raise

    # --- the queue --------------------------------------------------------------------------

    def finished(self, call: Call) -> None:
        self._running.discard(call)
        self._dispatch()

    def discarded(self, call: Call) -> None:
        if call.speculative:
            self.stats.speculations_discarded += 1
        if call in self._running:  # its slot is free (a cancelled task may never run)
            self._running.discard(call)
        else:  # never taken: it leaves the queue
            self._waiting = [w for w in self._waiting if w[2] is not call]
            heapq.heapify(self._waiting)
        self._dispatch()

    def reorder(self) -> None:
        self._waiting = [(c.kind, n, c) for _, n, c in self._waiting]
        heapq.heapify(self._waiting)
        self._dispatch()

    def _dispatch(self) -> None:
        while self._waiting and (self.slots is None or len(self._running) < self.slots):
            _, _, call = heapq.heappop(self._waiting)
            self._running.add(call)
            self.stats.requests += 1  # counted when the engine takes it, not when asked
            if call.kind is Kind.INTERIM:
                self.stats.interims += 1
            call.go()
