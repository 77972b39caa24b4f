"""What the stages hand each other: utterances, speculations, counters, and the protocols of a
source and of whoever hears about the daemon's life."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from dictation.transcribe import Transcript
from dictation.transcribe.guard import Heard


class Observer(Protocol):
    """Who hears about the daemon's life: the service manager, the start and stop cues."""

    def block(self) -> None:
        """An audio block went through: the capture is alive (the watchdog's ping)."""

    def state(self, status: dict[str, object]) -> None:
        """The state shown by ``status`` changed."""

    def gate(self, listening: bool) -> None:
        """A command started or stopped dictation."""


class Quiet:
    """An observer that hears nothing."""

    def block(self) -> None: ...

    def state(self, status: dict[str, object]) -> None: ...

    def gate(self, listening: bool) -> None: ...


class Source(Protocol):
    description: str
    can_wait: bool
    """True for a file read at full speed: it may be held back until the engine catches up.
    A microphone cannot wait; its audio is never held back."""

    def stop(self) -> None: ...

    def unread(self) -> str | None:
        """What input was never processed after an early stop (a file's rest), or None."""
        ...

    async def run(self, out: asyncio.Queue[np.ndarray | None]) -> None: ...


@dataclass(frozen=True)
class Speculation:
    """A transcription started before the utterance ended."""

    start: int  # frame index of the utterance it belongs to
    frames: int  # how many frames it transcribed: all of the utterance if silence holds
    prompt: str
    task: asyncio.Task[Transcript]


@dataclass
class Stats:
    utterances: int = 0
    requests: int = 0  # transcriber calls, speculative ones included
    speculations_used: int = 0
    speculations_discarded: int = 0


def discard(spec: Speculation, stats: Stats) -> None:
    """Abandon a speculation: its text would be stale, or is no longer wanted."""
    stats.speculations_discarded += 1
    spec.task.cancel()
    # Retrieve its outcome so an error in an abandoned call is not reported as unhandled.
    spec.task.add_done_callback(lambda t: t.cancelled() or t.exception())


@dataclass(frozen=True)
class Speech:
    """One utterance on its way to text; times are seconds since capture started."""

    seq: int
    start_s: float
    end_s: float
    pcm: np.ndarray
    ended_at: float  # monotonic time the segmenter closed it
    heard: Heard  # how far its speech stood above the background, how much was speech
    speech_start_s: float  # first and last frame called speech
    speech_end_s: float
    speculation: Speculation | None = None  # holds all of its speech, if set
    generation: int = 0  # a cancel since it was spoken drops it
    spooled: Path | None = None  # its durable copy, removed once delivered
    recovered: bool = False  # left over by a run that died
