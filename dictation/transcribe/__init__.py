"""Speech-to-text engines behind one interface: PCM in, sanitised text out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str
    avg_logprob: float | None = None
    no_speech_prob: float | None = None


@dataclass(frozen=True)
class Transcript:
    text: str
    segments: tuple[Segment, ...] = field(default=())


class Transcriber(Protocol):
    description: str

    async def prepare(self) -> None:
        """Get ready (load a model); raises the one-line error that makes it unusable."""
        ...

    async def transcribe(self, pcm: np.ndarray, prompt: str) -> Transcript:
        """Transcribe 16 kHz mono int16 audio, continuing from ``prompt``.

        Cancelling the call abandons it: its result is never used."""
        ...

    async def aclose(self) -> None: ...
