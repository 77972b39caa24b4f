"""How fast this machine decodes with each model: measured by `dictation models bench` through
the local engine itself (its window, its decoding settings), so the figure is what dictation
will see; stored as JSON in dictation's state directory, read by `models list` and by
`--local-model auto`, which never measures anything itself.

A measurement belongs to a model's files: its directory, and the size and modification time of
its model.bin. A model replaced or downloaded again is measured again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from dictation.storage import atomic_write, private_dir, state_dir

log = logging.getLogger("dictation")

STORE = "model-speed.json"
VERSION = 1
PIECE_S = 1.0
WARMUP = 1  # runs left out: the first decode pays for allocations and caches


@dataclass(frozen=True)
class Measurement:
    name: str
    path: str
    identity: str
    english_only: bool
    family: str
    utterance_s: float
    """Median time to decode the bundled spoken sample: a typical utterance."""
    piece_s: float
    """Median time to decode 1 s of it: the least an utterance costs."""
    audio_s: float
    """How long the sample is."""
    runs: int
    measured: str
    """When, as ISO 8601 local time."""


def identity(path: str | Path) -> str | None:
    """What changes when a model does: its directory, its weights' size and time."""
    try:
        st = os.stat(Path(path) / "model.bin")
    except OSError:
        return None
    return f"{os.path.realpath(path)}:{st.st_size}:{st.st_mtime_ns}"


def store_path(env: Mapping[str, str] = os.environ) -> Path:
    return Path(state_dir(env)) / STORE


def load(env: Mapping[str, str] = os.environ) -> list[Measurement]:
    """The measurements of models whose files are unchanged; a missing or unreadable store
    is none (a warning for the latter: the next bench replaces it)."""
    path = store_path(env)
    try:
        data = json.loads(path.read_text())
        stored = [Measurement(**m) for m in data["models"]] if data["v"] == VERSION else []
    except FileNotFoundError:
        return []
    except (OSError, ValueError, KeyError, TypeError) as err:
        log.warning("ignoring the model measurements in %s (%s)", path, type(err).__name__)
        return []
    return [m for m in stored if identity(m.path) == m.identity]


def lookup(path: str | None, measured: list[Measurement]) -> Measurement | None:
    if path is None:
        return None
    key = identity(path)
    return next((m for m in measured if m.identity == key), None)


def save(m: Measurement, env: Mapping[str, str] = os.environ) -> Path:
    """Store ``m`` in place of an older figure of the same files; figures of models gone or
    changed are dropped."""
    kept = [old for old in load(env) if old.identity != m.identity]
    path = store_path(env)
    private_dir(path.parent, name="state directory", refusal="store measurements there")
    data = {"v": VERSION, "models": [asdict(x) for x in [*kept, m]]}
    atomic_write(path, (json.dumps(data, indent=1) + "\n").encode(), durable=False)
    return path


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
