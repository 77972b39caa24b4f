"""The core in-process: a fragment joined with its continuation, what is final, and taking
text back ("scratch that", `ctl undo`), through the real pipeline over a synthesised file
read at full speed with the scripted engine; the real stdout sink, caption file and event
stream beside the recording sink."""

from __future__ import annotations

import asyncio
import io
import json
import time
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from corerig import ONCE, Rig, rig, speech
from scripted import Signal, spin
from test_cues import parse_srt

from dictation.audio.vad import SAMPLE_RATE
from dictation.deliver import finality
from dictation.output.captionfiles import CaptionFile
from dictation.output.events import EventStream, schema_path
from dictation.output.sinks import StdoutSink
from dictation.records import Final, Quiet
from dictation.text.boundary import BoundaryConfig
from dictation.text.commands import CommandConfig
from dictation.text.config import TextConfig

T, P = "talk", "pause"
VALIDATOR = jsonschema.Draft202012Validator(json.loads(schema_path().read_text()))
COMMANDS = TextConfig(boundary=ONCE)  # spoken commands on, as `dictation run` has them


class Written(io.StringIO):
    """A stream that says when it was written to, for the test to wait on."""

    def __init__(self, signal: Signal) -> None:
        super().__init__()
        self.signal = signal

        self.times: list[float] = []

    def write(self, text: str) -> int:
        n = super().write(text)
        self.times.append(time.monotonic())
        self.signal.poke()
        return n


def with_outputs(r: Rig, tmp_path: Path) -> tuple[Written, Written, CaptionFile]:
    """The real stdout sink and caption file after the recording sink, the real event
    stream beside the recording observer."""
    out, ev = Written(r.signal), Written(r.signal)
    srt = CaptionFile(tmp_path / "c.srt", "srt")
    fanout = r.pipeline.delivery._sender.finality.outputs  # sorted as Outputs sort them
    every = [*fanout.live, srt, StdoutSink(out)]
    fanout.live = [s for s in every if not getattr(s, "final_only", False)]
    fanout.later = [s for s in every if getattr(s, "final_only", False)]
    r.hear(EventStream(ev))
    return out, ev, srt


def events(ev: io.StringIO) -> list[dict]:
    found = [json.loads(line) for line in ev.getvalue().splitlines()]
    for e in found:
        VALIDATOR.validate(e)
    return found


def longest_silence(pcm: np.ndarray) -> int:
    """The longest run of digital silence (the synthesised pauses are exact zeros)."""
    edges = np.flatnonzero(np.diff(np.concatenate([[1], pcm != 0, [1]]).astype(np.int8)))
    return int(np.max(edges[1::2] - edges[::2])) if len(edges) else 0


