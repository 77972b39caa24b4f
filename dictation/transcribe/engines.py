"""The engines' settings: the API engine's (an OpenAI-compatible server, api.py) and the local
one's (faster-whisper in this process, local.py). choose.py builds an engine from them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_BASE_URL = "https://api.openai.com/v1"
FORMATS = ("json", "text", "srt", "verbose_json", "vtt")  # the API's response formats
BUNDLED_MODEL = "tiny.en"
AUTO_MODEL = "auto"
LATENCY_BUDGET_S = 0.6


@dataclass(frozen=True)
class ApiConfig:
    base_url: str = DEFAULT_BASE_URL
    api_key: str | None = field(default=None, repr=False)  # never printed
    model: str = "whisper-1"
    language: str | None = None
    """Sent with every request; None: the server detects (``languages``)."""
    languages: tuple[str, ...] = ()
    """The languages an answer may be in (--languages); empty: any."""
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
    """A model directory, ``tiny.en`` (bundled, offline), a faster-whisper model name, or
    ``auto``: the most accurate measured model within ``latency_budget_s`` (auto.py)."""
    latency_budget_s: float = LATENCY_BUDGET_S
    """With ``auto``: the longest this machine may take to decode an utterance."""
    device: str = "auto"
    """``auto``: CUDA when a GPU is visible, else CPU."""
    compute_type: str = "auto"
    """``auto``: float16 on CUDA, int8 on CPU."""
    threads: int = 0
    """CPU threads for inference; 0 = one per available core."""
    nice: int = 0
    """Its decoding threads' CPU priority, as nice(1) counts it: a refiner's is lowered so
    that the fast model's decodes take the cores first (cli/build.py)."""
    beam_size: int = 1
    """1 (greedy) is ~25 % faster than 5 with tiny.en and no less accurate on dictation."""
    language: str | None = None
    """Every utterance is in this language; None: detected (``languages``)."""
    languages: tuple[str, ...] = ()
    """Detection is restricted to these (--languages); empty: any the model knows."""
    temperature: float = 0.0
    full_window: bool = False
    """Encode Whisper's whole 30 s window even for short audio (slower; see local.py)."""
    timestamps: bool = False
    """Ask the model for segment times (file mode); live dictation does not need them."""
