"""The clipboard sink under a real X server (Xvfb) read back with xclip."""

from __future__ import annotations

import os
import subprocess

import pytest
from conftest import SAMPLE, _need, dictation_cmd

pytestmark = pytest.mark.real  # real parts: processes, servers, the model


def run_to_clipboard(server_url: str, display: str, *extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DISPLAY": display}
    env.pop("WAYLAND_DISPLAY", None)
    return subprocess.run(
        dictation_cmd("run", "--input", str(SAMPLE), "--fast", "--base-url", server_url,
                      "--output", "stdout", "--output", "clipboard", *extra),
        capture_output=True, text=True, env=env, timeout=120)


def clipboard(display: str) -> str:
    return subprocess.run(["xclip", "-o", "-selection", "clipboard"], capture_output=True,
                          text=True, env={**os.environ, "DISPLAY": display}, timeout=10).stdout


@pytest.fixture(autouse=True)
def _xclip() -> None:
    _need("xclip")


def test_clipboard_holds_the_newest_utterance(server_url: str, xdisplay: str) -> None:
    done = run_to_clipboard(server_url, xdisplay)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 2
    assert clipboard(xdisplay) == lines[-1]


def test_clipboard_append_accumulates_the_session(server_url: str, xdisplay: str) -> None:
    done = run_to_clipboard(server_url, xdisplay, "--clipboard-mode", "append")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 2
    assert clipboard(xdisplay) == " ".join(lines)


def test_no_display_is_one_clear_line(server_url: str) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    done = subprocess.run(
        dictation_cmd("run", "--input", str(SAMPLE), "--fast", "--base-url", server_url,
                      "--output", "clipboard"), capture_output=True, text=True, env=env,
        timeout=60)
    assert done.returncode != 0
    assert done.stderr.count("\n") == 1 and "clipboard unavailable" in done.stderr
    assert done.stdout == ""