def test_a_fragment_is_transcribed_again_with_its_continuation_in_one_request(
        tmp_path: Path) -> None:
    async def main() -> None:
        r = rig(tmp_path, speech((P, 0.5), (T, 1), (P, 1.5), (T, 1.2), (P, 1)),
                prompt="Minutes:")
        out, ev, srt = with_outputs(r, tmp_path)
        r.start()
        c1 = await r.engine.call(1)
        c1.answer("The meeting is at.")  # incomplete: the piece stays open
        await r.delivered(1)
        c2 = await r.engine.call(2)
        # Both utterances' audio in one request, prompted with what came before the fragment.
        assert c2.prompt == "Minutes:"
        first = r.sink.items[0]
        kept = round((first.speech_end_s - first.start_s) * SAMPLE_RATE)
        assert (c2.pcm[:kept] == c1.pcm[:kept]).all() and len(c2.pcm) > len(c1.pcm)
        # The 1.5 s pause between them (1.2 s of it in the two utterances' audio) is cut down
        # to about a breath: with all of it, the model writes a break there.
        assert longest_silence(c2.pcm[kept:]) < 0.5 * SAMPLE_RATE
        assert out.getvalue() == ""  # not final: stdout waits
        c2.answer("The meeting is at three on Friday.")
        assert await r.finish() == 0
        assert len(r.engine.calls) == 2 and r.pipeline.stats.joined == 1
        # The fragment was revised; the continuation made no piece of its own.
        assert [i.text for i in r.sink.items] == ["The meeting is at."]
        [rev] = r.sink.revisions
        assert (rev.seq, rev.old, rev.new) == (1, "The meeting is at.",
                                              "The meeting is at three on Friday.")
        # The revised piece covers both utterances' audio, the pause between them included.
        assert rev.item.start_s == r.sink.items[0].start_s and rev.item.end_s > 3.5
        assert r.sink.shown == "The meeting is at three on Friday."
        assert out.getvalue() == "The meeting is at three on Friday.\n"
        assert [f.item.seq for f in r.observer.finals] == [1]
        assert [e.seq for e in r.observer.revisions] == [1]
        got = [e for e in events(ev) if e["type"] in ("final", "revise")]
        assert [(e["type"], e["seq"], e["text"]) for e in got] == [
            ("final", 1, "The meeting is at."),
            ("revise", 1, "The meeting is at three on Friday.")]
        assert got[1]["old_text"] == "The meeting is at." and got[1]["end_s"] > 3.5
        # The caption file holds the revised piece's cues only, valid SRT.
        await srt.aclose()
        cues = parse_srt((tmp_path / "c.srt").read_text())
        assert " ".join(c.text for c in cues) == "The meeting is at three on Friday."
        # The next prompt carries the joined text, punctuated as it was delivered.
        assert r.pipeline.delivery.next_prompt() == "Minutes: The meeting is at three on Friday."

    asyncio.run(main())


def test_a_joint_text_that_leaves_the_continuation_out_sends_it_alone(tmp_path: Path) -> None:
    # Heard together, the model wrote the fragment's words only: joined, the continuation's
    # words would be lost. It goes alone instead, and its text continues the fragment.
    async def main() -> None:
        r = rig(tmp_path, speech((P, 0.5), (T, 1), (P, 1.5), (T, 1.2), (P, 1)))
        out, _, _ = with_outputs(r, tmp_path)
        r.start()
        (await r.engine.call(1)).answer("The meeting is at.")
        (await r.engine.call(2)).answer("The meeting is at.")  # both: the rest left out
        c3 = await r.engine.call(3)
        assert len(c3.pcm) < len(r.engine.calls[1].pcm)  # the continuation alone
        c3.answer("three on Friday.")
        assert await r.finish() == 0
        assert r.pipeline.stats.joined == 0
        assert r.sink.shown == "The meeting is at three on Friday."
        assert out.getvalue() == "The meeting is at three on Friday.\n"

    asyncio.run(main())


def test_when_both_heard_together_say_the_fragment_was_a_sentence_it_stays_one(
        tmp_path: Path) -> None:
    # "That is the way it is." reads as unfinished (an auxiliary at the end); transcribed
    # with what followed, it ends a sentence right after its own words: the piece stays as
    # it was, final, and the continuation is a piece of its own.
    async def main() -> None:
        r = rig(tmp_path, speech((P, 0.5), (T, 1), (P, 1.5), (T, 1.2), (P, 1)))
        out, _, _ = with_outputs(r, tmp_path)
        r.start()
        (await r.engine.call(1)).answer("That is the way it is.")
        (await r.engine.call(2)).answer("That is the way it is. Speak naturally.")
        assert await r.finish() == 0
        assert len(r.engine.calls) == 2 and r.pipeline.stats.joined == 0
        assert r.sink.texts == ["That is the way it is.", "Speak naturally."]
        assert r.sink.revisions == []
        assert out.getvalue() == "That is the way it is.\nSpeak naturally.\n"
        assert r.sink.items[1].start_s > r.sink.items[0].end_s  # its own times

    asyncio.run(main())


