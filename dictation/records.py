"""What the stages hand each other: utterances on their way to text and the text they became,
speculations, counters, the marker of a gap in capture, and the protocols of a source and of
whoever hears about the daemon's life. The bottom of the package: it imports no stage."""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import asyncio

    import numpy as np

    from dictation.transcript import Segment

GAP = "gap"
"""Put in the audio queue when capture broke off, and again on every retry while it waits:
the utterance in progress ends there (audio either side of a gap is not one utterance), and
the pipeline knows capture is alive, only waiting."""


@dataclass(frozen=True)
class Heard:
    """What the VAD measured of one utterance."""

    snr_db: float
    """How far the loud part of its speech rose above the background."""
    speech_share: float
    """The share of its frames the VAD called speech."""


@dataclass(frozen=True)
class Transcribed:
    """One piece of the session's text as delivered, with where it was in the audio (seconds
    since capture start): an utterance's text, or the text of several utterances joined into
    one sentence. Formatted to follow the text before it (capitals, commands applied)."""

    seq: int  # the piece's number: its first utterance's
    text: str  # sanitised, non-empty; may hold line breaks (spoken "new line")
    start_s: float  # the audio sent, pre-roll included
    end_s: float
    speech_start_s: float  # first and last frame the VAD called speech
    speech_end_s: float
    segments: tuple[Segment, ...] = ()  # the engine's, timed from start_s
    recovered: bool = False  # left over by a run that died: its times are from that run
    lead: str = ""
    """What joins ``text`` to the session's text before it: a space, or nothing (the first
    piece, punctuation said as a command, text after a line break)."""
    language: str | None = None
    """The language it is in, as the engine decided it; None: not said."""

    @property
    def piece(self) -> str:
        """The piece as appended to the session's text: ``lead`` and ``text``."""
        return self.lead + self.text


@dataclass(frozen=True)
class Revised:
    """Piece ``seq``, delivered as ``old``, now reads ``new``: a fragment joined with its
    continuation, refined by a better model, or taken back (``new`` is "": "scratch that",
    ``dictation ctl undo``).
    ``old`` and ``new`` are whole pieces, lead included; only the newest piece standing is
    ever revised."""

    seq: int
    old: str
    new: str
    item: Transcribed
    """The piece as it stands now (times merged when utterances were joined); as it was,
    when it was taken back."""
    why: str = ""
    """joined, continued, punctuation, refined, scratch that, undo."""

    @property
    def retracted(self) -> bool:
        return not self.new

    @property
    def old_text(self) -> str:
        """``old`` without its lead, as the piece's ``text`` was."""
        return self.old.lstrip(" ")


@dataclass(frozen=True)
class Interim:
    """Provisional text of the utterance still being spoken; the Final with its ``seq``
    replaces it. Times are seconds since capture started."""

    seq: int  # the utterance it belongs to: the number its Final will carry
    text: str  # the engine's text for all of the utterance's audio so far
    stable: str  # the prefix of ``text`` the last interims agreed on: not expected to change
    start_s: float  # where the utterance began
    end_s: float  # how far the audio it covers reaches


@dataclass(frozen=True)
class LiveTyped:
    """One step of typing during speech (``--live``): what the window shows for utterance
    ``seq`` after it, and the characters it typed and deleted."""

    seq: int
    text: str  # the utterance's text in the window now, live or final ("": none)
    typed: int
    deleted: int
    why: str
    """agreed (words the interims agreed on were typed), final (they became the piece's
    text), withdrawn (the utterance had no text), stopped (the user typed or moved)."""


@dataclass(frozen=True)
class Final:
    """A piece of text, delivered to every sink that shows text at once (see Revised for what
    may change it later)."""

    item: Transcribed
    latency_s: float  # from the end of its speech to its text (meaningful for a live input)
    recovered: bool = False  # left over by a run that died, delivered at this start


class Observer(Protocol):
    """Who hears about the daemon's life: the service manager, start and stop cues, the
    captions screen, caption files and the event stream."""

    def block(self) -> None:
        """An audio block went through: the capture is alive (the watchdog's ping)."""

    def level(self, dbfs: float) -> None:
        """The input level of the block that just went through (RMS, dB full scale)."""

    def state(self, status: dict[str, object]) -> None:
        """The state shown by ``status`` changed."""

    def gate(self, listening: bool) -> None:
        """A command started or stopped dictation."""

    def interim(self, event: Interim) -> None:
        """Provisional text of the utterance in progress."""

    def final(self, event: Final) -> None:
        """A piece of text was delivered (it may still be revised)."""

    def revise(self, event: Revised) -> None:
        """A delivered piece was revised or taken back."""

    def live(self, event: LiveTyped) -> None:
        """Typing during speech typed or corrected words."""


