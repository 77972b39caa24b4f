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
import pytest
from scripted import ScriptedEngine, Signal, spin

from dictation.audio.vad import Frame
from dictation.errors import DictationError
from dictation.records import Speculation, Speech, Stats
from dictation.segment.endpointer import RELEASE_TAIL_S, Endpointer
from dictation.segment.segmenter import Segmenter
from dictation.text.boundary import BoundaryConfig, punctuates
from dictation.text.guard import GuardConfig
from dictation.transcribe.scheduler import Lane, Scheduler

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
    started: list[float] = field(default_factory=list)

    def next_hint(self) -> None:
        return None

    def next_prompt(self) -> str:
        return self.prompt

    @property
    def punctuates(self) -> bool:
        # As delivery reads it, from the texts delivered: here those of the speculations the
        # utterances put carried, once back.
        return punctuates([s.speculation.call.value().text for s in self.put_items
                           if s.speculation and s.speculation.call.value() is not None])

    def put(self, item: Speech) -> None:
        self.put_items.append(item)

    def speaking(self, start_s: float) -> None:
        self.started.append(start_s)


def endpointer(outlet: Outlet, engine: ScriptedEngine | None = None, **kw: object
               ) -> tuple[Endpointer, Stats]:
    stats = Stats()
    scheduler = Scheduler(engine or ScriptedEngine(Signal()), stats)  # type: ignore[arg-type]
    ep = Endpointer(Segmenter(), scheduler, outlet, guard=GuardConfig(),
                    **kw)  # type: ignore[arg-type]
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


def test_each_utterance_says_when_its_first_word_began_as_it_opens() -> None:
    # Delivery decides from the pause before it whether a sentence was a thought broken off.
    outlet = Outlet()
    ep, _ = endpointer(outlet)
    feed(ep, run((False, 0.6), (True, 0.8), (False, 1.5)))
    assert outlet.started == [0.6] and len(outlet.put_items) == 1
    feed(ep, run((True, 0.06)))  # reported while the utterance is still being spoken
    assert outlet.started == pytest.approx([0.6, 2.9], abs=F) and len(outlet.put_items) == 1
    feed(ep, run((True, 0.5), (False, 1.5)))
    assert [s.speech_start_s for s in outlet.put_items] == outlet.started


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
        # Its text, a finished sentence, ends the utterance on the frames it heard.
        await answered(engine, 1, "Done.")
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
        assert ep.specs is not None
        feed(ep, run((False, 0.3), (True, 0.9)))
        pause_until_speculating(ep)
        call = await engine.call(1)
        wait = ep.specs.pacer.wait_s
        assert feed(ep, run((True, 0.3))) == []  # the speaker went on
        await spin()
        assert call.cancelled and ep.speculation is None
        assert stats.speculations_discarded == 1 and ep.specs.pacer.wait_s > wait

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


def test_no_interim_starts_in_a_pause_and_a_slow_engines_come_less_often() -> None:
    async def main() -> None:
        engine = ScriptedEngine(Signal())
        outlet = Outlet(idle=True)
        ep, stats = endpointer(outlet, engine, interim_s=0.3)
        ticks = iter(range(10**6))
        ep.interims.engine.clock = lambda: next(ticks) * 0.6  # 0.6 s an answer
        feed(ep, run((False, 0.3), (True, 0.25), (False, 0.12)))  # a pause as one was due
        await spin()
        assert engine.calls == []  # the utterance may be ending: the engine stays free
        feed(ep, run((True, 0.1)))  # speech again: the interim due comes now
        running = ep.interims._call
        (await engine.call(1)).answer("Hello")
        await running.task  # judged off the loop, in a thread: waited for, not spun
        await asyncio.sleep(0)  # its done callback, scheduled as it finished
        feed(ep, run((True, 0.9)))  # 0.3 s apart was due; twice 0.6 s is what waits now
        assert len(engine.calls) == 1
        feed(ep, run((True, 0.4)))
        await engine.call(2)
        assert stats.interims == 2

    asyncio.run(main())