def test_a_complete_piece_is_final_at_once_and_an_open_one_when_the_window_passed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    window = 0.3  # the test waits for it: short
    monkeypatch.setattr(finality, "JOIN_WINDOW_S", window)

    class Stamps(Quiet):
        def __init__(self) -> None:
            self.delivered: dict[int, float] = {}

        def final(self, event: Final) -> None:
            self.delivered[event.item.seq] = time.monotonic()

    async def main() -> None:
        r = rig(tmp_path, speech((P, 0.5), (T, 1), (P, 1), (T, 1), (P, 1)), holds=[4.4])
        out, _, _ = with_outputs(r, tmp_path)
        stamps = Stamps()
        r.hear(stamps)
        r.start()
        (await r.engine.call(1)).answer("It works.")
        # Complete: out while utterance 2 is still at the engine (an open piece would wait).
        await r.signal.until(lambda: out.getvalue() == "It works.\n", "a complete line out")
        (await r.engine.call(2)).answer("And then we")
        await r.held()  # nothing more is heard and nothing waits
        await r.signal.until(lambda: out.getvalue().count("\n") == 2, "the window passed")
        assert out.getvalue() == "It works.\nAnd then we\n"
        # Open: final only once the window passed after its delivery.
        assert out.times[-1] - stamps.delivered[2] >= window
        r.source.release()
        assert await r.finish() == 0
        assert r.sink.revisions == []

    asyncio.run(main())


def rethinking(lo: float, hi: float) -> TextConfig:
    return TextConfig(commands=CommandConfig(enabled=False),
                      boundary=BoundaryConfig(rethink_s=(lo, hi)))


def test_a_sentence_the_model_ended_at_a_thinking_pause_is_heard_again_with_the_rest(
        tmp_path: Path) -> None:
    # "The invoice from the printing company." reads complete: only the pause says the
    # speaker was thinking. Speech that resumes within the band is transcribed together with
    # it; stdout shows the one sentence only. (A wide band: the window after the piece is
    # wall-clock time, and this file is read at full speed; the band is boundary.rethinks'.)
    async def main() -> None:
        r = rig(tmp_path, speech((P, 0.5), (T, 1), (P, 0.8), (T, 1.2), (P, 1)),
                text=rethinking(0.5, 3.0))
        out, ev, _ = with_outputs(r, tmp_path)
        r.start()
        (await r.engine.call(1)).answer("The invoice from the printing company.")
        await r.delivered(1)
        c2 = await r.engine.call(2)
        assert len(c2.pcm) > len(r.engine.calls[0].pcm)  # both utterances in one request
        assert out.getvalue() == ""  # it may still change: stdout waits
        c2.answer("The invoice from the printing company still has the wrong address.")
        assert await r.finish() == 0
        assert r.pipeline.stats.joined == 1
        assert r.sink.shown == "The invoice from the printing company still has the wrong " \
                               "address."
        assert out.getvalue() == r.sink.shown + "\n"
        assert [e["type"] for e in events(ev) if e["type"] in ("final", "revise")] == \
               ["final", "revise"]

    asyncio.run(main())


def test_a_sentence_followed_by_a_pause_past_the_band_is_final_and_stands_alone(
        tmp_path: Path) -> None:
    # A calm talker's gap between sentences: no second request, two lines, the first out
    # while the second is at the engine. (A gap shorter
    # than the band: tests/test_text_boundary.py, as the rig's segmenter never cuts one.)
    async def main() -> None:
        r = rig(tmp_path, speech((P, 0.5), (T, 1), (P, 2.0), (T, 1), (P, 1)),
                text=rethinking(0.5, 1.5))
        out, _, _ = with_outputs(r, tmp_path)
        r.start()
        c1 = await r.engine.call(1)
        c1.answer("It works.")
        c2 = await r.engine.call(2)
        assert len(c2.pcm) < 1.5 * len(c1.pcm)  # alone
        # Final as soon as the next utterance began past the band, not once its text came.
        await r.signal.until(lambda: out.getvalue() == "It works.\n", "the first line out")
        c2.answer("Ship it.")
        assert await r.finish() == 0
        assert len(r.engine.calls) == 2 and r.pipeline.stats.joined == 0
        assert out.getvalue() == "It works.\nShip it.\n"
        assert r.sink.revisions == []

    asyncio.run(main())


