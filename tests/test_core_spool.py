"""The core in-process: the spool's bound, and shutdown with work pending. Stop finishes what
was heard; abort and a stop during an outage keep it on disk, and the next start delivers it
first, in order."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest
from corerig import Rig, rig, speech, spooled
from scripted import spin

from dictation.audio.codec import read_wav
from dictation.deliver.retry import RetryPolicy
from dictation.deliver.spool import Spool
from dictation.deliver.spoolfile import load
from dictation.errors import TranscriptionError

T, P = "talk", "pause"
FULL = "capture stopped: spool full"


def test_capture_stops_while_the_spool_is_full_and_resumes_once_it_drained(
        tmp_path: Path) -> None:
    # Each utterance is ~56 kB on disk: a 100 kB bound is reached by the second. Capture
    # resumes below 75 kB, so as soon as one is delivered.
    audio = speech((P, 0.5), *[(T, 1), (P, 1)] * 4)

    async def main() -> None:
        spool = Spool(tmp_path / "spool", 100_000)
        spool.open()
        r = rig(tmp_path, audio, spool=spool).start()
        c1 = await r.engine.call(1)
        await r.signal.until(lambda: r.pipeline.status()["state"] == FULL, "the spool full")
        assert spool.count == 2 and 100_000 <= spool.bytes < 150_000
        assert r.observer.seen(FULL) and "is full" in (r.pipeline.delivery.last_error or "")
        heard = r.observer.blocks
        await spin()  # while it stays full, not one more block is taken from the file
        assert r.observer.blocks == heard and spool.count == 2
        c1.answer("One.")
        await r.signal.until(lambda: r.observer.blocks > heard, "capture resumed")
        # Utterance 2 stays in flight until the third has filled the spool again.
        c2 = await r.engine.call(2)
        await r.signal.until(lambda: spool.count == 2 and r.pipeline.status()["state"] == FULL,
                             "the spool full again at the third utterance")
        c2.answer("Two.")
        for n, text in enumerate(["Three.", "Four."], 3):
            (await r.engine.call(n)).answer(text)
        assert await r.finish() == 0
        assert r.sink.texts == ["One.", "Two.", "Three.", "Four."]  # nothing lost
        stops = [a["state"] != FULL and b["state"] == FULL
                 for a, b in zip(r.observer.states, r.observer.states[1:], strict=False)]
        assert sum(stops) >= 2  # full again at the third utterance, resumed again
        assert r.pipeline.status()["state"] != FULL
        assert spooled(spool) == [] and r.pipeline.kept == []
        spool.close()

    asyncio.run(main())


@pytest.mark.parametrize("how", ["stop", "abort"])
def test_a_stop_while_the_spool_is_full_goes_on_at_once_with_what_was_read(
        tmp_path: Path, how: str) -> None:
    # The file was read ahead while capture waited for the spool to drain. Stop delivers
    # that audio's utterances (nothing read is lost); abort leaves them in the spool.
    audio = speech((P, 0.5), *[(T, 1), (P, 1)] * 4)

    async def main() -> None:
        spool = Spool(tmp_path / "spool", 100_000)
        spool.open()
        r = rig(tmp_path, audio, spool=spool).start()
        await r.engine.call(1)
        await r.signal.until(lambda: r.pipeline.status()["state"] == FULL, "the spool full")
        await r.signal.until(lambda: r.source.passed == len(r.source.pcm), "the file read")
        heard = r.observer.blocks
        getattr(r.pipeline, how)()
        await spin()  # no timer: the stop itself wakes the capture
        assert r.observer.blocks > heard
        r.engine.answer_all(lambda call: f"Request {call.n}.")
        if how == "stop":
            assert await r.finish() == 0
            assert r.sink.texts == [f"Request {n}." for n in range(1, 5)]
            assert spooled(spool) == []
        else:
            assert await r.finish() == 130
            assert r.sink.texts == [] and len(spooled(spool)) == 4
        spool.close()

    asyncio.run(main())


def test_stop_finishes_the_utterance_in_flight_and_the_one_being_spoken(
        tmp_path: Path) -> None:
    # Stopped in the middle of burst 2: utterance 1 is at the engine, 2 is open. Both are
    # delivered, 2 as far as it was heard; the rest of the file is never read.
    audio = speech((P, 0.5), (T, 1), (P, 1), (T, 1), (P, 1))

    async def main() -> None:
        spool = Spool(tmp_path / "spool", 0)
        spool.open()
        r = rig(tmp_path, audio, holds=[3.0], spool=spool).start()
        c1 = await r.engine.call(1)
        await r.held()
        r.pipeline.stop()
        c1.answer("One.")
        c2 = await r.engine.call(2)
        assert c2.prompt == "One."
        c2.answer("Two, cut short.")
        assert await r.finish() == 0
        assert r.sink.texts == ["One.", "Two, cut short."]
        # Up to the stop: the file's block in hand then (30 ms) was the last one read.
        two = r.sink.items[1]
        assert two.end_s == pytest.approx(3.03) and two.speech_end_s == pytest.approx(3.03)
        assert np.array_equal(c2.pcm, r.source.pcm[round(two.start_s * 16000):round(3.03 * 16000)])
        assert "from 3.0 s on" in (r.source.unread() or "")
        assert spooled(spool) == [] and r.pipeline.kept == []
        spool.close()

    asyncio.run(main())


async def next_start(tmp_path: Path, root: Path, expected: list[np.ndarray]) -> Rig:
    """A later run over the same spool: it delivers what the last one left, first and in
    order, before anything new (one more burst)."""
    spool = Spool(root, 0)
    recovered = spool.open()
    assert [len(s.entries) for s in recovered] == [len(expected)]
    r = rig(tmp_path, speech((P, 0.5), (T, 1), (P, 1)), spool=spool,
            recovered=recovered).start()
    for n, pcm in enumerate(expected, 1):
        call = await r.engine.call(n)
        assert np.array_equal(call.pcm, pcm)
        call.answer(f"Left over {n}.")
    (await r.engine.call(len(expected) + 1)).answer("New.")
    assert await r.finish() == 0
    assert r.sink.texts == [*(f"Left over {n}." for n in range(1, len(expected) + 1)), "New."]
    assert [i.recovered for i in r.sink.items] == [True] * len(expected) + [False]
    spool.close()
    assert not list(root.glob("*/*.wav"))
    return r


def test_stop_while_the_engine_fails_leaves_the_utterances_for_the_next_start(
        tmp_path: Path) -> None:
    # A long backoff: the stop, not the timer, ends the wait between retries.
    audio = speech((P, 0.5), (T, 1), (P, 1), (T, 1), (P, 1))
    slow = RetryPolicy(base_s=60, cap_s=60, jitter=0)

    async def main() -> None:
        spool = Spool(tmp_path / "spool", 0)
        spool.open()
        r = rig(tmp_path, audio, spool=spool, retry=slow).start()
        c1 = await r.engine.call(1)
        c1.fail(TranscriptionError("connection refused", retryable=True))
        await r.signal.until(lambda: r.pipeline.status()["state"] == "retrying", "retrying")
        await r.signal.until(lambda: spool.count == 2, "utterance 2 spooled")
        r.pipeline.stop()
        assert await r.finish() == 1  # work left undone
        assert r.sink.texts == [] and len(r.engine.calls) == 1 and r.pipeline.kept == []
        left = [np.frombuffer(load(f)[0], "<i2") for f in spooled(spool)]
        assert len(left) == 2 and np.array_equal(left[0], c1.pcm)
        spool.close()
        await next_start(tmp_path, tmp_path / "spool", left)

    asyncio.run(main())


@pytest.mark.parametrize("spool", [True, False], ids=["spool", "keep-dir"])
def test_abort_keeps_what_is_not_yet_text_on_disk(tmp_path: Path, spool: bool) -> None:
    # Ctrl-C twice: utterance 1 is at the engine, 2 queued. The request is abandoned and
    # both are kept, in the spool for the next start or, without one, in the keep directory.
    audio = speech((P, 0.5), (T, 1), (P, 1), (T, 1), (P, 1), (T, 1), (P, 1))

    async def main() -> None:
        sp = Spool(tmp_path / "spool", 0) if spool else None
        if sp:
            sp.open()
        r = rig(tmp_path, audio, holds=[4.2], spool=sp).start()
        c1 = await r.engine.call(1)
        await r.held()
        r.pipeline.abort()
        assert await r.finish() == 130
        assert c1.cancelled and len(r.engine.calls) == 1 and r.sink.texts == []
        if sp:
            assert r.pipeline.kept == []
            left = [np.frombuffer(load(f)[0], "<i2") for f in spooled(sp)]
            sp.close()
        else:
            left = [read_wav(f) for f in r.pipeline.kept]
        assert len(left) == 2 and np.array_equal(left[0], c1.pcm)
        burst2 = r.source.pcm[2 * 16000:4 * 16000]
        assert np.array_equal(np.trim_zeros(left[1]), np.trim_zeros(burst2))
        if sp:
            await next_start(tmp_path, tmp_path / "spool", left)

    asyncio.run(main())
