"""Which models this machine has: the bundled tiny.en, models shipped in installed Python
packages, and downloads in the standard Hugging Face cache; merged with the catalogue into the
one list `dictation models list` shows, and found again by name for `bench` and `rm`.

Bounded work: installed packages are found from their install records (no directory walk),
the cache from huggingface_hub's own scan of it.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

from dictation.errors import ConfigError
from dictation.transcribe.models import (
    Model,
    bundled,
    catalogue,
    is_model_dir,
    local_model,
    name_for,
)

MAX_RECORD_FILES = 50_000  # a package listing more files than this is not a model package


def packaged(paths: list[str] | None = None) -> list[Model]:
    """Model directories (model.bin with config.json beside it) shipped in installed
    distributions, found in their install records; ``paths`` instead of sys.path (tests)."""
    from importlib.metadata import distributions

    found: dict[str, Model] = {}
    for dist in distributions(**({"path": paths} if paths is not None else {})):
        files = dist.files or []
        if len(files) > MAX_RECORD_FILES:
            continue
        for f in files:
            if f.name != "model.bin":
                continue
            directory = Path(str(dist.locate_file(f))).parent
            if str(directory) not in found and is_model_dir(directory):
                name = dist.metadata["Name"] or directory.name
                found[str(directory)] = local_model(name, directory, f"package {name}")
    return list(found.values())


def _scan() -> Any:
    """huggingface_hub's scan of its cache (None when there is no cache yet)."""
    from huggingface_hub import CacheNotFound, scan_cache_dir

    try:
        return scan_cache_dir()
    except CacheNotFound:
        return None


def cached(scan: Any) -> list[Model]:
    """Downloaded faster-whisper models: model repositories of the cache whose snapshot holds
    model.bin and config.json (the revision ``main`` points at, else the newest)."""
    models = []
    for repo in scan.repos if scan is not None else ():
        if repo.repo_type != "model" or not repo.revisions:
            continue
        revision = max(repo.revisions, key=lambda r: ("main" in r.refs, r.last_modified))
        if is_model_dir(revision.snapshot_path):
            models.append(local_model(name_for(repo.repo_id), revision.snapshot_path, "cache",
                                      repo=repo.repo_id))
    return models


def partials(scan: Any) -> dict[str, int]:
    """Bytes of interrupted downloads, per cache folder name (``models--Org--name``)."""
    waiting: dict[str, int] = {}
    for f in scan.incomplete_files if scan is not None else ():
        folder = Path(f.file_path).parent.parent.name
        waiting[folder] = waiting.get(folder, 0) + f.size_on_disk
    return waiting


def _folder(repo: str) -> str:
    return "models--" + repo.replace("/", "--")


def all_models() -> list[Model]:
    """The catalogue, each entry installed or not, then what else this machine has."""
    entries = catalogue()  # first: it says so when the local engine is not installed
    scan = _scan()
    local = [m for m in (bundled(),) if m is not None] + cached(scan)
    seen = {m.path for m in local}
    local += [m for m in packaged() if m.path not in seen]
    waiting = partials(scan)
    listed: list[Model] = []
    for entry in entries:
        copies = [replace(m, aliases=entry.aliases)
                  for m in local if m.name == entry.name]
        # Not installed: fetchable. (The name of an installed copy loads that copy: a
        # second one of the bundled tiny.en would never be used.)
        listed += copies or [replace(entry, partial=waiting.get(_folder(entry.repo or ""), 0))]
    names = {m.name for m in entries}
    return listed + [m for m in local if m.name not in names]


def find(name: str, models: list[Model] | None = None) -> Model:
    """An installed model by the name ``list`` shows, an alias, a hub id or a directory."""
    if Path(name).expanduser().is_dir():
        path = Path(name).expanduser()
        if not is_model_dir(path):
            raise ConfigError(f"{path} is not a faster-whisper model directory "
                              "(no model.bin and config.json)")
        return local_model(path.name, path, "directory")
    models = all_models() if models is None else models
    hits = [m for m in models if name in (m.name, m.repo, *m.aliases)]
    installed = [m for m in hits if m.installed]
    if installed:
        return installed[0]
    if hits:
        raise ConfigError(f"model {name} is not installed: dictation models pull {hits[0].name}")
    raise ConfigError(f"unknown model '{name}': `dictation models list` shows them")


def remove(name: str) -> Model:
    """Delete a downloaded model from the cache, interrupted downloads included."""
    from huggingface_hub import constants

    models = all_models()
    hits = [m for m in models if name in (m.name, m.repo, *m.aliases)]
    if not hits:
        raise ConfigError(f"unknown model '{name}': `dictation models list` shows them")
    downloaded = next((m for m in hits if m.source == "cache"), None)
    partial = next((m for m in hits if m.partial), None)
    if downloaded is None and partial is None:
        kept = next((m for m in hits if m.installed), None)
        if kept is not None:
            raise ConfigError(f"{name} is {kept.source}, not downloaded: it cannot be removed "
                              "here")
        raise ConfigError(f"{name} is not downloaded")
    target = downloaded or partial
    assert target is not None and target.repo is not None
    cache = Path(constants.HF_HUB_CACHE)
    for folder in (cache / _folder(target.repo), cache / ".locks" / _folder(target.repo)):
        shutil.rmtree(folder, ignore_errors=True)
    return target