def test_a_sentence_is_final_once_speech_resumes_too_soon_for_a_thinking_pause(
        tmp_path: Path) -> None:
    # The piece is out and open; the next utterance begins 0.9 s after its last word, short
    # of this band: final then, while that utterance is still at the engine. (The band's
    # top is far: no window passes during the test.)
    async def main() -> None:
        r = rig(tmp_path, speech((P, 0.5), (T, 1), (P, 0.9), (T, 1), (P, 1)), holds=[2.3],
                text=rethinking(1.2, 10.0))
        out, _, _ = with_outputs(r, tmp_path)
        r.start()
        (await r.engine.call(1)).answer("It works.")
        await r.delivered(1)
        await r.held()
        assert out.getvalue() == ""  # open: a thinking pause may still follow
        r.source.release()
        c2 = await r.engine.call(2)
        await r.signal.until(lambda: out.getvalue() == "It works.\n", "the first line out")
        c2.answer("Ship it.")
        assert await r.finish() == 0
        assert r.pipeline.stats.joined == 0
        assert out.getvalue() == "It works.\nShip it.\n"

    asyncio.run(main())


def test_a_sentence_is_final_once_the_band_passed_after_its_last_word(tmp_path: Path) -> None:
    class Stamps(Quiet):
        def __init__(self) -> None:
            self.delivered: dict[int, tuple[float, float]] = {}

        def final(self, event: Final) -> None:
            self.delivered[event.item.seq] = (time.monotonic(), event.latency_s)

    async def main() -> None:
        hi = 1.5
        # Held once the band is over in the audio too (the pause is counted in capture
        # time as well, so that a machine hearing late does not cut it short).
        r = rig(tmp_path, speech((P, 0.5), (T, 1), (P, 2.5)), holds=[3.6],
                text=rethinking(0.5, hi))
        out, _, _ = with_outputs(r, tmp_path)
        stamps = Stamps()
        r.hear(stamps)
        r.start()
        (await r.engine.call(1)).answer("It works.")
        await r.held()  # nothing more is heard and nothing waits
        await r.signal.until(lambda: out.getvalue() == "It works.\n", "the band passed")
        # Final once the band passed after its last word: its latency was part of that.
        at, latency = stamps.delivered[1]
        assert out.times[-1] - at >= hi - latency - 0.01
        r.source.release()
        assert await r.finish() == 0

    asyncio.run(main())


def test_without_its_audio_a_fragment_is_continued_by_the_text_rule(tmp_path: Path) -> None:
    # A pause longer than any join takes: the fragment is still open (nothing said it is
    # final), its audio is not transcribed again, but a continuation in lower case joins it.
    async def main() -> None:
        r = rig(tmp_path, speech((P, 0.5), (T, 1), (P, 6), (T, 1), (P, 1)))
        out, _, _ = with_outputs(r, tmp_path)
        r.start()
        c1 = await r.engine.call(1)
        c1.answer("The meeting is at")
        c2 = await r.engine.call(2)
        # The continuation alone, prompted with the fragment.
        assert c2.prompt == "The meeting is at" and len(c2.pcm) < 1.5 * len(c1.pcm)
        c2.answer("three on Friday.")
        assert await r.finish() == 0
        assert len(r.engine.calls) == 2 and r.pipeline.stats.joined == 0
        assert r.sink.shown == "The meeting is at three on Friday."
        assert out.getvalue() == "The meeting is at three on Friday.\n"

    asyncio.run(main())


def test_a_new_sentence_makes_the_piece_before_final(tmp_path: Path) -> None:
    async def main() -> None:
        r = rig(tmp_path, speech((P, 0.5), (T, 1), (P, 6), (T, 1), (P, 1)))
        out, _, _ = with_outputs(r, tmp_path)
        r.start()
        (await r.engine.call(1)).answer("I was thinking that maybe")
        (await r.engine.call(2)).answer("Lunch is ready.")
        assert await r.finish() == 0
        # Formatted to follow a sentence without its end: no capital (assemble.join).
        assert out.getvalue() == "I was thinking that maybe\nlunch is ready.\n"
        assert r.sink.revisions == []

    asyncio.run(main())


