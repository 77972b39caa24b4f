"""What a user reads of the command line stays as it is unless a change means it to: every
command's --help and `dictation config` (defaults only) against files in tests/golden/.

After a change that is meant to alter them, write them anew and review the diff:

    GOLDEN_UPDATE=1 .venv/bin/python -m pytest tests/test_help_golden.py
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from conftest import dictation_cmd

from dictation.cli.options import build_parser

GOLDEN = Path(__file__).resolve().parent / "golden"
# A fixed, made-up user: no config file, no variables, one terminal width.
ENV = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/home/alice",
       "XDG_RUNTIME_DIR": "/run/user/1000", "COLUMNS": "100", "LC_ALL": "C.UTF-8",
       "PYTHONPATH": os.environ.get("PYTHONPATH", "")}


def commands() -> list[str]:
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    return sorted(sub.choices)


CASES = {"help": ["--help"], "config": ["config"],
         **{f"help-{c}": [c, "--help"] for c in commands()}}


@pytest.mark.parametrize("name", sorted(CASES))
def test_what_the_user_reads_is_unchanged(name: str) -> None:
    done = subprocess.run(dictation_cmd(*CASES[name]), capture_output=True, text=True, env=ENV,
                          timeout=60)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    path = GOLDEN / f"{name}.txt"
    if os.environ.get("GOLDEN_UPDATE"):
        path.write_text(done.stdout)
    assert path.exists(), f"{path.name} is missing: GOLDEN_UPDATE=1 writes it"
    assert done.stdout == path.read_text(), f"{name} changed; GOLDEN_UPDATE=1 rewrites it"


def test_every_command_has_its_file() -> None:
    assert {p.stem for p in GOLDEN.glob("*.txt")} == set(CASES)
