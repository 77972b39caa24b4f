"""The scheduler of engine calls: in a lane of one slot, calls go in priority order (a final
before a speculation before a refinement before an interim), a promoted speculation moves up,
a discarded call frees its place, and every call is counted once, when the engine takes it.
The engine is the scripted one of the core tests: its answers are what these are about."""

from __future__ import annotations

import asyncio

import numpy as np
from scripted import ScriptedEngine, Signal

from dictation.records import Kind, Stats
from dictation.transcribe import Hint
from dictation.transcribe.scheduler import Lane, Scheduler

PCM = np.zeros(1600, np.int16)


def test_a_one_slot_lane_takes_calls_in_priority_order_and_a_promoted_one_moves_up() -> None:
    async def main() -> None:
        engine, stats = ScriptedEngine(Signal()), Stats()
        s = Scheduler(engine, stats, Lane(slots=1))  # type: ignore[arg-type]
        first = s.start(Kind.INTERIM, PCM, "interim")  # takes the free slot at once
        interim = s.start(Kind.INTERIM, PCM, "later interim")
        refine = s.start(Kind.REFINE, PCM, "refine")
        spec = s.start(Kind.SPECULATION, PCM, "speculation")
        final = s.start(Kind.FINAL, PCM, "final")
        await engine.call(1)
        assert [c.prompt for c in engine.calls] == ["interim"] and stats.requests == 1
        spec.promote(Kind.FINAL)  # its utterance ended: it goes before the later final
        order = []
        for n in range(2, 6):
            engine.calls[n - 2].answer(f"answer {n - 1}")
            order.append((await engine.call(n)).prompt)
        assert order == ["speculation", "final", "refine", "later interim"]
        engine.calls[-1].answer("last")
        assert (await spec.result()).text == "answer 2"
        assert (await final.result()).text == "answer 3"
        await asyncio.gather(first.task, interim.task, refine.task)
        assert stats.requests == 5 and stats.interims == 2

    asyncio.run(main())


def test_a_discarded_call_frees_its_place_and_its_slot() -> None:
    async def main() -> None:
        engine, stats = ScriptedEngine(Signal()), Stats()
        s = Scheduler(engine, stats, Lane(slots=1))  # type: ignore[arg-type]
        running = s.start(Kind.SPECULATION, PCM, "running")
        queued = s.start(Kind.INTERIM, PCM, "queued")
        after = s.start(Kind.REFINE, PCM, "after")
        await engine.call(1)
        queued.discard()  # never taken: it leaves the queue, uncounted
        running.discard()  # taken: its slot is free at once, whatever its task does
        assert (await engine.call(2)).prompt == "after"
        engine.calls[1].answer("done")
        assert (await after.result()).text == "done"
        assert stats.requests == 2 and stats.interims == 0
        assert stats.speculations_discarded == 1 and engine.calls[0].cancelled

    asyncio.run(main())


def test_without_a_limit_every_call_runs_at_once() -> None:
    async def main() -> None:
        engine = ScriptedEngine(Signal())
        s = Scheduler(engine, Stats())  # type: ignore[arg-type]
        calls = [s.start(kind, PCM, kind.name) for kind in reversed(Kind)]
        await engine.call(len(calls))
        assert engine.in_flight == len(calls)
        engine.answer_all(lambda call: call.prompt)
        assert [(await c.result()).text for c in calls] == [k.name for k in reversed(Kind)]

    asyncio.run(main())


def test_an_interim_is_asked_as_a_draft_and_nothing_else_is() -> None:
    # A draft is never redone the engine's slow way (transcribe/local.py): only a caption's
    # text may be left doubtful, never a final's, a speculation's or a refinement's.
    async def main() -> None:
        engine = ScriptedEngine(Signal())
        s = Scheduler(engine, Stats())  # type: ignore[arg-type]
        calls = [s.start(kind, PCM, kind.name, hint=Hint(language="fr")) for kind in Kind]
        await engine.call(len(calls))
        asked = {c.prompt: c.hint for c in engine.calls}
        assert {k: h.draft for k, h in asked.items()} == {
            "FINAL": False, "SPECULATION": False, "REFINE": False, "INTERIM": True}
        assert {h.language for h in asked.values()} == {"fr"}  # the rest of the hint kept
        engine.answer_all(lambda call: call.prompt)
        await asyncio.gather(*(c.task for c in calls))

    asyncio.run(main())
