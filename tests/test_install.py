"""The Makefile a new user runs: `make install` puts `dictation` and its man page on PATH,
so the README's key-binding lines work as written; `make run` plans only what running needs,
`make test` everything the tests use."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import REPO

pytestmark = pytest.mark.real  # real parts: make, the venv's command, man

VENV_STAMP = ".venv/.installed"


def make(*args: str, **env: str) -> subprocess.CompletedProcess:
    if shutil.which("make") is None:
        pytest.fail("make is not installed: it drives the whole setup")
    return subprocess.run(["make", "--no-print-directory", "-C", str(REPO), *args],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, **env})


def test_make_install_puts_dictation_and_its_man_page_on_path(tmp_path: Path) -> None:
    prefix = tmp_path / "local"
    # -o: the Debian packages and the venv are this test run's own; only the links are made.
    done = make("-o", "deps", "-o", VENV_STAMP, "install", f"PREFIX={prefix}")
    assert done.returncode == 0, done.stderr
    assert f"{prefix}/bin is not on PATH" in done.stdout  # and says how it gets there
    path = f"{prefix / 'bin'}:/usr/bin:/bin"
    env = {"HOME": str(tmp_path), "PATH": path, "XDG_RUNTIME_DIR": str(tmp_path)}
    version = subprocess.run(["dictation", "--version"], capture_output=True, text=True,
                             env=env, timeout=60)
    assert version.returncode == 0 and version.stdout.startswith("dictation "), version.stderr
    # The README's key binding, as written: no daemon runs, and it says so (exit 3).
    press = subprocess.run(["sh", "-c", "exec dictation ctl press"], capture_output=True,
                           text=True, env=env, timeout=60)
    assert press.returncode == 3 and "no dictation daemon is running" in press.stderr
    page = subprocess.run(["man", "-w", "dictation"], capture_output=True, text=True,
                          env=env, timeout=60)
    assert page.returncode == 0 and Path(page.stdout.strip()).resolve() == (
        REPO / "man" / "dictation.1"), page.stderr
    again = make("-o", "deps", "-o", VENV_STAMP, "install", f"PREFIX={prefix}",
                 PATH=f"{prefix / 'bin'}:{os.environ['PATH']}")
    assert again.returncode == 0 and "not on PATH" not in again.stdout  # twice is fine
    assert make("uninstall", f"PREFIX={prefix}").returncode == 0
    assert not (prefix / "bin" / "dictation").exists()
    assert not (prefix / "share" / "man" / "man1" / "dictation.1").exists()


def test_make_run_plans_only_what_running_needs_and_make_test_the_rest() -> None:
    # -n: what each would do from a clean clone (-B), printed, not done.
    run = make("-n", "-B", "venv").stdout
    assert "pip install -q -e '.[local]'" in run and "test" not in run
    full = make("-n", "-B", "venv-test").stdout
    assert "'.[local,test,bench]'" in full
    run_apt, test_apt = make("-n", "deps").stdout, make("-n", "deps-test").stdout
    for package in ("libportaudio2", "libasound2-plugins", "pulseaudio-utils"):
        assert f" {package} " in run_apt and f" {package} " in test_apt
    for package in ("festival", "xvfb", "tmux", "sway", "espeak-ng", "pulseaudio"):
        assert f" {package} " not in run_apt and f" {package} " in test_apt
    # `make test` (what CI runs) sets up everything from a clean clone.
    plan = make("-n", "-B", "test").stdout
    assert "festival" in plan and "'.[local,test,bench]'" in plan and "pytest" in plan
