"""The endpointer through its interface, in-process and without audio: frames made up of a
speech flag and a level (their samples are silence), fed one at a time; an outlet that records
what it is given and answers "free", "idle" and "failed" as the test says; and the scripted
engine of scripted.py for the transcriptions it starts early (speculation, interims).

The outlet stands in for the delivery worker on purpose: the endpointer's contract with it is
this small protocol, and the real worker behind it is exercised by the core tests."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import numpy as np
from scripted import ScriptedEngine, Signal, spin

from dictation.audio.vad import Frame
from dictation.errors import DictationError
from dictation.records import Speech, Stats
from dictation.segment.endpointer import RELEASE_TAIL_S, Endpointer
from dictation.segment.segmenter import Segmenter
from dictation.text.guard import GuardConfig

F = 0.03
SILENT_PCM = np.zeros(480, np.int16)
LOUD, BACKGROUND = 3000.0, 10.0  # a frame's level and the background's: 50 dB apart


def frame(speech: bool, level: float | None = None) -> Frame:
    return Frame(SILENT_PCM, speech, LOUD if level is None and speech else level or BACKGROUND,
                 BACKGROUND)


def run(*parts: tuple[bool, float]) -> list[Frame]:
    """Frames from (is_speech, seconds) parts."""
    return [frame(speech) for speech, seconds in parts for _ in range(round(seconds / F))]


@dataclass
class Outlet:
    """The delivery side as the endpointer sees it."""

    free: bool = True
    idle: bool = True
    failed: DictationError | None = None
    prompt: str = "Earlier text."
    put_items: list[Speech] = field(default_factory=list)

    def next_prompt(self) -> str:
        return self.prompt

    def put(self, item: Speech) -> None:
        self.put_items.append(item)


def endpointer(outlet: Outlet, engine: ScriptedEngine | None = None, **kw: float
               ) -> tuple[Endpointer, Stats]:
    stats = Stats()
    ep = Endpointer(Segmenter(), engine or ScriptedEngine(Signal()), outlet,
                    guard=GuardConfig(), stats=stats, **kw)  # type: ignore[arg-type]
    return ep, stats


def feed(ep: Endpointer, frames: list[Frame]) -> list[tuple[int, Speech]]:
    """(index of the frame that ended it, the utterance) for each one put."""
    return [(i, s) for i, f in enumerate(frames) if (s := ep.frame(f)) is not None]


def pause_until_speculating(ep: Endpointer) -> int:
    """Silent frames until the endpointer speculates; how many it took. Nothing ends meanwhile."""
    for n in range(1, 100):
        assert ep.frame(frame(False)) is None
        if ep.speculation is not None:
            return n
    raise AssertionError("no speculation")


def test_an_utterance_is_put_once_when_its_pause_is_long_enough() -> None:
    outlet = Outlet()
    ep, stats = endpointer(outlet)
    frames = run((False, 0.6), (True, 1.2), (False, 1.5))
    [(at, speech)] = feed(ep, frames)
    assert outlet.put_items == [speech] and speech.seq == 1 and speech.generation == 0
    assert speech.speech_start_s == 0.6 and round(speech.speech_end_s, 2) == 1.8
    # It ended inside the pause, after the hangover, and the speech it holds is all of it.
    assert 1.8 + ep.segmenter.config.hangover_min_s <= (at + 1) * F <= 1.8 + 0.7 + F
    assert speech.start_s < 0.6 and len(speech.pcm) == round((speech.end_s - speech.start_s)
                                                              / F) * 480
    assert speech.heard.snr_db > 40 and not ep.active and stats.requests == 0


def test_each_utterance_gets_the_next_number() -> None:
    outlet = Outlet()
    ep, _ = endpointer(outlet)
    feed(ep, run((False, 0.6), *[(True, 0.8), (False, 1.5)] * 3))
    assert [s.seq for s in outlet.put_items] == [1, 2, 3]


def test_speech_that_hardly_rose_above_the_background_is_never_put() -> None:
    outlet = Outlet()
    ep, _ = endpointer(outlet)
    weak = [frame(False)] * 20 + [frame(True, BACKGROUND * 1.5)] * 40 + [frame(False)] * 50
    assert feed(ep, weak) == [] and outlet.put_items == []
    assert not ep.active  # the segmenter ended it all the same
    [(_, speech)] = feed(ep, run((True, 1.0), (False, 1.5)))
    assert speech.seq == 1  # a dropped utterance takes no number


def test_release_ends_the_utterance_at_once_with_a_short_tail() -> None:
    outlet = Outlet()
    ep, _ = endpointer(outlet)
    assert feed(ep, run((False, 0.3), (True, 1.0), (False, 0.45))) == []
    speech = ep.release()
    assert speech is not None and outlet.put_items == [speech]
    assert round(speech.end_s - speech.speech_end_s, 2) == RELEASE_TAIL_S
    assert feed(ep, run((True, 1.0), (False, 1.5))) == []  # released: nothing starts
    ep.open()
    assert [s.seq for _, s in feed(ep, run((True, 1.0), (False, 1.5)))] == [2]


def test_flush_makes_what_was_heard_an_utterance_and_end_leaves_nothing_open() -> None:
    outlet = Outlet()
    ep, _ = endpointer(outlet)
    feed(ep, run((False, 0.3), (True, 0.6)))
    assert ep.active and (flushed := ep.flush()) is not None and not ep.active
    assert round(flushed.speech_end_s, 2) == 0.9
    feed(ep, run((True, 0.9)))
    last = ep.end()
    assert last is not None and outlet.put_items == [flushed, last] and not ep.active


def test_cancel_drops_the_open_utterance_and_moves_to_the_next_generation() -> None:
    outlet = Outlet()
    ep, _ = endpointer(outlet)
    feed(ep, run((False, 0.3), (True, 1.0)))
    ep.cancel()
    assert not ep.active and feed(ep, run((False, 1.5))) == []
    [(_, speech)] = feed(ep, run((True, 1.0), (False, 1.5)))
    assert speech.generation == 1 and speech.seq == 1


def test_a_pause_is_transcribed_early_and_the_speculation_rides_with_its_utterance() -> None:
    async def main() -> None:
        engine = ScriptedEngine(Signal())
        outlet = Outlet()
        ep, stats = endpointer(outlet, engine, speculate_s=0.09)
        feed(ep, run((False, 0.3), (True, 0.9)))
        # Not before the pause reached the speculation's wait and half the hangover.
        silent = pause_until_speculating(ep)
        needed = ep.segmenter.needed_silence_s(1.2)
        assert silent * F >= 0.09 and abs(silent * F - needed / 2) <= 2 * F
        spec = ep.speculation
        assert spec is not None
        call = await engine.call(1)
        assert call.prompt == "Earlier text." and stats.requests == 1
        [(_, speech)] = feed(ep, run((False, 1.0)))
        assert speech.speculation is spec and ep.speculation is None
        # The speculation heard exactly the frames the utterance was put with.
        assert spec.frames * 480 == len(speech.pcm) == len(call.pcm)
        assert stats.speculations_discarded == 0 and len(engine.calls) == 1

    asyncio.run(main())


def test_speech_after_a_speculation_discards_it_and_the_pacer_waits_longer() -> None:
    async def main() -> None:
        engine = ScriptedEngine(Signal())
        ep, stats = endpointer(Outlet(), engine, speculate_s=0.09)
        assert ep.pacer is not None
        feed(ep, run((False, 0.3), (True, 0.9)))
        pause_until_speculating(ep)
        call = await engine.call(1)
        wait = ep.pacer.wait_s
        assert feed(ep, run((True, 0.3))) == []  # the speaker went on
        await spin()
        assert call.cancelled and ep.speculation is None
        assert stats.speculations_discarded == 1 and ep.pacer.wait_s > wait

    asyncio.run(main())


def test_no_speculation_while_delivery_is_busy_or_the_run_failed() -> None:
    async def main() -> None:
        for outlet in (Outlet(free=False), Outlet(failed=DictationError("bad key"))):
            engine = ScriptedEngine(Signal())
            ep, stats = endpointer(outlet, engine, speculate_s=0.09)
            [(_, speech)] = feed(ep, run((False, 0.3), (True, 1.5), (False, 1.5)))
            assert speech.speculation is None and engine.calls == [] and stats.requests == 0

    asyncio.run(main())


def test_interims_follow_the_open_utterance_only_while_delivery_is_idle() -> None:
    async def main() -> None:
        engine = ScriptedEngine(Signal())
        outlet = Outlet(idle=False)
        ep, stats = endpointer(outlet, engine, interim_s=0.3)
        feed(ep, run((False, 0.3), (True, 1.0)))
        await spin()
        assert engine.calls == [] and stats.interims == 0  # busy delivery: ticks pass by
        outlet.idle = True
        feed(ep, run((True, 0.5)))
        call = await engine.call(1)
        assert stats.interims == 1 and call.prompt == "Earlier text."
        feed(ep, run((False, 1.5)))  # the utterance is put: its interim is never shown
        await spin()
        assert len(outlet.put_items) == 1 and call.cancelled

    asyncio.run(main())
