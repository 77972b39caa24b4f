"""The core in-process: the real pipeline over a synthesised file read at full speed, with a
scripted engine. Order, the prompt, and `ctl cancel`."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest
from corerig import TALK_F0, Rig, quiet, rig, speech, spooled, voiced
from scripted import Call

from dictation.audio.vad import SAMPLE_RATE, Vad
from dictation.deliver.spool import Spool

T, P = "talk", "pause"


def heard(r: Rig, call: Call, n: int) -> bool:
    """Whether ``call`` sent exactly the audio of the ``n``-th delivered utterance."""
    item = r.sink.items[n - 1]
    audio = r.source.pcm
    return np.array_equal(call.pcm, audio[round(item.start_s * SAMPLE_RATE):
                                          round(item.end_s * SAMPLE_RATE)])


@pytest.mark.parametrize("f0", TALK_F0)
def test_the_synthesised_bursts_are_speech_to_the_vad_and_the_pauses_are_not(
        f0: float) -> None:
    # Every other test stands on this: 2 s of the synthetic vowel is 67 speech frames at the
    # VAD's strictest setting, the silence around it none.
    frames = list(Vad(3).push(np.concatenate([quiet(0.48), voiced(2.01, f0), quiet(0.99)])))
    assert "".join("S" if f.is_speech else "." for f in frames) == \
        "." * 16 + "S" * 67 + "." * 33


def test_each_utterance_waits_for_the_one_before_and_is_prompted_with_its_text(
        tmp_path: Path) -> None:
    async def main() -> None:
        r = rig(tmp_path, speech((P, 0.5), (T, 1), (P, 1), (T, 1), (P, 1), (T, 1), (P, 1)),
                prompt="Names:").start()
        c1 = await r.engine.call(1)
        # The answer to utterance 1 comes only after 2 and 3 were heard and queued; neither
        # is sent before 1 is delivered.
        await r.signal.until(lambda: r.pipeline.backlog() == 3, "3 utterances waiting")
        assert len(r.engine.calls) == 1 and r.pipeline.status()["state"] == "transcribing"
        assert c1.prompt == "Names:"
        c1.answer("Alpha one.")
        c2 = await r.engine.call(2)
        assert r.sink.texts == ["Alpha one."]
        assert c2.prompt == "Names: Alpha one."
        c2.answer("Bravo two.")
        c3 = await r.engine.call(3)
        assert c3.prompt == "Names: Alpha one. Bravo two."
        c3.answer("Charlie three.")
        assert await r.finish() == 0
        assert r.sink.texts == ["Alpha one.", "Bravo two.", "Charlie three."]
        assert [f.item.seq for f in r.observer.finals] == [1, 2, 3]
        assert r.engine.most_in_flight == 1
        # Each request carried its own utterance's audio, and the three are in file order.
        assert all(heard(r, c, n) for n, c in enumerate(r.engine.calls, 1))
        starts = [i.speech_start_s for i in r.sink.items]
        assert starts == sorted(starts) and starts[0] == 0.48
        assert r.pipeline.stats.requests == 3 and r.pipeline.kept == []

    asyncio.run(main())


def test_cancel_drops_the_utterance_in_flight_the_queued_one_and_the_open_one(
        tmp_path: Path) -> None:
    # Held in the middle of the third burst: utterance 1 is at the engine, 2 is queued (and
    # spooled), 3 is open in the segmenter.
    audio = speech((P, 0.5), (T, 1), (P, 1), (T, 1), (P, 1), (T, 1), (P, 1), (T, 1), (P, 1))
    hold = 4.89  # a block boundary: the file's blocks are 30 ms

    async def main() -> None:
        spool = Spool(tmp_path / "spool", 0)
        spool.open()
        r = rig(tmp_path, audio, holds=[hold], prompt="Log:", spool=spool).start()
        c1 = await r.engine.call(1)
        await r.held()
        assert r.pipeline.segmenter.active and len(spooled(spool)) == 2
        assert r.pipeline.control("cancel")["status"]["state"] == "hearing speech"
        r.source.release()
        c1.answer("Cancelled one.")
        # What follows the cancel is new dictation: the rest of burst 3, then burst 4, with
        # a prompt that holds nothing cancelled.
        c2 = await r.engine.call(2)
        assert c2.prompt == "Log:"
        c2.answer("Rest of three.")
        c3 = await r.engine.call(3)
        assert c3.prompt == "Log: Rest of three."
        c3.answer("Four.")
        assert await r.finish() == 0
        assert r.sink.texts == ["Rest of three.", "Four."]
        assert r.sink.items[0].start_s == pytest.approx(hold)  # nothing from before the cancel
        assert len(r.engine.calls) == 3  # utterance 2 was never sent
        assert spooled(spool) == [] and r.pipeline.kept == []
        spool.close()

    asyncio.run(main())


def test_cancel_drops_what_was_heard_before_it_even_if_not_yet_segmented(
        tmp_path: Path) -> None:
    # A file read at full speed runs ahead of the segmenter, which waits while two utterances
    # are queued: at the hold, burst 4 is read but not yet segmented. The cancel comes after
    # it in the audio queue, so burst 4 is cancelled as surely as the utterances before it;
    # only burst 5, read after the cancel, is dictation.
    audio = speech((P, 0.5), *[(T, 1), (P, 1)] * 5)
    hold = 8.31

    async def main() -> None:
        r = rig(tmp_path, audio, holds=[hold]).start()
        await r.engine.call(1)
        await r.signal.until(lambda: r.source.waiting, "the file held")
        assert r.pipeline.backlog() == 3 and r.observer.blocks < r.source.blocks  # read ahead
        r.pipeline.control("cancel")
        r.source.release()
        r.engine.answer_all(lambda call: f"Request {call.n}.")
        assert await r.finish() == 0
        assert r.sink.texts == ["Request 2."]
        assert r.sink.items[0].start_s == pytest.approx(hold)
        assert len(r.engine.calls) == 2

    asyncio.run(main())
