"""The man page dictation(1): generated from the parser (tools/manpage.py), so the committed page
must be exactly what the parser gives now, with every command and option in it; and a pip
install of the project puts it where `man` finds it.

After a change to the command line, write it anew and review the diff:

    .venv/bin/python tools/manpage.py
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import manpage
import pytest
from conftest import REPO

from dictation.cli.options import build_parser
from dictation.cli.tree import options, walk


def test_the_committed_page_is_the_parsers() -> None:
    text = manpage.PAGE.read_text()
    assert text == manpage.render(manpage.committed_date(text)), (
        "man/dictation.1 differs from the parser: python tools/manpage.py writes it anew")


def test_every_command_and_option_is_in_the_page() -> None:
    text = manpage.PAGE.read_text().replace("\\-", "-")
    commands = [path for path, _ in walk(build_parser()) if path]
    assert len(commands) > 10
    absent = [path for path in commands if f"'dictation {' '.join(path)}'" not in text]
    assert not absent, absent
    bold = [(path, o) for path, p in walk(build_parser()) for o in options(p)]
    absent_opts = [(path, o) for path, o in bold if f"\\fB{o}\\fR" not in text]
    assert not absent_opts, absent_opts


def test_man_renders_the_page_without_errors() -> None:
    if shutil.which("man") is None:
        pytest.fail("man is not installed: run 'make test', which installs man-db")
    done = subprocess.run(["man", "-l", str(manpage.PAGE)], capture_output=True, text=True,
                          env={**os.environ, "MANPAGER": "cat", "MANWIDTH": "80"}, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "dictation models bench" in done.stdout and "--hangover-max" in done.stdout


@pytest.mark.real  # builds the package (pip and setuptools, from the package index)
def test_a_pip_install_puts_the_page_where_man_finds_it(tmp_path: Path) -> None:
    src = tmp_path / "src"
    for name in ("dictation", "man"):
        shutil.copytree(REPO / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    pip = [sys.executable, "-m", "pip", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, "wheel", "--no-deps", "-w", str(tmp_path / "dist"), str(src)],
                   check=True, capture_output=True, timeout=240)
    wheel = next((tmp_path / "dist").glob("dictation-*.whl"))
    inside = zipfile.ZipFile(wheel).namelist()
    assert any(n.endswith(".data/data/share/man/man1/dictation.1") for n in inside), inside
    # --ignore-installed: the project installed in this environment is left alone.
    prefix = tmp_path / "prefix"
    subprocess.run([*pip, "install", "--no-deps", "--ignore-installed", "--no-warn-script-location",
                    "--prefix", str(prefix), str(wheel)], check=True, capture_output=True,
                   timeout=120)
    env = {k: v for k, v in os.environ.items() if k != "MANPATH"}
    env["PATH"] = f"{prefix / 'bin'}:/usr/bin:/bin"
    found = subprocess.run(["man", "-w", "dictation"], capture_output=True, text=True, env=env,
                           timeout=60)
    assert found.returncode == 0, found.stderr
    assert Path(found.stdout.strip()) == prefix / "share/man/man1/dictation.1"
    assert (prefix / "share/man/man1/dictation.1").read_text() == manpage.PAGE.read_text()
