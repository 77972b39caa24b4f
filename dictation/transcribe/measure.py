"""How fast this machine decodes with a model, measured by `dictation models bench` through
the local engine itself (its window, its decoding settings), so the figure is what dictation
will see. Apart from the stored figures (speed.py), which the local engine reads to choose
a model: the engine never imports what measures it.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import numpy as np

from dictation.transcribe.speed import Measurement, identity

PIECE_S = 1.0
WARMUP = 1  # runs left out: the first decode pays for allocations and caches


def sample() -> tuple[np.ndarray, np.ndarray]:
    """The bundled spoken sample, and 1 s of it from where its speech starts."""
    from dictation.audio.codec import read_wav
    from dictation.audio.wav import SAMPLE_RATE

    pcm = read_wav(Path(str(resources.files("dictation") / "data" / "sample.wav")))
    frames = pcm[: len(pcm) // 160 * 160].astype(np.float32).reshape(-1, 160)
    rms = np.sqrt((frames ** 2).mean(axis=1))
    start = int(np.argmax(rms > 0.1 * rms.max())) * 160
    return pcm, pcm[start: start + int(PIECE_S * SAMPLE_RATE)]


def measure(name: str, path: str, *, english_only: bool, family: str, runs: int,
            language: str | None = None, step: Callable[[str], None] = lambda _: None
            ) -> Measurement:
    """Load the model as dictation does, decode the sample and its piece ``WARMUP`` + ``runs``
    times each; the medians. ``step`` hears of each stage, for a progress display."""
    return asyncio.run(_measure(name, path, english_only, family, runs, language, step))


async def _measure(name: str, path: str, english_only: bool, family: str, runs: int,
                   language: str | None, step: Callable[[str], None]) -> Measurement:
    from dictation.audio.wav import SAMPLE_RATE
    from dictation.transcribe.engines import LocalConfig
    from dictation.transcribe.local import LocalTranscriber

    utterance, piece = sample()
    step("loading")
    engine = LocalTranscriber(LocalConfig(model=path, language=language))
    try:
        await engine.prepare()
        times: dict[str, list[float]] = {"utterance": [], "piece": []}
        for n in range(WARMUP + runs):
            for kind, pcm in (("utterance", utterance), ("piece", piece)):
                step(f"{kind} {n + 1} of {WARMUP + runs}")
                began = time.perf_counter()
                await engine.transcribe(pcm, "")
                if n >= WARMUP:
                    times[kind].append(time.perf_counter() - began)
    finally:
        await engine.aclose()
    return Measurement(
        name=name, path=str(path), identity=identity(path) or "", english_only=english_only,
        family=family, utterance_s=round(statistics.median(times["utterance"]), 4),
        piece_s=round(statistics.median(times["piece"]), 4),
        audio_s=round(len(utterance) / SAMPLE_RATE, 2), runs=runs,
        measured=time.strftime("%Y-%m-%dT%H:%M:%S%z"))