async def answered(engine: ScriptedEngine, n: int, text: str) -> None:
    """Answer request ``n`` with ``text`` and let its task finish."""
    call = await engine.call(n)
    call.answer(text)
    await engine.signal.until(lambda: call.returned, f"request {n} answered")


def test_a_finished_sentence_ends_its_utterance_at_once_on_the_speculated_frames() -> None:
    async def main() -> None:
        engine = ScriptedEngine(Signal())
        outlet = Outlet()
        ep, stats = endpointer(outlet, engine, speculate_s=0.09)
        feed(ep, run((False, 0.3), (True, 0.9)))
        silent = pause_until_speculating(ep)
        spec = ep.speculation
        assert spec is not None
        await answered(engine, 1, "Spoken early.")
        # The next frame ends it, long before the hangover would have.
        [(_, speech)] = feed(ep, [frame(False)])
        assert (silent + 1) * F < ep.segmenter.needed_silence_s(1.2) - 2 * F
        assert speech.speculation is spec and len(speech.pcm) == spec.frames * 480
        assert not ep.active and stats.requests == 1 and stats.speculations_discarded == 0
        # The rest of the pause is the next utterance's pre-roll: nothing starts from it.
        assert feed(ep, run((False, 1.5))) == [] and len(engine.calls) == 1

    asyncio.run(main())


def test_an_unfinished_sentence_holds_its_pause_and_goes_on_as_one_utterance() -> None:
    async def main() -> None:
        engine = ScriptedEngine(Signal())
        outlet = Outlet()
        ep, stats = endpointer(outlet, engine, speculate_s=0.09)
        feed(ep, run((False, 0.3), (True, 0.9)))
        pause_until_speculating(ep)
        await answered(engine, 1, "The meeting is at")
        # A 1.1 s thinking pause: twice the hangover, under the hold.
        assert feed(ep, run((False, 1.1 - 0.3))) == [] and ep.active
        assert feed(ep, run((True, 1.0))) == []
        assert engine.calls[0].returned and stats.speculations_discarded == 1
        silent = pause_until_speculating(ep)  # a breath: 3 s of it are long speech
        await answered(engine, 2, "The meeting is at noon.")
        # Finished: it ends once the pause is as long as the shortest that ends any.
        [(at, speech)] = feed(ep, run((False, 0.5)))
        assert (silent + at + 1) * F == pytest.approx(ep.segmenter.config.hangover_min_s)
        # One utterance: all the speech, both parts, in the second request.
        assert speech.speech_start_s == 0.3 and speech.speech_end_s > 0.3 + 0.9 + 1.1 + 0.9
        assert len(engine.calls[1].pcm) == len(speech.pcm) and stats.requests == 2

    asyncio.run(main())


def test_a_pause_after_an_unfinished_sentence_ends_it_after_the_hold() -> None:
    async def main() -> None:
        engine = ScriptedEngine(Signal())
        ep, stats = endpointer(Outlet(), engine, speculate_s=0.09)
        hold = ep.specs.config.hold_s if ep.specs else 0
        feed(ep, run((False, 0.3), (True, 0.9)))
        silent = pause_until_speculating(ep)
        await answered(engine, 1, "The meeting is at")
        ended = feed(ep, run((False, 3.0)))
        [(at, speech)] = ended
        needed = ep.segmenter.needed_silence_s(1.2) + hold  # pre-roll and speech
        assert abs((silent + at + 1) * F - needed) <= F
        assert speech.speculation is not None and stats.requests == 1  # its text is reused

    asyncio.run(main())


def test_the_hangover_waits_for_a_speculation_still_at_the_engine_but_not_for_ever() -> None:
    async def main() -> None:
        engine = ScriptedEngine(Signal())
        ep, _ = endpointer(Outlet(), engine, speculate_s=0.09)
        hold = ep.specs.config.hold_s if ep.specs else 0
        feed(ep, run((False, 0.3), (True, 0.9)))
        silent = pause_until_speculating(ep)
        [(at, speech)] = feed(ep, run((False, 3.0)))  # never answered
        assert abs((silent + at + 1) * F - ep.segmenter.needed_silence_s(1.2) - hold) <= F
        assert speech.speculation is not None

    asyncio.run(main())


