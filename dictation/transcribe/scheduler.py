"""Every engine call goes through one scheduler: a finished utterance's final, a speculation
on a pause, an interim for the captions, a refinement, the language of a fragment's
continuation before they are joined. It starts each call, counts it, and
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
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from dictation.records import Kind
from dictation.transcribe import Hint
from dictation.transcript import Detector

if TYPE_CHECKING:
    import numpy as np

    from dictation.records import Stats
    from dictation.transcribe import Transcriber, Transcript


class Call:
    """One engine call, from :meth:`Scheduler.start` to its use or :meth:`discard`."""

    def __init__(self, scheduler: Scheduler, kind: Kind, pcm: np.ndarray, prompt: str,
                 after: Callable[[Transcript], Awaitable[Any]] | None,
                 hint: Hint | None = None,
                 ask: Callable[[], Awaitable[Any]] | None = None) -> None:
        """``ask``: what the engine is asked instead of a transcription (its detector)."""
        self.kind = kind
        self.transcribes = ask is None  # a transcription: counted as a request
        self.speculative = kind is Kind.SPECULATION  # counted as one when discarded
        self.pcm = pcm
        self.prompt = prompt
        self.asked = scheduler.clock()  # when it was asked for
        self.elapsed_s: float | None = None
        """From asked to answered, its wait for the engine included: what the asker waited
        (a speculation's budget is counted so; see segment/speculate.py)."""
        self.discarded = False
        self._scheduler = scheduler
        self._after = after
        self._hint = hint
        self._ask = ask
        self._turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.task: asyncio.Task[Any] = asyncio.create_task(self._run())

    async def _run(self) -> Any:
        s = self._scheduler
        try:
            await self._turn
            if self._ask is not None:
                return await self._ask()
            result = await s.transcriber.transcribe(self.pcm, self.prompt, self._hint)
            self.elapsed_s = s.clock() - self.asked
            return result if self._after is None else await self._after(result)
        finally:
            s.finished(self)

    def go(self) -> None:
        """Its turn came: the engine takes it now."""
        if not self._turn.done():
            self._scheduler.taken(self)
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


class Lane:
    """What an engine's calls wait for: a local engine decodes one at a time (``slots`` 1);
    a server queues its requests itself (``slots`` None). A refiner has a lane of its own, so
    it never holds the fast engine's turn (pipeline.py)."""

    def __init__(self, slots: int | None = None) -> None:
        self.slots = slots
        self.running: set[Call] = set()
        self.waiting: list[tuple[int, int, Call]] = []
        self.order = itertools.count()

    def add(self, call: Call) -> None:
        heapq.heappush(self.waiting, (call.kind, next(self.order), call))
        self.dispatch()

    def remove(self, call: Call) -> None:
        """``call`` is done or discarded: its slot, or its place in the queue, is free."""
        if call in self.running:  # a cancelled task may never reach its finally
            self.running.discard(call)
        else:
            self.waiting = [w for w in self.waiting if w[2] is not call]
            heapq.heapify(self.waiting)
        self.dispatch()

    def reorder(self) -> None:
        self.waiting = [(c.kind, n, c) for _, n, c in self.waiting]
        heapq.heapify(self.waiting)
        self.dispatch()

    def dispatch(self) -> None:
        while self.waiting and (self.slots is None or len(self.running) < self.slots):
            _, _, call = heapq.heappop(self.waiting)
            self.running.add(call)
            call.go()


class Scheduler:
    """One engine's calls, in ``lane`` (by default a lane of its own that takes every call
    at once)."""

    def __init__(self, transcriber: Transcriber, stats: Stats, lane: Lane | None = None
                 ) -> None:
        self.transcriber = transcriber
        self.description = transcriber.description
        self.stats = stats
        self.lane = lane or Lane()
        self.clock = time.monotonic  # how long calls take: a test's own clock
        self._calls: set[Call] = set()

    async def prepare(self) -> None:
        await self.transcriber.prepare()

    async def aclose(self) -> None:
        for call in list(self._calls):
            call.discard()
        await self.transcriber.aclose()

    def start(self, kind: Kind, pcm: np.ndarray, prompt: str,
              after: Callable[[Transcript], Awaitable[Any]] | None = None,
              hint: Hint | None = None) -> Call:
        """A call, running as soon as its turn comes; ``after``: what becomes of its text
        before it is the call's result (e.g. the guard's verdict, off the loop); ``hint``:
        what is known of its language."""
        if kind is Kind.INTERIM:  # never a final's text: not worth the engine's slow path
            hint = replace(hint or Hint(), draft=True)
        return self._queued(Call(self, kind, pcm, prompt, after, hint))

    async def transcribe(self, kind: Kind, pcm: np.ndarray, prompt: str,
                         hint: Hint | None = None) -> Transcript:
        """One call, awaited at once; cancelling the caller discards it."""
        return await self._await(self.start(kind, pcm, prompt, hint=hint))

    async def languages_of(self, pcm: np.ndarray, previous: str | None) -> tuple[str, ...]:
        """The languages the engine would decode ``pcm`` in (Detector.languages_of), asked
        with a final's priority; () from an engine without a detector."""
        engine = self.transcriber
        if not isinstance(engine, Detector) or len(engine.languages) == 1:
            return ()
        return await self._await(self._queued(
            Call(self, Kind.FINAL, pcm, "", None, ask=lambda: engine.languages_of(pcm, previous))))

    def _queued(self, call: Call) -> Call:
        self._calls.add(call)
        self.lane.add(call)
        return call

    async def _await(self, call: Call) -> Any:
        try:
            return await asyncio.shield(call.task)
        except asyncio.CancelledError:
            call.discard()
            raise

    # --- what its calls report --------------------------------------------------------------

    def taken(self, call: Call) -> None:
        """The engine takes ``call`` now."""
        if not call.transcribes:
            return
        self.stats.requests += 1  # counted when the engine takes it, not when asked
        if call.kind is Kind.INTERIM:
            self.stats.interims += 1

    def finished(self, call: Call) -> None:
        self._calls.discard(call)
        self.lane.remove(call)

    def discarded(self, call: Call) -> None:
        if call.speculative:
            self.stats.speculations_discarded += 1
        self.finished(call)

    def reorder(self) -> None:
        self.lane.reorder()
