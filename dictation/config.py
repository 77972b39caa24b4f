"""Settings as frozen dataclasses, built once by the CLI and passed down explicitly."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dictation.segment.segmenter import SegmenterConfig
from dictation.text.guard import GuardConfig

DEFAULT_BASE_URL = "https://api.openai.com/v1"
OUTPUTS = ("stdout", "clipboard", "type", "paste")
FORMATS = ("json", "text", "srt", "verbose_json", "vtt")  # the API's response formats
CLIPBOARD_MODES = ("replace", "append")
TYPERS = ("auto", "wtype", "xdotool", "ydotool")
BUNDLED_MODEL = "tiny.en"
EXTENSIONS = {"text": ".txt", "srt": ".srt", "vtt": ".vtt", "json": ".json"}  # transcribe
# Nobody waits on a file: a longer hangover keeps sentences whole, which reads better in
# captions and gives the model more context per call.
FILE_SEGMENTER = SegmenterConfig(hangover_min_s=0.5, hangover_max_s=0.8)


@dataclass(frozen=True)
class ApiConfig:
    base_url: str = DEFAULT_BASE_URL
    api_key: str | None = field(default=None, repr=False)  # never printed
    model: str = "whisper-1"
    language: str | None = None
    temperature: float = 0.0
    response_format: str | None = None
    """None: ask for verbose_json (segment scores for the hallucination guard), and fall back to
    json for the rest of the run if the server refuses it. A format the user chose is kept."""
    allow_insecure_http: bool = False
    """Plain http:// to a host other than this machine (audio and key in clear)."""
    ca_cert: Path | None = None
    """Extra CA certificate (PEM) trusted for TLS: a private CA or a self-signed server."""
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 60.0
    """Longest silence while waiting for the answer: a slow CPU server may think a while."""
    request_timeout_s: float = 120.0
    """Longest one request may take in all, however its bytes trickle in."""


@dataclass(frozen=True)
class LocalConfig:
    model: str = BUNDLED_MODEL
    """A model directory, ``tiny.en`` (bundled, offline), or a faster-whisper model name."""
    device: str = "auto"
    """``auto``: CUDA when a GPU is visible, else CPU."""
    compute_type: str = "auto"
    """``auto``: float16 on CUDA, int8 on CPU."""
    threads: int = 0
    """CPU threads for inference; 0 = one per available core."""
    beam_size: int = 1
    """1 (greedy) is ~25 % faster than 5 with tiny.en and no less accurate on dictation."""
    language: str | None = None
    temperature: float = 0.0
    full_window: bool = False
    """Encode Whisper's whole 30 s window even for short audio (slower; see local.py)."""
    timestamps: bool = False
    """Ask the model for segment times (file mode); live dictation does not need them."""


@dataclass(frozen=True)
class TyperConfig:
    """How ``--output type`` and ``--output paste`` reach the focused window."""

    tool: str = "auto"
    """wtype, xdotool or ydotool; auto: chosen from the session (dictation.output.keystrokes)."""
    delay_ms: int = 4
    """Between keystrokes. Under Xvfb, xdotool typed ten 167-character lines with accents and
    curly quotes into a Tk window without a fault at every delay from 0 to 12 ms; 4 (3 ms a
    character) leaves slower applications room. xdotool's own default is 12."""
    paste_keys: str = "ctrl+v"
    """What ``--output paste`` presses, e.g. ctrl+shift+v for terminals."""


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
    mode: str = "continuous"  # see gate.py
    socket: str | None = None  # control socket; None = the per-user runtime directory
    hotkey: str | None = None
    cues: str = "off"
    typer: TyperConfig = field(default_factory=TyperConfig)
    guard: GuardConfig = field(default_factory=GuardConfig)
    """What is never typed: silence phrases, and the floor below which nothing is sent."""
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
