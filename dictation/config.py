"""Settings as frozen dataclasses, built once by the CLI and passed down explicitly."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dictation.segmenter import SegmenterConfig

DEFAULT_BASE_URL = "https://api.openai.com/v1"
OUTPUTS = ("stdout", "clipboard")
CLIPBOARD_MODES = ("replace", "append")


@dataclass(frozen=True)
class ApiConfig:
    base_url: str = DEFAULT_BASE_URL
    api_key: str | None = field(default=None, repr=False)  # never printed
    model: str = "whisper-1"
    language: str | None = None
    temperature: float = 0.0
    response_format: str = "json"
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 60.0
    attempts: int = 5
    """Tries per utterance for retryable failures (network, 429, 5xx) before its audio is kept."""
    max_backoff_s: float = 30.0


@dataclass(frozen=True)
class RunConfig:
    api: ApiConfig
    segmenter: SegmenterConfig = field(default_factory=SegmenterConfig)
    vad_aggressiveness: int = 3
    input: str | None = None  # device index, name substring or WAV path; None = default mic
    fast: bool = False
    prompt: str = ""
    outputs: tuple[str, ...] = ("stdout",)
    clipboard_mode: str = "replace"
    keep_dir: Path | None = None  # where undeliverable audio is kept; None = state dir
