"""The configuration of `dictation run`: every stage's settings composed into one frozen
dataclass, built once by the command line and passed down explicitly. The stages' own settings
live with them (SegmenterConfig, GuardConfig, the engines', TyperConfig)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dictation.deliver.refine import WAIT_S
from dictation.output.keytools import TyperConfig
from dictation.segment.segmenter import SegmenterConfig
from dictation.text.config import TextConfig
from dictation.text.guard import GuardConfig
from dictation.transcribe.engines import ApiConfig, LocalConfig


@dataclass(frozen=True)
class RunConfig:
    engine: ApiConfig | LocalConfig
    segmenter: SegmenterConfig = field(default_factory=SegmenterConfig)
    vad_aggressiveness: int = 3
    input: str | None = None  # device index, name substring or audio file; None = default mic
    fast: bool = False
    prompt: str = ""
    speculate_s: float = 0.0
    """Least silence after which an utterance is transcribed before its end is certain (it
    grows while pauses keep turning out not to be ends); 0 = off."""
    interim_s: float = 0.0
    """Seconds of audio between interim transcriptions of the utterance in progress (provisional
    text for captions); 0 = off."""
    outputs: tuple[str, ...] = ("stdout",)
    clipboard_mode: str = "replace"
    keep_dir: Path | None = None  # where undeliverable audio is kept; None = state dir
    mode: str = "continuous"  # see segment/gate.py
    socket: str | None = None  # control socket; None = the per-user runtime directory
    hotkey: str | None = None
    cues: str = "off"
    typer: TyperConfig = field(default_factory=TyperConfig)
    guard: GuardConfig = field(default_factory=GuardConfig)
    """What is never typed: silence phrases, and the floor below which nothing is sent."""
    text: TextConfig = field(default_factory=TextConfig)
    """What an utterance's transcript becomes before the outputs see it."""
    spool_dir: Path | None = None  # None = the state directory's spool/
    spool_max_mb: float = 500.0
    """Capture stops (loudly) while the spool holds this much; about 4 h of speech."""
    give_up_s: float | None = None
    """Stop retrying an utterance after this long; None: retry for as long as it takes."""
    stop_grace_s: float = 5.0
    """On the first stop signal, how long the utterances in progress may take to become text
    before they are left in the spool: the service's stop timeout (20 s) stays far off."""
    srt: Path | None = None  # caption files of the session, written as it goes
    vtt: Path | None = None
    events: str | None = None  # JSON lines of the session: a file, or "-" for stdout
    captions: bool = False
    """Show the text on a live captions screen (the terminal) instead of as stdout lines."""
    refine: ApiConfig | LocalConfig | None = None
    """A second, better engine that hears each piece again (deliver/refine.py); None: off."""
    refine_wait_s: float = WAIT_S
    """How long after a piece was shown stdout waits for its refinement."""