def test_an_engine_that_stopped_punctuating_loses_the_end_mark_rule() -> None:
    async def main() -> None:
        engine = ScriptedEngine(Signal())
        outlet = Outlet()
        ep, _ = endpointer(outlet, engine, speculate_s=0.09)
        needed = ep.segmenter.needed_silence_s(0.9)
        ends = []
        for n in range(1, 5):
            feed(ep, run((True, 0.9)))
            silent = pause_until_speculating(ep)
            await answered(engine, n, "we will meet on friday")
            [(at, _)] = feed(ep, run((False, 3.0)))
            ends.append((silent + at + 1) * F)
            await spin()  # the final's text is read when its task is done
        # Held as unfinished while there is no evidence; once three finals in a row lack
        # an end mark, the engine no longer punctuates and the same text ends at once.
        assert all(t > needed + 1 for t in ends[:3]) and ends[3] < needed

    asyncio.run(main())


def breath_candidate(ep: Endpointer, engine: ScriptedEngine) -> Speculation:
    """3.6 s of speech, a breath of one frame, more speech; the breath's text is a finished
    sentence: a candidate for a cut, nothing cut yet."""
    feed(ep, run((False, 0.3), (True, 3.3)))
    assert feed(ep, [frame(False)]) == []
    spec = ep.speculation
    assert spec is not None and spec.frames == ep.segmenter.open_frames
    # The speaker goes on: a long utterance's breath is kept, its text may cut there.
    assert feed(ep, run((True, 0.6))) == [] and ep.speculation is spec
    return spec


def test_a_breath_whose_sentence_end_the_next_text_confirms_cuts_long_speech_back_there(
        ) -> None:
    async def main() -> None:
        engine = ScriptedEngine(Signal())
        ep, stats = endpointer(Outlet(), engine, speculate_s=0.09)
        spec = breath_candidate(ep, engine)
        await answered(engine, 1, "The first sentence ends here.")
        assert feed(ep, [frame(True)]) == [] and ep.specs and ep.specs.candidates.standing is spec
        assert feed(ep, [frame(False), *run((True, 0.3))]) == []  # the next breath
        await answered(engine, 2, "The first sentence ends here. And the")
        [(_, head)] = feed(ep, [frame(True)])
        assert head.speculation is spec and len(head.pcm) == spec.frames * 480
        assert round(head.end_s, 2) == 3.63 and ep.active
        assert ep.segmenter.open_start == round(head.end_s / F)
        assert stats.speculations_discarded == 1  # the confirming one heard past the cut
        # The rest stays open and ends at its own pause: nothing lost between them.
        engine.answer_all(lambda call: "And the rest.")
        [(_, tail)] = feed(ep, run((True, 0.3), (False, 2.5)))
        assert tail.start_s == head.end_s and round(tail.speech_end_s, 2) == 4.92
        assert stats.requests == 3

    asyncio.run(main())


def test_a_text_that_heard_too_little_past_a_candidate_leaves_it_for_the_next() -> None:
    async def main() -> None:
        engine = ScriptedEngine(Signal())
        ep, stats = endpointer(Outlet(), engine, speculate_s=0.09)
        spec = breath_candidate(ep, engine)
        await answered(engine, 1, "The first sentence ends here.")
        feed(ep, [frame(True), frame(False), *run((True, 0.3))])
        # The next breath came one word in: Whisper left that word out, as at a clip's end.
        await answered(engine, 2, "The first sentence ends here.")
        assert feed(ep, [frame(True)]) == [] and ep.specs and ep.specs.candidates.standing is spec
        assert stats.speculations_discarded == 1 and ep.speculation is None
        feed(ep, [frame(False), *run((True, 0.6))])
        await answered(engine, 3, "The first sentence ends here. And then the")
        [(_, head)] = feed(ep, [frame(True)])
        assert head.speculation is spec and len(head.pcm) == spec.frames * 480

    asyncio.run(main())


