"""How fast this machine decodes with each model, as measured (measure.py): stored as JSON in
dictation's state directory, read by `models list` and by `--local-model auto`, which never
measures anything itself.

A measurement belongs to a model's files: its directory, and the size and modification time of
its model.bin. A model replaced or downloaded again is measured again.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from dictation.storage import atomic_write, private_dir, state_dir

log = logging.getLogger("dictation")

STORE = "model-speed.json"
VERSION = 1


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