def test_scratch_that_takes_back_a_final_piece_everywhere_but_stdout(tmp_path: Path) -> None:
    async def main() -> None:
        r = rig(tmp_path, speech((P, 0.5), (T, 1), (P, 1), (T, 1), (P, 1), (T, 1), (P, 1)),
                text=COMMANDS)
        out, ev, srt = with_outputs(r, tmp_path)
        r.start()
        (await r.engine.call(1)).answer("Hello there.")
        await r.signal.until(lambda: out.getvalue() == "Hello there.\n", "a final line")
        c2 = await r.engine.call(2)
        assert "scratch that" in c2.prompt  # commands bias the recogniser
        c2.answer("Scratch that.")
        c3 = await r.engine.call(3)
        # The piece left the prompt's history too; the bias words stay.
        assert "Hello" not in c3.prompt and c3.prompt.endswith("delete that.")
        c3.answer("Good morning.")
        assert await r.finish() == 0
        assert [(v.seq, v.new) for v in r.sink.revisions] == [(1, "")]
        assert r.sink.shown == "Good morning."
        assert out.getvalue() == "Hello there.\nGood morning.\n"  # printed lines stay
        got = [e for e in events(ev) if e["type"] == "revise"]
        assert got == [got[0] | {"seq": 1, "text": "", "old_text": "Hello there."}]
        await srt.aclose()
        assert [c.text for c in parse_srt((tmp_path / "c.srt").read_text())] == \
            ["Good morning."]

    asyncio.run(main())


def test_scratch_that_after_a_fragment_never_reaches_stdout(tmp_path: Path) -> None:
    async def main() -> None:
        r = rig(tmp_path, speech((P, 0.5), (T, 1), (P, 1), (T, 1), (P, 1)), text=COMMANDS)
        out, _, _ = with_outputs(r, tmp_path)
        r.start()
        (await r.engine.call(1)).answer("The meeting is at")
        c2 = await r.engine.call(2)
        # Transcribed with the fragment, it ends with the command: sent again alone, since
        # "scratch that" counts only as an utterance of its own.
        c2.answer("The meeting is at scratch that.")
        c3 = await r.engine.call(3)
        assert len(c3.pcm) < len(c2.pcm)
        c3.answer("Scratch that.")
        assert await r.finish() == 0
        assert [(v.seq, v.new) for v in r.sink.revisions] == [(1, "")]
        assert r.sink.shown == "" and out.getvalue() == ""

    asyncio.run(main())


def test_ctl_undo_takes_back_the_last_piece_after_what_was_said_before_it(
        tmp_path: Path) -> None:
    async def main() -> None:
        r = rig(tmp_path, speech((P, 0.5), (T, 1), (P, 1), (T, 1), (P, 1)), holds=[4.4])
        r.start()
        (await r.engine.call(1)).answer("First line.")
        await r.held()  # utterance 2 was said and waits for its text when the command comes
        c2 = await r.engine.call(2)
        r.pipeline.control("undo")
        await spin()
        assert r.sink.revisions == []  # it waits for the utterance spoken before it
        c2.answer("Second line.")
        await r.signal.until(lambda: len(r.sink.revisions) == 1, "the undo")
        assert (r.sink.revisions[0].seq, r.sink.revisions[0].new) == (2, "")
        r.pipeline.control("undo")
        await r.signal.until(lambda: len(r.sink.revisions) == 2, "the second undo")
        r.pipeline.control("undo")  # nothing left: nothing happens
        r.source.release()
        assert await r.finish() == 0
        assert [v.seq for v in r.sink.revisions] == [2, 1] and r.sink.shown == ""
        assert r.pipeline.delivery.next_prompt() == ""

    asyncio.run(main())