def test_a_server_hears_the_next_breath_while_one_is_out_and_they_are_read_in_order(
        ) -> None:
    async def main() -> None:
        engine = ScriptedEngine(Signal())  # takes calls at once, as a server does
        ep, stats = endpointer(Outlet(), engine, speculate_s=0.09)
        spec = breath_candidate(ep, engine)
        feed(ep, [frame(False), *run((True, 0.6))])  # the next breath, the first still out
        second = await engine.call(2)
        assert ep.specs and ep.specs.flight[1].call is not None and stats.requests == 2
        feed(ep, [frame(False), *run((True, 0.3))])  # no third while two are out
        assert len(engine.calls) == 2 and len(ep.specs.flight) == 2
        second.answer("The first sentence ends here. And the")
        await engine.signal.until(lambda: second.returned, "the second answered")
        assert feed(ep, [frame(True)]) == []  # the first is read first
        await answered(engine, 1, "The first sentence ends here.")
        [(_, head)] = feed(ep, [frame(True), frame(True)])  # a candidate, then confirmed
        assert head.speculation is spec and len(head.pcm) == spec.frames * 480

    asyncio.run(main())


def test_a_pause_goes_to_a_server_even_with_two_breaths_out() -> None:
    async def main() -> None:
        engine = ScriptedEngine(Signal())
        ep, stats = endpointer(Outlet(), engine, speculate_s=0.09)
        breath_candidate(ep, engine)
        feed(ep, [frame(False), *run((True, 0.6))])  # the second breath, both still out
        await engine.call(2)
        assert feed(ep, run((False, 0.06))) == [] and len(engine.calls) == 2  # a breath
        feed(ep, [frame(False)])  # the pause lasts the 0.09 s any pause is speculated at
        third = await engine.call(3)
        assert ep.specs and len(ep.specs.flight) == 3 and stats.requests == 3
        assert third.seconds == pytest.approx(ep.segmenter.pause_start * F, abs=0.07)

    asyncio.run(main())


def test_the_local_engine_hears_one_breath_at_a_time() -> None:
    async def main() -> None:
        engine = ScriptedEngine(Signal())
        outlet, stats = Outlet(), Stats()
        scheduler = Scheduler(engine, stats, Lane(1))  # type: ignore[arg-type]
        ep = Endpointer(Segmenter(), scheduler, outlet, guard=GuardConfig(),
                        speculate_s=0.09)
        breath_candidate(ep, engine)
        feed(ep, [frame(False), *run((True, 0.6))])
        await engine.call(1)
        assert stats.requests == 1 and ep.specs and len(ep.specs.flight) == 1

    asyncio.run(main())


def test_a_breath_whose_sentence_the_next_text_continues_is_no_cut() -> None:
    async def main() -> None:
        engine = ScriptedEngine(Signal())
        ep, stats = endpointer(Outlet(), engine, speculate_s=0.09)
        spec = breath_candidate(ep, engine)
        await answered(engine, 1, "I left my glasses on the table.")
        feed(ep, [frame(True), frame(False), *run((True, 0.3))])
        await answered(engine, 2, "I left my glasses on the table next to the")
        assert feed(ep, [frame(True)]) == [] and ep.specs
        assert ep.specs.candidates.standing is None and list(ep.specs.candidates.refuted) == [spec]
        assert ep.segmenter.open_start == 0 and stats.speculations_discarded == 1

    asyncio.run(main())


