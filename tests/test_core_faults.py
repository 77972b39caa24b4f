"""The core in-process: a failing engine. Retries keep the order, an outage is reported once
and its end too, audio that cannot become text is kept, and a fatal error ends the run with
nothing lost."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import numpy as np
import pytest
from corerig import rig, speech, spooled

from dictation.audio.codec import read_wav
from dictation.audio.vad import SAMPLE_RATE
from dictation.deliver.retry import RetryPolicy
from dictation.deliver.spool import Spool
from dictation.deliver.spoolfile import load
from dictation.errors import TranscriptionError

T, P = "talk", "pause"
TWO = speech((P, 0.5), (T, 1), (P, 1), (T, 1), (P, 1))


def busy(retry_after: float | None = None) -> TranscriptionError:
    return TranscriptionError("server busy (503)", retryable=True, retry_after=retry_after)


@pytest.mark.parametrize("second", ["before", "during"])
def test_retryable_failures_are_retried_in_order_and_the_outage_reported_once(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, second: str) -> None:
    # Utterance 2 is queued before the first failure, or heard during the outage: the file
    # is held after it ends, or before it begins, until utterance 1 has failed.
    caplog.set_level(logging.INFO, logger="dictation")
    hold = {"before": 4.4, "during": 2.2}[second]

    async def main() -> None:
        r = rig(tmp_path, TWO, prompt="Memo:", holds=[hold]).start()
        c1 = await r.engine.call(1)
        await r.held()
        assert r.pipeline.backlog() == (2 if second == "before" else 1)
        c1.fail(busy())
        await r.engine.call(2)
        r.source.release()
        c2 = r.engine.calls[1]
        # The same utterance again, with the same prompt; utterance 2 waits its turn.
        assert np.array_equal(c2.pcm, c1.pcm) and c2.prompt == c1.prompt == "Memo:"
        assert r.pipeline.status()["state"] == "retrying"
        assert r.pipeline.delivery.last_error == "server busy (503)"
        c2.fail(busy())
        c3 = await r.engine.call(3)
        assert np.array_equal(c3.pcm, c1.pcm)
        c3.answer("First.")
        c4 = await r.engine.call(4)
        assert r.sink.texts == ["First."]
        assert c4.prompt == "Memo: First." and not np.array_equal(c4.pcm, c1.pcm)
        assert r.pipeline.delivery.last_error is None  # the engine answers again
        c4.answer("Second.")
        assert await r.finish() == 0
        assert r.sink.texts == ["First.", "Second."]
        # One outage for the failure streak, reported once at its start (with the error) and
        # once at its end, none per attempt. Utterance 2 may be heard before the first failure
        # or during the outage: the status then shows a new backlog, not a new outage.
        states = r.observer.states
        began = [s for before, s in zip([{}, *states], states, strict=False)
                 if s["state"] == "retrying" and before.get("state") != "retrying"]
        assert len(began) == 1 and began[0]["last_error"] == "server busy (503)"
        assert all(s["last_error"] == "server busy (503)" for s in states
                   if s["state"] == "retrying")
        assert states[-1]["last_error"] is None
        lines = [(rec.levelname, rec.getMessage()) for rec in caplog.records]
        warned = [m for level, m in lines if level == "WARNING"]
        answered = [m for _, m in lines if "answers again" in m]
        assert len(warned) == 1 and warned[0].startswith("server busy (503)"), lines
        assert len(answered) == 1, lines
        assert r.pipeline.stats.requests == 4 and r.pipeline.kept == []

    asyncio.run(main())


@pytest.mark.parametrize("give_up", [False, True], ids=["refused", "given-up"])
def test_audio_that_cannot_become_text_is_kept_and_the_next_utterance_goes_on(
        tmp_path: Path, give_up: bool) -> None:
    # Refused: a non-retryable error (a 400 for this audio). Given up: a second failure whose
    # Retry-After would outlast --give-up-after, so it gives up at once instead of waiting.
    retry = RetryPolicy(base_s=0.001, cap_s=60, jitter=0, give_up_s=10)

    async def main() -> None:
        r = rig(tmp_path, TWO, retry=retry).start()
        c1 = await r.engine.call(1)
        if give_up:
            c1.fail(busy(retry_after=0))
            c1 = await r.engine.call(2)
            c1.fail(busy(retry_after=30))
        else:
            c1.fail(TranscriptionError("the server refused this audio (400)"))
        nxt = await r.engine.call(len(r.engine.calls) + 1)
        assert nxt.prompt == ""  # nothing of the lost utterance in the prompt
        assert len(r.pipeline.kept) == 1
        assert np.array_equal(read_wav(r.pipeline.kept[0]), c1.pcm)
        error = r.pipeline.status()["last_error"]  # what `dictation status` shows
        assert isinstance(error, str) and str(r.pipeline.kept[0]) in error
        assert ("gave up on utterance 1" if give_up else "refused this audio") in error
        nxt.answer("Second.")
        assert await r.finish() == 1  # audio was kept: not a clean run
        assert r.sink.texts == ["Second."]

    asyncio.run(main())


@pytest.mark.parametrize("spool", [True, False], ids=["spool", "keep-dir"])
def test_a_fatal_error_ends_the_run_with_every_utterance_kept(tmp_path: Path,
                                                              spool: bool) -> None:
    # Held in the pause after utterance 2 was queued: 1 is at the engine when it answers
    # that the key is bad. No request follows; both utterances are on disk, in the spool
    # (delivered at the next start) or, without one, in the keep directory.
    audio = speech((P, 0.5), (T, 1), (P, 1), (T, 1), (P, 1), (T, 1), (P, 1))

    async def main() -> None:
        sp = Spool(tmp_path / "spool", 0) if spool else None
        if sp:
            sp.open()
        r = rig(tmp_path, audio, holds=[4.2], spool=sp).start()
        c1 = await r.engine.call(1)
        await r.held()
        assert r.pipeline.backlog() == 2
        c1.fail(TranscriptionError("invalid API key (401)", fatal=True))
        assert await r.finish() == 1
        assert r.pipeline.failed is not None and len(r.engine.calls) == 1
        assert r.sink.texts == []
        assert r.pipeline.delivery.last_error == "invalid API key (401)"
        assert r.source.unread() is not None  # the third burst was never read
        if sp:
            files = spooled(sp)
            saved = [np.frombuffer(load(f)[0], "<i2") for f in files]
            assert r.pipeline.kept == []
            sp.close()
        else:
            files = r.pipeline.kept
            saved = [read_wav(f) for f in files]
        assert len(files) == 2 and np.array_equal(saved[0], c1.pcm)
        burst2 = r.source.pcm[2 * SAMPLE_RATE:4 * SAMPLE_RATE]  # and all of burst 2
        assert np.array_equal(np.trim_zeros(saved[1]), np.trim_zeros(burst2))

    asyncio.run(main())


def test_a_refusal_after_failures_ends_the_outage(tmp_path: Path) -> None:
    # The server failed, then answered that it will not take this audio: it is back, so the
    # status no longer says retrying, though no text came of the utterance.
    async def main() -> None:
        r = rig(tmp_path, TWO).start()
        (await r.engine.call(1)).fail(busy())
        (await r.engine.call(2)).fail(TranscriptionError("the server refused this audio (400)"))
        c3 = await r.engine.call(3)
        assert not r.pipeline.delivery.retrying
        assert r.pipeline.status()["state"] != "retrying"
        c3.answer("Second.")
        assert await r.finish() == 1  # the first utterance's audio was kept
        assert r.sink.texts == ["Second."]

    asyncio.run(main())
