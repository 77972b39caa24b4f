"""The core in-process: two passes. The fast engine's text is shown at once; a second scripted
engine, the refiner, hears the piece again, and the piece is revised to its text through the
revision path; an output that shows only final text (stdout's place) waits for it, a bounded
while. Both engines are scripted: their answers and timing are what these tests are about."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import numpy as np
import pytest
from corerig import rig, speech
from scripted import ScriptedEngine, Signal, spin

from dictation.cli.build import build_engine, build_refiner, resolve_args
from dictation.deliver.refine import RefineConfig
from dictation.errors import ConfigError, TranscriptionError
from dictation.records import Transcribed
from dictation.transcribe.engines import LocalConfig

T, P = "talk", "pause"
ONE = speech((P, 0.5), (T, 1.5), (P, 1.0))
TWO = speech((P, 0.5), (T, 1.5), (P, 1.0), (T, 1.5), (P, 1.0))
SLOW = RefineConfig(wait_s=30.0)  # the test decides when the refiner answers


class FinalOnly:
    """Where stdout sits: it gets a piece once, when it is final."""

    name = "final"
    final_only = True

    def __init__(self, signal: Signal) -> None:
        self.signal = signal
        self.texts: list[str] = []

    async def deliver(self, item: Transcribed) -> None:
        self.texts.append(item.text)
        self.signal.poke()

    async def aclose(self) -> None:
        pass


def two_pass(tmp_path: Path, audio: np.ndarray, refine: RefineConfig = SLOW, **kw: object):
    refiner = ScriptedEngine(Signal())
    r = rig(tmp_path, audio, refiner=refiner, refine=refine, **kw)  # type: ignore[arg-type]
    refiner.signal = r.signal
    final = FinalOnly(r.signal)
    r.pipeline.delivery._sender.finality.outputs.later.append(final)
    return r, refiner, final


def test_a_refined_piece_is_revised_and_only_its_refined_text_is_final(tmp_path: Path) -> None:
    async def main() -> None:
        r, refiner, final = two_pass(tmp_path, ONE)
        r.start()
        fast = await r.engine.call(1)
        fast.answer("Court early review.")
        await r.delivered(1)
        ask = await refiner.call(1)  # the same audio, prompted with the text before it
        assert np.array_equal(ask.pcm, fast.pcm) and ask.prompt == ""
        await spin()
        assert final.texts == []  # stdout waits for the second pass
        ask.answer("Quarterly review.")
        assert await r.finish() == 0
        assert r.sink.texts == ["Court early review."]  # shown at once
        [rev] = r.observer.revisions
        assert (rev.why, rev.new.strip()) == ("refined", "Quarterly review.")
        assert r.sink.shown == "Quarterly review." and final.texts == ["Quarterly review."]
        stats = r.pipeline.delivery.refiner.stats
        assert (stats.offered, stats.revised, stats.late) == (1, 1, 0)

    asyncio.run(main())


def test_the_same_text_changes_nothing_and_stdout_prints_it_at_once(tmp_path: Path) -> None:
    async def main() -> None:
        r, refiner, final = two_pass(tmp_path, ONE)
        r.start()
        (await r.engine.call(1)).answer("Quarterly review.")
        (await refiner.call(1)).answer(" Quarterly review.")  # as the piece reads
        await r.signal.until(lambda: final.texts == ["Quarterly review."], "final")
        assert r.observer.revisions == []
        assert r.pipeline.delivery.refiner.stats.same == 1
        assert await r.finish() == 0

    asyncio.run(main())


def test_a_refiner_slower_than_its_bound_leaves_the_fast_text_final(tmp_path: Path) -> None:
    async def main() -> None:
        r, refiner, final = two_pass(tmp_path, ONE, RefineConfig(wait_s=0.2))
        r.start()
        (await r.engine.call(1)).answer("Court early review.")
        ask = await refiner.call(1)
        await r.signal.until(lambda: final.texts == ["Court early review."], "the bound")
        assert ask.cancelled  # given up, not left running behind the fast engine
        assert await r.finish() == 0
        assert r.observer.revisions == [] and r.pipeline.delivery.refiner.stats.late == 1

    asyncio.run(main())


def loading(refiner: ScriptedEngine) -> asyncio.Event:
    """The refiner's model loads until the test sets the event it returns."""
    loaded = asyncio.Event()

    async def prepare() -> None:
        await loaded.wait()

    refiner.prepare = prepare  # type: ignore[method-assign]
    return loaded


def test_a_piece_shown_while_the_refiner_loads_is_refined_once_it_is_ready(
        tmp_path: Path) -> None:
    async def main() -> None:
        r, refiner, final = two_pass(tmp_path, ONE)
        loaded = loading(refiner)
        r.start()
        (await r.engine.call(1)).answer("Court early review.")
        await r.delivered(1)
        await spin()
        assert refiner.calls == [] and final.texts == []  # stdout waits, within its bound
        loaded.set()
        (await refiner.call(1)).answer("Quarterly review.")
        assert await r.finish() == 0
        assert final.texts == ["Quarterly review."]
        stats = r.pipeline.delivery.refiner.stats
        assert (stats.offered, stats.revised, stats.busy) == (1, 1, 0)

    asyncio.run(main())