def test_a_refuted_breath_is_cut_back_at_when_a_later_text_ends_the_sentence_there() -> None:
    async def main() -> None:
        engine = ScriptedEngine(Signal())
        ep, stats = endpointer(Outlet(), engine, speculate_s=0.09)
        spec = breath_candidate(ep, engine)
        await answered(engine, 1, "I left my glasses on the table.")
        feed(ep, [frame(True), frame(False), *run((True, 0.3))])
        await answered(engine, 2, "I left my glasses on the table when I")  # Whisper's comma
        assert feed(ep, [frame(True), frame(False), *run((True, 0.6))]) == []
        await answered(engine, 3, "I left my glasses on the table. When I came")
        [(_, head)] = feed(ep, [frame(True)])
        assert head.speculation is spec and len(head.pcm) == spec.frames * 480
        assert stats.speculations_discarded == 2  # the two that heard past the cut

    asyncio.run(main())


def test_a_breath_whose_text_left_out_words_its_audio_held_is_no_cut() -> None:
    async def main() -> None:
        engine = ScriptedEngine(Signal())
        ep, stats = endpointer(Outlet(), engine, speculate_s=0.09)
        breath_candidate(ep, engine)
        # 3.3 s of speech, five words: then 0.9 s more cannot hold eight more words unless
        # the candidate's audio held some after its sentence end that its text left out.
        await answered(engine, 1, "The first sentence ends here.")
        feed(ep, [frame(True), frame(False), *run((True, 0.3))])
        await answered(engine, 2, "The first sentence ends here. And then I went on to say")
        assert feed(ep, [frame(True)]) == [] and ep.specs and ep.specs.candidates.standing is None
        assert ep.segmenter.open_start == 0 and stats.speculations_discarded == 1

    asyncio.run(main())


def test_a_breath_whose_text_goes_on_is_dropped_once_the_speaker_went_on() -> None:
    async def main() -> None:
        engine = ScriptedEngine(Signal())
        ep, stats = endpointer(Outlet(), engine, speculate_s=0.09)
        breath_candidate(ep, engine)
        await answered(engine, 1, "The first sentence goes on to the")
        assert feed(ep, [frame(True)]) == [] and ep.speculation is None
        assert ep.specs and ep.specs.candidates.standing is None
        assert stats.speculations_discarded == 1 and ep.segmenter.open_start == 0

    asyncio.run(main())


def test_long_speech_with_no_sentence_end_is_cut_at_its_quietest_point() -> None:
    async def main() -> None:
        for speculate_s in (0.09, 0.0):
            ep, _ = endpointer(Outlet(), ScriptedEngine(Signal()), speculate_s=speculate_s)
            # 12 s of speech with no pause at all, quieter from 8.1 to 8.25 s.
            frames = [frame(True, 300.0 if 8.1 <= k * F < 8.25 else LOUD)
                      for k in range(round(12 / F))]
            ended = feed(ep, frames)
            if not speculate_s:  # files: only max_utterance_s cuts
                assert ended == []
                continue
            [(at, head)] = ended
            assert at == round(10 / F) - 1 and 8.1 <= head.end_s < 8.25
            assert ep.segmenter.open_start == round(head.end_s / F)

    asyncio.run(main())


def test_long_speech_is_cut_at_a_recent_breath_whose_text_is_still_coming() -> None:
    async def main() -> None:
        engine = ScriptedEngine(Signal())
        ep, stats = endpointer(Outlet(), engine, speculate_s=0.09)
        ended = feed(ep, run((True, 8.7), (False, F), (True, 1.2)))
        spec = ep.speculation
        assert ended == [] and spec is not None and spec.frames == round(8.73 / F)
        [(at, head)] = feed(ep, run((True, 0.3)))
        # Cut at that breath past 10 s, its text reused (no second request for it).
        assert head.speculation is spec and len(head.pcm) == spec.frames * 480
        assert round(9.93 / F) + at + 1 == round(10 / F) and stats.requests == 1

    asyncio.run(main())


