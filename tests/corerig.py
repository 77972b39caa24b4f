"""The in-process core layer's rig: the real pipeline (VAD, segmenter, delivery, spool) fed a
synthesised WAV by the real FileSource at full speed, held only where the test says, with the
scripted engine of scripted.py. Nothing here runs at real time or waits on a clock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scripted import GUARD_S, RecordingObserver, RecordingSink, ScriptedEngine, Signal

from dictation.audio.codec import encode_wav
from dictation.audio.files import FileSource
from dictation.audio.vad import SAMPLE_RATE, Vad
from dictation.deliver.config import DeliveryConfig
from dictation.deliver.refine import RefineConfig
from dictation.deliver.retry import RetryPolicy
from dictation.deliver.spool import Adopted, Spool
from dictation.pipeline import Pipeline
from dictation.records import Fanout, Observer
from dictation.segment.segmenter import Segmenter
from dictation.text.boundary import BoundaryConfig
from dictation.text.commands import CommandConfig
from dictation.text.config import TextConfig

# The core tests are about order, speculation, retries and the spool: spoken commands (and
# their bias words in every prompt) are off unless a test turns them on, and so is hearing a
# complete sentence again with speech after a thinking pause, as their pauses are of any
# length (test_core_join tests it).
ONCE = BoundaryConfig(rethink_s=(0.0, 0.0))
PLAIN = TextConfig(commands=CommandConfig(enabled=False), boundary=ONCE)

# Fast retries: the retry tests are about order and reporting, not about backoff.
FAST_RETRY = RetryPolicy(base_s=0.001, cap_s=0.001, jitter=0.0)


# --- synthesised speech ------------------------------------------------------------------------

TALK_F0 = (140.0, 150.0, 160.0, 170.0, 180.0, 190.0, 200.0)


def voiced(seconds: float, f0: float = 140.0) -> np.ndarray:
    """A vowel-like sound: harmonics of ``f0`` shaped by three formants, with a syllable
    rhythm. webrtcvad (at its strictest) calls every frame of it speech, see test_core_order."""
    t = np.arange(round(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    sig = np.zeros_like(t)
    for k in range(1, int(4000 / f0) + 1):
        gain = sum(np.exp(-((f0 * k - f) / 150) ** 2) for f in (600, 1200, 2500)) + 0.05
        sig += gain * np.sin(2 * np.pi * f0 * k * t + k)
    sig *= 0.6 + 0.4 * np.sin(2 * np.pi * 4 * t)
    return (sig / np.abs(sig).max() * 8000).astype(np.int16)


def quiet(seconds: float) -> np.ndarray:
    return np.zeros(round(seconds * SAMPLE_RATE), np.int16)


def speech(*parts: tuple[str, float]) -> np.ndarray:
    """Audio from ("talk" | "pause", seconds) parts; each talk a pitch of its own (140 Hz,
    150 Hz, …), so no two utterances have the same audio."""
    out, talks = [], 0
    for kind, seconds in parts:
        if kind == "talk":
            out.append(voiced(seconds, TALK_F0[talks % len(TALK_F0)]))
            talks += 1
        else:
            out.append(quiet(seconds))
    return np.concatenate(out)


# --- the file, held where the test says ------------------------------------------------------


class _Valve:
    """Stands between the file and the pipeline's queue, as that queue."""

    def __init__(self, out: asyncio.Queue[Any], file: HeldFile) -> None:
        self.out, self.file = out, file

    async def put(self, block: np.ndarray | None) -> None:
        f = self.file
        if block is not None and f.holds and f.passed >= f.holds[0]:
            f.holds.pop(0)
            f.waiting = True
            f.signal.poke()
            await f.go.wait()
            f.go.clear()
        await self.out.put(block)
        if block is not None:
            f.passed += len(block)
            f.blocks += 1
            f.signal.poke()


class HeldFile(FileSource):
    """The real FileSource at full speed, except that it stops before each hold point (in
    seconds) until :meth:`release`: what the file holds after a point is heard only after
    whatever the test does there."""

    def __init__(self, path: Path, signal: Signal, holds: Sequence[float] = ()) -> None:
        super().__init__(path, realtime=False)
        self.signal = signal
        self.holds = sorted(round(s * SAMPLE_RATE) for s in holds)
        self.passed = 0  # samples handed on
        self.blocks = 0
        self.waiting = False
        self.go = asyncio.Event()

    async def run(self, out: asyncio.Queue[np.ndarray | None]) -> None:
        await super().run(_Valve(out, self))  # type: ignore[arg-type]

    def release(self) -> None:
        self.waiting = False
        self.go.set()

    def stop(self) -> None:
        super().stop()
        self.release()  # a stop ends the hold, as it ends the file


# --- the rig ------------------------------------------------------------------------------


@dataclass
class Rig:
    pipeline: Pipeline
    engine: ScriptedEngine
    sink: RecordingSink
    observer: RecordingObserver
    source: HeldFile
    signal: Signal
    heard_by: Fanout  # what the pipeline was given as its observer
    task: asyncio.Task[int] = field(init=False)

    def hear(self, observer: Observer) -> None:
        """``observer`` hears the run too, after the recording observer (before the start:
        the stages were given their observer when they were made)."""
        self.heard_by.observers = (*self.heard_by.observers, observer)

    def start(self) -> Rig:
        self.task = asyncio.create_task(self.pipeline.run())
        return self

    async def held(self) -> None:
        """The file waits at its next hold point and everything before it went through the
        VAD and the segmenter."""
        await self.signal.until(
            lambda: self.source.waiting and self.observer.blocks == self.source.blocks,
            "the file held and heard up to its hold point")

    async def delivered(self, n: int) -> list[str]:
        await self.signal.until(lambda: len(self.sink.items) >= n, f"{n} texts delivered")
        return self.sink.texts

    async def finish(self) -> int:
        """The run's exit code, once it ended."""
        try:
            return await asyncio.wait_for(asyncio.shield(self.task), GUARD_S)
        except TimeoutError:
            raise AssertionError("the run never ended") from None


def rig(tmp_path: Path, audio: np.ndarray, *, holds: Sequence[float] = (), prompt: str = "",
        spool: Spool | None = None, recovered: Sequence[Adopted] = (),
        retry: RetryPolicy = FAST_RETRY, speculate_s: float = 0.0,
        interim_s: float = 0.0, text: TextConfig = PLAIN, sinks: Sequence[Any] = (),
        refiner: ScriptedEngine | None = None, refine: RefineConfig | None = None) -> Rig:
    """The real pipeline over ``audio`` written as a WAV file; call inside the loop.
    ``sinks``: more sinks after the recording one; ``refiner``: a second scripted engine,
    the second pass."""
    wav = tmp_path / "input.wav"
    wav.write_bytes(encode_wav(audio))
    signal = Signal()
    engine, sink = ScriptedEngine(signal), RecordingSink(signal)
    observer, source = RecordingObserver(signal), HeldFile(wav, signal, holds)
    heard_by = Fanout(observer)
    settings = DeliveryConfig(tmp_path / "unsent", prompt, retry=retry,
                              refine=refine or RefineConfig())
    pipeline = Pipeline(source, Vad(), Segmenter(), engine, [sink, *sinks], settings,
                        speculate_s=speculate_s, interim_s=interim_s, observer=heard_by,
                        spool=spool, recovered=recovered, text=text, refiner=refiner)
    return Rig(pipeline, engine, sink, observer, source, signal, heard_by)


def spooled(spool: Spool) -> list[Path]:
    """The utterance files in the spool's own session, in order."""
    assert spool.session is not None
    return sorted(spool.session.glob("[0-9]*.wav"))