def test_a_refiner_still_loading_at_the_bound_leaves_the_fast_text_final(
        tmp_path: Path) -> None:
    async def main() -> None:
        r, refiner, final = two_pass(tmp_path, ONE, RefineConfig(wait_s=0.2))
        loaded = loading(refiner)
        r.start()
        (await r.engine.call(1)).answer("Court early review.")
        await r.signal.until(lambda: final.texts == ["Court early review."], "the bound")
        loaded.set()
        assert await r.finish() == 0
        assert refiner.calls == [] and r.observer.revisions == []
        assert r.pipeline.delivery.refiner.stats.busy == 1

    asyncio.run(main())


def test_a_piece_is_not_refined_while_the_next_utterance_waits(tmp_path: Path) -> None:
    # Read at full speed, utterance 2 is queued before piece 1 is shown: refining piece 1
    # would hold up utterance 2. Piece 2, the last, is refined.
    async def main() -> None:
        r, refiner, final = two_pass(tmp_path, TWO, holds=[3.2])
        r.start()
        c1 = await r.engine.call(1)
        await r.held()
        r.source.release()
        await r.signal.until(lambda: r.pipeline.backlog() == 2, "utterance 2 queued")
        c1.answer("First one.")
        (await r.engine.call(2)).answer("Second one.")
        (await refiner.call(1)).answer("The second one.")
        assert await r.finish() == 0
        assert [c.prompt for c in refiner.calls] == ["First one."]
        assert final.texts == ["First one.", "The second one."]
        stats = r.pipeline.delivery.refiner.stats
        assert (stats.busy, stats.offered, stats.revised) == (1, 1, 1)

    asyncio.run(main())


def test_a_failing_refiner_says_so_once_and_the_fast_text_stands(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="dictation")

    async def main() -> None:
        r, refiner, final = two_pass(tmp_path, ONE)
        r.start()
        (await r.engine.call(1)).answer("Court early review.")
        (await refiner.call(1)).fail(TranscriptionError("local model failed: out of memory"))
        await r.signal.until(lambda: final.texts == ["Court early review."], "final")
        assert await r.finish() == 0

    asyncio.run(main())
    warned = [rec.getMessage() for rec in caplog.records if rec.levelname == "WARNING"]
    assert len(warned) == 1 and "out of memory" in warned[0], warned


def test_a_refiner_that_cannot_load_is_one_line_and_dictation_goes_on(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="dictation")

    async def main() -> None:
        r, refiner, final = two_pass(tmp_path, ONE)

        async def broken() -> None:
            raise ConfigError("/models/base is not a faster-whisper model directory")

        refiner.prepare = broken  # type: ignore[method-assign]
        r.start()
        (await r.engine.call(1)).answer("Court early review.")
        assert await r.finish() == 0
        assert final.texts == ["Court early review."] and refiner.calls == []

    asyncio.run(main())
    errors = [rec.getMessage() for rec in caplog.records if rec.levelname == "ERROR"]
    assert len(errors) == 1 and "not a faster-whisper model" in errors[0], errors


def test_a_final_never_waits_for_a_refinement_under_way(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Both engines decode one call at a time, as local engines do, and a decode cannot be
    # interrupted: while the refiner works on piece 1, utterance 2's final goes at once.
    monkeypatch.setattr(ScriptedEngine, "slots", 1)

    async def main() -> None:
        r, refiner, final = two_pass(tmp_path, TWO, holds=[3.0])
        r.start()
        (await r.engine.call(1)).answer("First one.")
        ask = await refiner.call(1)  # piece 1 shown in the pause: refined, and not answered
        await r.held()
        r.source.release()  # utterance 2 is said and ends
        second = await r.engine.call(2)  # held behind the refinement, it would never come
        assert not ask.future.done()
        ask.answer("The first one.")
        second.answer("Second one.")
        (await refiner.call(2)).answer("Second one.")
        assert await r.finish() == 0
        assert final.texts[1:] == ["Second one."]

    asyncio.run(main())


@pytest.mark.parametrize(("argv", "nice"), [
    ([], 10),  # beside the local engine: the fast model's decodes take the cores first
    (["--base-url", "http://127.0.0.1:1/v1"], 0),  # the text is a server's: all its own
])
def test_a_local_refiner_beside_a_local_engine_decodes_at_a_lower_priority(
        argv: list[str], nice: int) -> None:
    args = resolve_args(["run", *argv, "--refine-model", "base"], {}).args
    refine = build_refiner(args, build_engine(args))
    assert isinstance(refine, LocalConfig) and refine.nice == nice