def test_a_pause_that_outlasted_the_hangover_still_ends_where_a_slow_text_says() -> None:
    # The text comes back only after the speaker went on: had it not been awaited, the
    # silence alone would have ended the utterance. Finished, it ends there after all;
    # unfinished, the speaker's sentence goes on as one utterance.
    async def main() -> None:
        for text, cut in (("Spoken late.", True), ("The meeting is at", False)):
            engine = ScriptedEngine(Signal())
            ep, stats = endpointer(Outlet(), engine, speculate_s=0.09)
            feed(ep, run((False, 0.3), (True, 0.9)))
            pause_until_speculating(ep)
            spec = ep.speculation
            assert feed(ep, run((False, 0.4), (True, 0.3))) == [] and ep.speculation is spec
            await answered(engine, 1, text)
            ended = feed(ep, [frame(True)])
            assert ep.active and ep.speculation is None
            if cut:
                [(_, head)] = ended
                assert head.speculation is spec and len(head.pcm) == spec.frames * 480
                assert ep.segmenter.open_start == round(head.end_s / F)
            else:
                assert ended == [] and ep.segmenter.open_start == 0
                assert stats.speculations_discarded == 1

    asyncio.run(main())


def test_a_text_still_awaited_at_the_next_pause_leaves_the_first_pause_to_the_silence() -> None:
    # A slow engine (or a hanging server): the first pause outlasted the hangover, the
    # speaker went on, and the text is still not back when the next pause ends. The first
    # pause then ends an utterance as the silence alone would have; waiting on would make one
    # utterance of every pause behind the slow engine.
    async def main() -> None:
        engine, outlet = ScriptedEngine(Signal()), Outlet()
        ep, stats = endpointer(outlet, engine, speculate_s=0.09)
        feed(ep, run((False, 0.3), (True, 0.9)))
        pause_until_speculating(ep)
        spec = ep.speculation
        assert feed(ep, run((False, 0.4), (True, 0.6))) == [] and ep.speculation is spec
        feed(ep, run((False, 2.0)))
        head, tail = outlet.put_items  # two utterances, the pauses apart
        assert head.speculation is spec and len(head.pcm) == spec.frames * 480
        assert tail.start_s == head.end_s and tail.speculation is not spec
        assert not spec.call.done() and stats.speculations_discarded == 0  # its text comes

    asyncio.run(main())


def test_a_cut_that_used_a_speculation_counts_for_the_pacer() -> None:
    async def main() -> None:
        engine = ScriptedEngine(Signal())
        ep, _ = endpointer(Outlet(), engine, speculate_s=0.09)
        assert ep.specs is not None
        pacer = ep.specs.pacer
        # Two short pauses the speaker went on after: the wait for the next one grows.
        feed(ep, run((False, 0.3), (True, 0.6)))
        for n in (1, 2):
            pause_until_speculating(ep)
            await engine.call(n)
            feed(ep, run((True, 0.6)))
        grown = pacer.wait_s
        assert grown > pacer.base_s
        # Long speech now (2.1 s so far): a breath, confirmed by the next: a cut, and a
        # useful speculation.
        feed(ep, run((True, 1.2)))
        feed(ep, [frame(False), *run((True, 0.3))])
        await answered(engine, 3, "The meeting is at noon.")
        feed(ep, [frame(False), *run((True, 0.3))])
        await answered(engine, 4, "The meeting is at noon. Bring the")
        [(_, head)] = feed(ep, [frame(True)])
        assert head.speculation is not None and pacer.wait_s < grown

    asyncio.run(main())


def test_hold_zero_lets_the_silence_alone_end_an_unfinished_sentence() -> None:
    async def main() -> None:
        engine = ScriptedEngine(Signal())
        ep, _ = endpointer(Outlet(), engine, speculate_s=0.09,
                           boundary=BoundaryConfig(hold_s=0.0))
        feed(ep, run((False, 0.3), (True, 0.9)))
        silent = pause_until_speculating(ep)
        await answered(engine, 1, "The meeting is at")
        [(at, speech)] = feed(ep, run((False, 3.0)))
        assert abs((silent + at + 1) * F - ep.segmenter.needed_silence_s(1.2)) <= F
        assert speech.speculation is not None

    asyncio.run(main())
