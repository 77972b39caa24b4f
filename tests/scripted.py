"""The scripted parts of the in-process core tests: an engine whose every answer and its timing
the test gives, a sink and an observer that record what comes out, and one ``Signal`` they all
poke, so that a test waits for what it needs (an engine call, a delivered text) and never for
a time. The engine is the only fake in these tests, because its answers and their timing are
what they are about.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from dictation.audio.vad import SAMPLE_RATE
from dictation.records import Final, Interim, Quiet, Revised, Transcribed
from dictation.transcribe import Hint, Transcript

# Only a guard against a hang, so that a broken pipeline fails the test instead of stalling
# the suite; every wait ends on an event long before it on any machine.
GUARD_S = 20.0


# --- waiting on events ---------------------------------------------------------------------


class Signal:
    """Every part pokes it when something happened; a test waits for its condition to hold."""

    def __init__(self) -> None:
        self._waiters: list[tuple[Callable[[], bool], asyncio.Future[None]]] = []

    def poke(self) -> None:
        for cond, fut in self._waiters:
            if fut.done():
                continue
            try:
                if cond():
                    fut.set_result(None)
            except Exception as err:  # a broken condition fails the test, not the pipeline
                fut.set_exception(err)
        self._waiters = [(c, f) for c, f in self._waiters if not f.done()]

    async def until(self, cond: Callable[[], bool], what: str) -> None:
        if cond():
            return
        fut = asyncio.get_running_loop().create_future()
        self._waiters.append((cond, fut))
        try:
            await asyncio.wait_for(fut, GUARD_S)
        except TimeoutError:
            raise AssertionError(f"never happened: {what}") from None


async def spin(rounds: int = 200) -> None:
    """Let every ready task run, for a few milliseconds: only to check that something does
    NOT happen, which no event can announce. Not a wait for anything."""
    for _ in range(rounds):
        await asyncio.sleep(0)


# --- the scripted engine -------------------------------------------------------------------


@dataclass
class Call:
    """One transcription request; the test answers it, fails it, or lets it be cancelled."""

    n: int
    pcm: np.ndarray
    prompt: str
    future: asyncio.Future[Transcript]
    hint: Hint | None = None
    cancelled: bool = False
    returned: bool = False

    @property
    def seconds(self) -> float:
        return len(self.pcm) / SAMPLE_RATE

    def answer(self, text: str, language: str | None = None) -> None:
        self.future.set_result(Transcript(text, language=language))

    def fail(self, err: Exception) -> None:
        self.future.set_exception(err)


class ScriptedEngine:
    """A Transcriber whose answers and their timing the test controls."""

    description = "scripted engine"
    slots = None  # every call at once: the test answers them in the order it wants
    languages: tuple[str, ...] = ()  # any: the test says which, with each answer

    def __init__(self, signal: Signal) -> None:
        self.signal = signal
        self.calls: list[Call] = []
        self.in_flight = 0
        self.most_in_flight = 0  # the most requests ever awaited at once
        # Answers every request from now on (one it gives None is left for the test).
        self.auto: Callable[[Call], str | None] | None = None

    async def prepare(self) -> None:
        pass

    async def transcribe(self, pcm: np.ndarray, prompt: str, hint: Hint | None = None
                         ) -> Transcript:
        call = Call(len(self.calls) + 1, pcm.copy(), prompt,
                    asyncio.get_running_loop().create_future(), hint=hint)
        self.calls.append(call)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        if self.auto and (text := self.auto(call)) is not None:
            call.answer(text)
        self.signal.poke()
        try:
            return await call.future
        except asyncio.CancelledError:
            call.cancelled = True
            raise
        finally:
            self.in_flight -= 1
            call.returned = not call.cancelled
            self.signal.poke()

    async def aclose(self) -> None:
        pass

    def answer_all(self, text: Callable[[Call], str | None]) -> None:
        """Answer the requests waiting now and every later one with ``text(call)``; those
        it gives None wait for the test."""
        self.auto = text
        for call in self.calls:
            if not call.future.done() and (answer := text(call)) is not None:
                call.answer(answer)

    async def call(self, n: int) -> Call:
        """Request ``n`` (1-based), once it was made."""
        await self.signal.until(lambda: len(self.calls) >= n, f"engine request {n}")
        return self.calls[n - 1]


# --- what comes out ------------------------------------------------------------------------


class RecordingSink:
    """A sink that shows each piece at once and takes its revisions."""

    name = "record"
    final_only = False

    def __init__(self, signal: Signal) -> None:
        self.signal = signal
        self.items: list[Transcribed] = []
        self.revisions: list[Revised] = []

    async def aclose(self) -> None:
        pass

    async def deliver(self, item: Transcribed) -> None:
        self.items.append(item)
        self.signal.poke()

    async def revise(self, rev: Revised) -> None:
        self.revisions.append(rev)
        self.signal.poke()

    @property
    def shown(self) -> str:
        """The session's text as this sink shows it, revisions applied."""
        pieces = {i.seq: i.piece for i in self.items}
        for rev in self.revisions:
            pieces[rev.seq] = rev.new
        return "".join(pieces[i.seq] for i in self.items)

    @property
    def texts(self) -> list[str]:
        return [i.text for i in self.items]


class RecordingObserver(Quiet):
    def __init__(self, signal: Signal) -> None:
        self.signal = signal
        self.blocks = 0
        self.states: list[dict[str, object]] = []
        self.finals: list[Final] = []
        self.interims: list[Interim] = []
        self.revisions: list[Revised] = []

    def block(self) -> None:
        self.blocks += 1
        self.signal.poke()

    def state(self, status: dict[str, object]) -> None:
        self.states.append(status)
        self.signal.poke()

    def final(self, event: Final) -> None:
        self.finals.append(event)
        self.signal.poke()

    def interim(self, event: Interim) -> None:
        self.interims.append(event)
        self.signal.poke()

    def revise(self, event: Revised) -> None:
        self.revisions.append(event)
        self.signal.poke()

    def seen(self, state: str) -> bool:
        return any(s["state"] == state for s in self.states)
