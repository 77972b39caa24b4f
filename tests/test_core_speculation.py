"""The core in-process: speculative endpointing and interim results, with the real pipeline
over a synthesised file and a scripted engine.

With the default segmenter, 1 s of speech ends after 18 silent frames (0.54 s); the
speculation starts once the silence is half that (9 frames), so a hold after 12 silent frames
(0.36 s) finds the speculation sent and the utterance still open. While its text is unknown or
unfinished, the pause needs the hold (1.3 s) on top of that.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest
from corerig import rig, speech
from scripted import spin

from dictation.audio.vad import SAMPLE_RATE
from dictation.errors import TranscriptionError

T, P = "talk", "pause"


def test_a_speculation_that_the_silence_confirms_is_the_final_text(tmp_path: Path) -> None:
    async def main() -> None:
        r = rig(tmp_path, speech((P, 0.5), (T, 1), (P, 1.5)), holds=[1.86],
                speculate_s=0.09).start()
        await r.held()
        # Sent during the pause, before the utterance ended.
        c1 = r.engine.calls[0]
        assert len(r.engine.calls) == 1 and r.pipeline.segmenter.active
        assert r.pipeline.backlog() == 0
        c1.answer("Spoken early.")
        await spin()
        assert r.sink.texts == []  # not before the silence has confirmed the end
        r.source.release()
        assert await r.finish() == 0
        assert r.sink.texts == ["Spoken early."]
        st = r.pipeline.stats
        assert (st.requests, st.speculations_used, st.speculations_discarded) == (1, 1, 0)
        # It transcribed exactly the audio the finished utterance holds.
        item = r.sink.items[0]
        assert np.array_equal(c1.pcm, r.source.pcm[round(item.start_s * SAMPLE_RATE):
                                                     round(item.end_s * SAMPLE_RATE)])

    asyncio.run(main())


def test_a_speculation_that_fails_is_retried_as_a_plain_request(tmp_path: Path) -> None:
    async def main() -> None:
        r = rig(tmp_path, speech((P, 0.5), (T, 1), (P, 1.5)), holds=[1.86],
                speculate_s=0.09).start()
        await r.held()
        r.engine.calls[0].fail(TranscriptionError("connection reset", retryable=True))
        r.source.release()
        c2 = await r.engine.call(2)
        assert np.array_equal(c2.pcm, r.engine.calls[0].pcm)
        c2.answer("Second try.")
        assert await r.finish() == 0
        assert r.sink.texts == ["Second try."]
        st = r.pipeline.stats
        assert (st.requests, st.speculations_used, st.speculations_discarded) == (2, 0, 0)

    asyncio.run(main())


@pytest.mark.parametrize("answered", [True, False], ids=["answered", "in-flight"])
def test_a_speculation_overtaken_by_speech_is_discarded_and_never_delivered(
        tmp_path: Path, answered: bool) -> None:
    # A pause long enough to speculate on, too short to end the utterance: speech resumes.
    audio = speech((P, 0.5), (T, 1), (P, 0.4), (T, 1), (P, 1.5))

    async def main() -> None:
        r = rig(tmp_path, audio, holds=[1.86], speculate_s=0.09).start()
        await r.held()
        c1 = r.engine.calls[0]
        assert len(r.engine.calls) == 1
        if answered:  # its text is there before the speech resumes, and still unused
            # Unfinished words: a finished sentence would have ended the utterance at once.
            c1.answer("The first half of")
            await r.signal.until(lambda: c1.returned, "the speculation answered")
        r.source.release()
        c2 = await r.engine.call(2)  # the next pause's speculation: both bursts
        assert c1.cancelled is not answered
        assert c2.seconds > c1.seconds + 1
        assert np.array_equal(c2.pcm[:len(c1.pcm)], c1.pcm)
        c2.answer("The whole sentence.")
        assert await r.finish() == 0
        assert r.sink.texts == ["The whole sentence."]
        st = r.pipeline.stats
        assert (st.requests, st.speculations_used, st.speculations_discarded) == (2, 1, 1)
        assert len(r.engine.calls) == 2

    asyncio.run(main())


def test_an_interim_in_flight_is_cancelled_when_its_utterance_is_queued(
        tmp_path: Path) -> None:
    # Interims every 0.3 s of a 2 s burst; the first is answered and shown, the second is
    # still at the engine when the utterance ends. Neither is ever a final's text.
    async def main() -> None:
        r = rig(tmp_path, speech((P, 0.5), (T, 2), (P, 1)), holds=[1.41, 2.01],
                interim_s=0.3, prompt="Notes:").start()
        await r.held()
        c1 = r.engine.calls[0]
        assert len(r.engine.calls) == 1  # later ticks wait for it: one interim at a time
        assert c1.prompt == "Notes:" and c1.seconds < 1.41
        c1.answer("Interim words")
        await r.signal.until(lambda: r.observer.interims, "the interim shown")
        assert r.observer.interims[0].seq == 1
        assert r.observer.interims[0].text == "Interim words"
        r.source.release()
        await r.held()
        c2 = r.engine.calls[1]
        assert len(r.engine.calls) == 2 and c1.seconds < c2.seconds < 2.01
        r.source.release()
        c3 = await r.engine.call(3)
        assert c2.cancelled and c3.seconds > c2.seconds
        c3.answer("Final words.")
        assert await r.finish() == 0
        assert r.sink.texts == ["Final words."]
        assert [e.text for e in r.observer.interims] == ["Interim words"]
        assert [f.item.seq for f in r.observer.finals] == [1]
        st = r.pipeline.stats
        assert (st.requests, st.interims, st.utterances) == (3, 2, 1)

    asyncio.run(main())


def test_cancel_discards_the_speculation_of_the_open_utterance(tmp_path: Path) -> None:
    async def main() -> None:
        r = rig(tmp_path, speech((P, 0.5), (T, 1), (P, 1.5)), holds=[1.86],
                speculate_s=0.09).start()
        await r.held()
        c1 = r.engine.calls[0]
        r.pipeline.control("cancel")
        r.source.release()
        assert await r.finish() == 0
        assert c1.cancelled and r.sink.texts == [] and len(r.engine.calls) == 1
        assert r.pipeline.stats.speculations_discarded == 1

    asyncio.run(main())


def test_a_finished_sentence_is_delivered_before_the_hangover_on_its_speculation(
        tmp_path: Path) -> None:
    async def main() -> None:
        # Held while the speculation is out (0.36 s of silence) and again at 0.45 s, before
        # the 0.54 s hangover could have ended the utterance.
        r = rig(tmp_path, speech((P, 0.5), (T, 1), (P, 1.5)), holds=[1.86, 1.95],
                speculate_s=0.09).start()
        await r.held()
        c1 = r.engine.calls[0]
        c1.answer("Spoken early.")
        r.source.release()
        await r.held()
        assert await r.delivered(1) == ["Spoken early."]
        r.source.release()
        assert await r.finish() == 0
        assert r.sink.texts == ["Spoken early."] and len(r.engine.calls) == 1
        st = r.pipeline.stats
        assert (st.requests, st.speculations_used, st.speculations_discarded) == (1, 1, 0)
        item = r.sink.items[0]
        assert np.array_equal(c1.pcm, r.source.pcm[round(item.start_s * SAMPLE_RATE):
                                                     round(item.end_s * SAMPLE_RATE)])

    asyncio.run(main())


def test_a_thinking_pause_after_unfinished_words_keeps_the_sentence_one_utterance(
        tmp_path: Path) -> None:
    # A 0.9 s pause: the hangover alone (0.54 s) would have cut the sentence in two.
    audio = speech((P, 0.5), (T, 1), (P, 0.9), (T, 1), (P, 2.5))

    async def main() -> None:
        r = rig(tmp_path, audio, holds=[1.86], speculate_s=0.09).start()
        await r.held()
        c1 = r.engine.calls[0]
        c1.answer("The meeting is at")
        r.source.release()
        c2 = await r.engine.call(2)  # the second pause's: both parts
        assert c2.seconds > c1.seconds + 1.5 and r.sink.texts == []
        assert np.array_equal(c2.pcm[:len(c1.pcm)], c1.pcm)
        c2.answer("The meeting is at noon.")
        assert await r.finish() == 0
        assert r.sink.texts == ["The meeting is at noon."] and len(r.engine.calls) == 2
        st = r.pipeline.stats
        assert (st.requests, st.speculations_used, st.speculations_discarded) == (2, 1, 1)

    asyncio.run(main())


def test_long_speech_is_cut_back_at_a_breath_whose_sentence_end_is_confirmed(
        tmp_path: Path) -> None:
    # 3.5 s of talk and a breath of 0.09 s, twice, then the end: held once the talk has
    # resumed after each breath, while its speculation is at the engine.
    audio = speech((P, 0.5), (T, 3.5), (P, 0.09), (T, 1.0), (P, 0.09), (T, 1.0), (P, 2.5))

    async def main() -> None:
        r = rig(tmp_path, audio, holds=[4.3, 5.4], speculate_s=0.09).start()
        await r.held()
        c1 = r.engine.calls[0]
        assert 3.5 < c1.seconds < 4.1 and r.pipeline.segmenter.active
        c1.answer("The first sentence.")  # a candidate: the talk went on
        r.source.release()
        await r.held()
        c2 = r.engine.calls[1]  # the next breath's: it confirms the first
        assert 4.5 < c2.seconds < 5.2 and r.sink.texts == []
        c2.answer("The first sentence. The second")
        r.source.release()
        assert await r.delivered(1) == ["The first sentence."]
        c3 = await r.engine.call(3)  # the rest, at its own pause
        c3.answer("The second one and more.")
        assert await r.finish() == 0
        assert r.sink.texts == ["The first sentence.", "The second one and more."]
        head, tail = r.sink.items
        # The head is exactly what the breath's speculation heard; the tail follows it.
        assert np.array_equal(c1.pcm, r.source.pcm[round(head.start_s * SAMPLE_RATE):
                                                     round(head.end_s * SAMPLE_RATE)])
        assert tail.start_s == head.end_s and len(r.engine.calls) == 3
        st = r.pipeline.stats  # the confirming speculation heard past the cut: discarded
        assert (st.requests, st.speculations_discarded) == (3, 1)

    asyncio.run(main())


def test_a_word_a_cut_left_in_the_piece_before_is_put_back_from_the_confirming_text(
        tmp_path: Path) -> None:
    # The breath came a word past the sentence end, and its text left that word out: the
    # word is in the first piece's audio only. The text that confirmed the end heard it.
    audio = speech((P, 0.5), (T, 3.5), (P, 0.09), (T, 1.0), (P, 0.09), (T, 1.0), (P, 2.5))

    async def main() -> None:
        r = rig(tmp_path, audio, holds=[4.3, 5.4], speculate_s=0.09).start()
        await r.held()
        r.engine.calls[0].answer("The first sentence.")
        r.source.release()
        await r.held()
        r.engine.calls[1].answer("The first sentence. If the second")
        r.source.release()
        assert await r.delivered(1) == ["The first sentence."]
        (await r.engine.call(3)).answer("The second one goes on.")  # "If" left out
        assert await r.finish() == 0
        assert r.sink.texts == ["The first sentence.", "If the second one goes on."]
        assert r.sink.items[1].start_s == r.sink.items[0].end_s  # the audio as it was cut

    asyncio.run(main())


def test_words_are_put_back_when_the_next_piece_is_itself_cut_at_a_breath(
        tmp_path: Path) -> None:
    # Two cuts at confirmed breaths in a row: the second is made before the piece the first
    # left open is put, and the words the first's confirming text heard still go to it.
    audio = speech((P, 0.5), (T, 3.5), (P, 0.09), (T, 1.0), (P, 0.09), (T, 3.2), (P, 0.09),
                   (T, 1.0), (P, 2.5))
    texts = {1: "The first sentence.", 2: "The first sentence. If the second",
             3: "The second part.", 4: "The second part. Three more"}

    async def main() -> None:
        r = rig(tmp_path, audio, holds=[8.3], speculate_s=0.09).start()
        r.engine.answer_all(lambda c: texts.get(c.n, "Three more words."))
        await r.held()
        # A breath is transcribed only while delivery is free: the first piece is out.
        assert await r.delivered(1) == ["The first sentence."]
        r.source.release()
        assert await r.finish() == 0
        # The second piece's text is its breath's, the first candidate's of that piece; the
        # last may go on in it or stand alone, as the pieces' timing has it.
        assert r.sink.texts[:2] == ["The first sentence.", "If the second part."]
        assert r.sink.shown == "The first sentence. If the second part. Three more words."

    asyncio.run(main())


def test_a_breaths_text_counts_as_an_interim_of_the_speech_going_on(tmp_path: Path) -> None:
    # Interims too far apart to run here: the breath's speculation, a decode of the open
    # utterance so far, is shown as its interim, at no cost. Never a final's text by itself.
    audio = speech((P, 0.5), (T, 3.5), (P, 0.09), (T, 1.0), (P, 0.09), (T, 1.0), (P, 2.5))

    async def main() -> None:
        r = rig(tmp_path, audio, holds=[4.3, 5.4], speculate_s=0.09, interim_s=20.0).start()
        await r.held()
        r.engine.calls[0].answer("The first sentence, and")  # no sentence end: no candidate
        await r.signal.until(lambda: r.observer.interims, "the breath's text shown")
        [shown] = r.observer.interims
        assert (shown.seq, shown.text, shown.start_s) == (1, "The first sentence, and", 0.0)
        assert 3.5 < shown.end_s < 4.1 and r.sink.texts == []
        r.source.release()
        await r.held()
        r.engine.calls[1].answer("The first sentence, and the second")
        # Judged in a thread: shown once that is back, if the speech is still going on then.
        await r.signal.until(lambda: len(r.observer.interims) == 2, "the second breath's")
        r.source.release()
        (await r.engine.call(3)).answer("The first sentence, and the second and more.")
        assert await r.finish() == 0
        assert r.sink.texts == ["The first sentence, and the second and more."]
        assert [e.text for e in r.observer.interims] == [
            "The first sentence, and", "The first sentence, and the second"]
        assert r.pipeline.stats.interims == 0  # no request of their own

    asyncio.run(main())


def test_long_speech_without_a_sentence_end_is_cut_before_ten_seconds_losing_nothing(
        tmp_path: Path) -> None:
    audio = speech((P, 0.5), (T, 12), (P, 2.5))

    async def main() -> None:
        r = rig(tmp_path, audio, speculate_s=0.09).start()
        # Each text a sentence, so that no piece is joined to the next: this is about where
        # the audio is cut, and nothing in 12 s of unbroken talk can confirm a sentence end.
        r.engine.answer_all(lambda call: f"Part {call.n}.")
        assert await r.finish() == 0
        head, tail = r.sink.items
        assert 7 <= head.end_s - head.start_s <= 10 and tail.start_s == head.end_s
        # Each utterance's text came from a request that heard its audio, all but silence.
        for item in (head, tail):
            pcm = r.source.pcm[round(item.start_s * SAMPLE_RATE):
                               round(item.end_s * SAMPLE_RATE)]
            assert any(np.array_equal(c.pcm, pcm[:len(c.pcm)]) and not pcm[len(c.pcm):].any()
                       for c in r.engine.calls)
        assert head.start_s <= 0.5 and tail.speech_end_s >= 12.5

    asyncio.run(main())


def test_a_speculation_still_at_the_engine_holds_the_pause_only_up_to_the_hold(
        tmp_path: Path) -> None:
    # A 2.2 s pause: past the hangover (0.54 s) the utterance waits for the text, but it is
    # not back by the hold (1.3 s more), and the silence ends the utterance without it.
    audio = speech((P, 0.5), (T, 1), (P, 2.2), (T, 1), (P, 2.5))

    async def main() -> None:
        r = rig(tmp_path, audio, holds=[1.86, 2.9, 3.6], speculate_s=0.09).start()
        await r.held()
        c1 = r.engine.calls[0]
        r.source.release()
        await r.held()  # 1.4 s of silence: the hangover is over, the text awaited
        assert r.pipeline.segmenter.active and r.pipeline.backlog() == 0
        r.source.release()
        await r.held()  # 2.1 s: the hold is over too
        assert not r.pipeline.segmenter.active and r.pipeline.backlog() == 1
        assert len(r.engine.calls) == 1 and not c1.cancelled  # its text still rides with it
        c1.answer("Spoken slowly.")
        assert await r.delivered(1) == ["Spoken slowly."]
        r.engine.answer_all(lambda call: "Said again.")
        r.source.release()
        assert await r.finish() == 0
        assert len(r.sink.items) == 2 and r.pipeline.stats.speculations_used == 2
        first = r.sink.items[0]
        assert np.array_equal(c1.pcm, r.source.pcm[round(first.start_s * SAMPLE_RATE):
                                                     round(first.start_s * SAMPLE_RATE)
                                                     + len(c1.pcm)])

    asyncio.run(main())


def test_an_engine_that_stopped_punctuating_no_longer_holds_every_pause(
        tmp_path: Path) -> None:
    # Three utterances apart, then two with a 1 s pause between them: held as unfinished
    # (no end mark) they would be one utterance, but by then the engine's last three texts
    # had no end mark either, so the end-mark rule is off and the pause ends the first.
    audio = speech((P, 0.5), (T, 1), (P, 2.5), (T, 1), (P, 2.5), (T, 1), (P, 2.5),
                   (T, 1), (P, 1.0), (T, 1), (P, 2.5))

    async def main() -> None:
        # The file waits before each of the next utterances until the one before it was
        # delivered: the evidence is the texts delivered, whatever the machine's speed.
        r = rig(tmp_path, audio, speculate_s=0.09, holds=[3.9, 7.4, 10.9]).start()
        # No end marks, and each text its own (the same again would be dropped as an echo
        # of the prompt).
        r.engine.answer_all(lambda call: f"we will meet on day {call.n}")
        for n in (1, 2, 3):
            await r.held()
            # Delivered: a piece of its own, or (these pieces are unfinished) a revision.
            await r.signal.until(lambda n=n: len(r.sink.items) + len(r.sink.revisions) >= n,
                                 f"utterance {n} delivered")
            r.source.release()
        assert await r.finish() == 0
        assert r.pipeline.endpointer.seq == 5

    asyncio.run(main())


@pytest.mark.parametrize("breaths", ["transcribed", "engine stuck"])
def test_long_speech_is_cut_before_ten_seconds_between_words(tmp_path: Path,
                                                             breaths: str) -> None:
    # 30 words of 0.33 s with 60 ms between them, no pause that ends anything. Each breath's
    # text is a sentence the next does not confirm, so none cuts by itself; by 10 s the cut
    # is at a breath that was transcribed, or, with the engine stuck on the first breath
    # (3 s back by then), at the quietest point: between words either way.
    audio = speech((P, 0.5), *[part for _ in range(30) for part in ((T, 0.33), (P, 0.06))],
                   (P, 2.5))

    async def main() -> None:
        r = rig(tmp_path, audio, holds=[11.0], speculate_s=0.09).start()
        if breaths == "transcribed":
            r.engine.answer_all(lambda call: f"Part {call.n}.")
        await r.held()
        if breaths == "engine stuck":
            c1 = r.engine.calls[0]
            assert len(r.engine.calls) >= 2 and c1.cancelled  # dropped at the cut
            r.engine.answer_all(lambda call: f"Part {call.n}.")
        r.source.release()
        assert await r.finish() == 0
        head, tail = r.sink.items
        assert head.end_s - head.start_s <= 10 and tail.start_s == head.end_s
        assert head.start_s <= 0.5 and tail.speech_end_s >= 0.5 + 30 * 0.39 - 0.07
        cut = round(head.end_s * SAMPLE_RATE)
        pcm = r.source.pcm
        assert not pcm[cut - 480:cut].any() or not pcm[cut:cut + 480].any()  # in a gap
        # The head's text came from a request that heard exactly its audio but silence.
        heard = pcm[round(head.start_s * SAMPLE_RATE):cut]
        assert any(np.array_equal(c.pcm, heard[:len(c.pcm)]) and not heard[len(c.pcm):].any()
                   for c in r.engine.calls if not c.cancelled)

    asyncio.run(main())


@pytest.mark.parametrize("later", ["confirms", "refutes", "never comes"])
def test_past_ten_seconds_a_cut_waits_briefly_for_a_text_that_heard_past_it(
        tmp_path: Path, later: str) -> None:
    # 30 spans of 0.33 s talk (two words each in the texts below) with 60 ms between them.
    # Each breath's text ends a sentence on its own last word, so the newest is always a
    # standing candidate. Past 10 s, the cut at that candidate waits for the later breath's
    # text still out: it may confirm the end, and say how the speech after it begins
    # ("If the", which the next piece's text then leaves out). It waits 1.5 s at most, and
    # a text that refutes the candidate meanwhile does not move the cut to a newer guess.
    audio = speech((P, 0.5), *[part for _ in range(30) for part in ((T, 0.33), (P, 0.06))],
                   (P, 2.5))

    def count(call) -> int:  # the spans a call's audio holds
        return int((call.seconds - 0.5 + 0.06) / 0.39)

    def spans(first: int, last: int) -> str:
        return " ".join(f"a{i} b{i}" for i in range(first, last + 1))

    async def main() -> None:
        r = rig(tmp_path, audio, holds=[10.9, 12.3], speculate_s=0.09).start()
        # Breaths up to 9.6 s are answered at once; the later ones wait.
        r.engine.answer_all(lambda c: f"{spans(1, count(c))}." if c.seconds < 9.6 else None)
        await r.held()
        late = [c for c in r.engine.calls if not c.future.done()]
        assert late and not any(c.cancelled for c in late) and r.sink.texts == []
        n = max(count(c) for c in r.engine.calls if c.future.done())  # the candidate's
        if later == "confirms":  # the first heard no word past it, the second two
            assert len(late) == 2 and count(late[-1]) >= n + 2
            late[0].answer(f"{spans(1, n)}.")
            late[-1].answer(f"{spans(1, n)}. If the {spans(n + 2, count(late[-1]))}")
        elif later == "refutes":  # it goes on past the candidate: a candidate of its own
            late[0].answer(f"{spans(1, count(late[0]))}.")
        r.source.release()  # read at the next frame
        await r.held()  # 12.3 s: the cut was made either way
        assert await r.delivered(1) == [f"A{spans(1, n)[1:]}."]  # at the candidate
        r.engine.answer_all(lambda c: f"{spans(n + 2, 30)}.")
        r.source.release()
        assert await r.finish() == 0
        rest = r.sink.texts[1]
        assert rest == (f"If the {spans(n + 2, 30)}." if later == "confirms"
                        else f"A{spans(n + 2, 30)[1:]}.")

    asyncio.run(main())


@pytest.mark.parametrize("answer_s", [0.0, 2.5])
def test_breaths_are_transcribed_only_while_the_engine_answers_quickly(
        tmp_path: Path, answer_s: float) -> None:
    # Long talk with two breaths, then the end. An engine that took 2.5 s over its answer (the
    # clock is the test's) gets no second breath to transcribe: its text would still be at
    # the engine when the sentence ends, and the end would wait for it. (The budget is 1 s
    # for each breath the engine may hold at once: two here, where it takes calls at once.)
    audio = speech((P, 0.5), (T, 3.5), (P, 0.09), (T, 1.0), (P, 0.09), (T, 1.0), (P, 2.5))

    async def main() -> None:
        r = rig(tmp_path, audio, holds=[4.3], speculate_s=0.09)
        ticks = iter(range(10**6))
        if answer_s:
            r.pipeline.engine.clock = lambda: next(ticks) * answer_s
        r.start()
        await r.held()
        c1 = r.engine.calls[0]  # the first breath: nothing known of the engine yet
        assert 3.5 < c1.seconds < 4.1
        c1.answer("The first part and")  # unfinished: the talk goes on
        r.engine.answer_all(lambda call: "The first part and the rest of it.")
        r.source.release()
        assert await r.finish() == 0
        assert r.sink.texts == ["The first part and the rest of it."]
        breaths = [c for c in r.engine.calls[1:] if c.seconds < 6.0]
        assert (len(breaths) == 0) == bool(answer_s), [c.seconds for c in r.engine.calls]

    asyncio.run(main())


def test_past_twice_the_long_length_breaths_are_transcribed_whatever_the_engine(
        tmp_path: Path) -> None:
    # A slow engine (2.5 s an answer, by the test's clock) in long talk: no breath before 6 s
    # of speech, but the one after it is, rather than waiting for the cut past 10 s.
    audio = speech((P, 0.5), (T, 3.5), (P, 0.09), (T, 1.0), (P, 0.09), (T, 2.0), (P, 0.09),
                   (T, 1.0), (P, 2.5))

    async def main() -> None:
        r = rig(tmp_path, audio, holds=[4.3], speculate_s=0.09)
        ticks = iter(range(10**6))
        r.pipeline.engine.clock = lambda: next(ticks) * 2.5
        r.start()
        await r.held()
        r.engine.calls[0].answer("The first part and")
        r.engine.answer_all(lambda call: "The first part and the rest of it.")
        r.source.release()
        assert await r.finish() == 0
        assert r.sink.texts == ["The first part and the rest of it."]
        seconds = [round(c.seconds, 2) for c in r.engine.calls]
        assert not [s for s in seconds[1:] if s < 6.0], seconds
        assert [s for s in seconds if 6.5 < s < 7.6], seconds  # the breath after 6 s

    asyncio.run(main())
