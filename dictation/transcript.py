"""What an engine hands back (a Transcript and its Segments), what its caller knows of an
utterance's language (Hint), and the interface every engine has (Transcriber). Below every
stage: the segmenter, the text stage, delivery and the outputs read these types, and the
engines (dictation/transcribe/) produce them. Imports nothing of dictation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str
    avg_logprob: float | None = None
    no_speech_prob: float | None = None
    temperature: float | None = None
    """The sampling temperature of the decode it came from (Whisper's fallback raises it)."""

    def scores(self) -> str:
        """What a guard judges a guess by, for a log line."""
        return (f"t={self.temperature or 0:.1f} logprob={self.avg_logprob or 0:.2f} "
                f"no-speech={self.no_speech_prob or 0:.2f}")


@dataclass(frozen=True)
class Transcript:
    text: str
    segments: tuple[Segment, ...] = field(default=())
    language: str | None = None
    """The language it is in, as the engine decided it (language.py); None: not said."""
    guessed: bool = False
    """Its words are a random draw the most likely reading did not hold: the engine's greedy
    pass over the same audio found no words, and only its temperature fallback did. Whisper
    draws words from noise that way, other ones each time (the guard asks the audio again)."""


@dataclass(frozen=True)
class Hint:
    """What the caller knows of an utterance: its language, for an engine that decides it,
    and the words it begins with."""

    language: str | None = None
    """It is in this language: no detection (a piece heard again, by a second model)."""
    previous: str | None = None
    """The language of the piece before it: a short or uncertain utterance keeps it."""
    prompts: Mapping[str, str] = field(default_factory=dict)
    """The prompt for each language it may be in: the text before it in that language."""
    other: str | None = None
    """The prompt for a language not in ``prompts`` (no text before it in that language);
    None: the plain prompt."""
    draft: bool = False
    """Provisional text (an interim caption), never a final's: one quick pass, and a result
    that looks broken is returned as it is rather than redone the slow way."""
    prefix: str = ""
    """Words the text must begin with: typed into a window already while they were spoken
    (live typing). An engine that can (the local one) decodes on from them, so the text only
    extends what the window shows; a server has no such field, and ignores it."""

    def prompt_for(self, language: str | None, plain: str) -> str:
        """The prompt to decode in ``language`` with."""
        if language in self.prompts:
            return self.prompts[language]
        return plain if self.other is None else self.other


class Transcriber(Protocol):
    description: str
    slots: int | None
    """Calls it takes at once: 1 for an engine in this process (its decodes share the
    machine's cores), None for a server (it queues them itself)."""
    languages: tuple[str, ...]
    """The languages it may hear: one, the user's set, or () for any it knows."""

    async def prepare(self) -> None:
        """Get ready (load a model); raises the one-line error that makes it unusable."""
        ...

    async def transcribe(self, pcm: np.ndarray, prompt: str, hint: Hint | None = None
                         ) -> Transcript:
        """Transcribe 16 kHz mono int16 audio, continuing from ``prompt``; ``hint``: what is
        known of its language.

        Cancelling the call abandons it: its result is never used."""
        ...

    async def aclose(self) -> None: ...


@runtime_checkable
class Detector(Protocol):
    """An engine that tells an utterance's language apart from decoding it (the local one):
    a join asks before it hears a fragment and its continuation in one language."""

    async def languages_of(self, pcm: np.ndarray, previous: str | None) -> tuple[str, ...]:
        """The languages the engine would decode ``pcm`` in, alone after a piece in
        ``previous``: its pick among the user's, and the runner-up when it is unsure; ()
        when it cannot tell (one language, or no detector)."""
        ...