class Quiet:
    """An observer that hears nothing; subclass it to hear only some of it."""

    def block(self) -> None: ...

    def level(self, dbfs: float) -> None: ...

    def state(self, status: dict[str, object]) -> None: ...

    def gate(self, listening: bool) -> None: ...

    def interim(self, event: Interim) -> None: ...

    def final(self, event: Final) -> None: ...

    def revise(self, event: Revised) -> None: ...

    def live(self, event: LiveTyped) -> None: ...


class Fanout:
    """Several observers heard as one, in order."""

    def __init__(self, *observers: Observer) -> None:
        self.observers = observers

    def block(self) -> None:
        for o in self.observers:
            o.block()

    def level(self, dbfs: float) -> None:
        for o in self.observers:
            o.level(dbfs)

    def state(self, status: dict[str, object]) -> None:
        for o in self.observers:
            o.state(status)

    def gate(self, listening: bool) -> None:
        for o in self.observers:
            o.gate(listening)

    def interim(self, event: Interim) -> None:
        for o in self.observers:
            o.interim(event)

    def final(self, event: Final) -> None:
        for o in self.observers:
            o.final(event)

    def revise(self, event: Revised) -> None:
        for o in self.observers:
            o.revise(event)

    def live(self, event: LiveTyped) -> None:
        for o in self.observers:
            o.live(event)


class Source(Protocol):
    description: str
    can_wait: bool
    """True for a file read at full speed: it may be held back until the engine catches up.
    A microphone cannot wait; its audio is never held back."""

    def stop(self) -> None: ...

    def hold(self, quiet: bool) -> None:
        """``quiet``: nothing is being heard, so audio may be handed over a few blocks at a
        time (fewer wake-ups); otherwise every block at once, starting with those held."""
        ...

    def unread(self) -> str | None:
        """What input was never processed after an early stop (a file's rest), or None."""
        ...

    async def run(self, out: asyncio.Queue[np.ndarray | None]) -> None: ...


class EngineCall(Protocol):
    """What a speculation's holders may do with its engine call (transcribe/scheduler.py
    ``Call``, which owns it): named here, so the bottom of the package imports no engine."""

    def done(self) -> bool: ...
    def value(self) -> Any: ...  # its result once done; None if it failed or was cancelled
    async def result(self) -> Any: ...  # waits for its result; raises its error
    def promote(self, kind: Kind) -> None: ...  # a speculation now its utterance's final
    def discard(self) -> None: ...


@dataclass(frozen=True)
class Speculation:
    """A transcription started before the utterance ended."""

    start: int  # frame index of the utterance it belongs to
    frames: int  # how many frames it transcribed: all of the utterance if silence holds
    prompt: str
    call: EngineCall  # owned by the scheduler


class Kind(IntEnum):
    """What an engine call is for (transcribe/scheduler.py); lower goes first."""

    FINAL = 0  # a finished utterance's text: someone waits for it
    SPECULATION = 1  # the open utterance at a pause: it may become the final
    REFINE = 2  # a second look by a better model: only ever a revision
    INTERIM = 3  # provisional captions: never a final's text


@dataclass
class Stats:
    utterances: int = 0
    requests: int = 0  # transcriber calls, speculative ones included
    speculations_used: int = 0
    speculations_discarded: int = 0
    interims: int = 0  # interim transcriptions started (also counted in requests)
    joined: int = 0  # utterances transcribed together with the fragment before them
    echo_checks: int = 0  # texts that might echo the prompt, transcribed again without it


@dataclass(frozen=True)
class Speech:
    """One utterance on its way to text; times are seconds since capture started."""

    seq: int
    start_s: float
    end_s: float
    pcm: np.ndarray
    ended_at: float  # monotonic time its last frame was heard
    heard: Heard  # how far its speech stood above the background, how much was speech
    speech_start_s: float  # first and last frame called speech
    speech_end_s: float
    speculation: Speculation | None = None  # holds all of its speech, if set
    generation: int = 0  # a cancel since it was spoken drops it
    spooled: Path | None = None  # its durable copy, removed once delivered
    recovered: bool = False  # left over by a run that died
    # What a text that heard past the cut before it wrote first (a cut in long speech): the
    # words its own text may have left in the cut piece's audio (text/carry.py).
    opening: tuple[str, ...] = ()

    def since_last_word(self) -> float:
        """Seconds since its last word: ``ended_at`` dates its last frame, which came
        (end_s - speech_end_s) of silence after that word."""
        return time.monotonic() - self.ended_at + max(0.0, self.end_s - self.speech_end_s)
