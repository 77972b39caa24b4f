"""CLI contract: entry points, bare invocation, no-microphone fallback, missing PortAudio."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SAMPLE, dictation_cmd, one_clear_line

pytestmark = pytest.mark.real  # real parts: processes, servers, the model


def run(*args: str, env: dict[str, str] | None = None, timeout: float = 60
        ) -> subprocess.CompletedProcess:
    return subprocess.run(dictation_cmd(*args), capture_output=True, text=True,
                          env=env or dict(os.environ), timeout=timeout)


def test_console_script_and_module_agree() -> None:
    script = os.path.join(os.path.dirname(sys.executable), "dictation")
    a = subprocess.run([script, "--version"], capture_output=True, text=True, timeout=30)
    b = run("--version")
    assert a.returncode == b.returncode == 0
    assert a.stdout == b.stdout and a.stdout.startswith("dictation ")


def test_bare_invocation_means_run() -> None:
    bare, explicit = run("--help"), run("run", "--help")
    assert "COMMAND" in bare.stdout  # the top-level help lists the commands
    for option in ("--input", "--engine", "--base-url", "--api-key-file", "--response-format",
                   "--output", "--vad-aggressiveness", "--max-utterance", "--hangover-min"):
        assert option in explicit.stdout
    # Options without a command go to `run`: an unknown engine is rejected by run's parser.
    r = run("--engine", "nope")
    assert r.returncode == 2 and "invalid choice" in r.stderr


def test_no_microphone_falls_back_to_the_bundled_sample(server_url: str) -> None:
    # No PulseAudio server reachable: PortAudio finds no input device at all.
    env = {**os.environ, "PULSE_SERVER": "unix:/nonexistent/pulse"}
    r = run("run", "--demo-fallback", "--base-url", server_url, env=env, timeout=90)
    assert r.returncode == 0, r.stderr
    warnings = [ln for ln in r.stderr.splitlines() if "warning" in ln]
    assert len(warnings) == 1 and "bundled spoken sample" in warnings[0]
    lines = r.stdout.lower().splitlines()
    assert len(lines) == 2 and "cursor" in lines[0] and "sentence" in lines[1]


def test_missing_portaudio_names_the_package() -> None:
    # Fake: libportaudio2 cannot be removed under a running suite, so ctypes is told it is
    # absent, exactly what sounddevice sees on a machine without it.
    code = ("import ctypes.util, sys; ctypes.util.find_library = lambda name: None; "
            "from dictation.cli.main import main; sys.exit(main(['devices']))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 1
    assert r.stderr.splitlines() == [
        "dictation: error: PortAudio library not found: install it with "
        "'apt-get install libportaudio2'"]


@pytest.mark.parametrize(("output", "env", "says"), [
    ("clipboard", {}, "clipboard unavailable"),
    ("paste", {"DICTATION_TYPER": "xdotool"}, "DISPLAY is not set"),
    ("type", {"DICTATION_TYPER": "wtype"}, "WAYLAND_DISPLAY"),
    ("type", {"DISPLAY": ":99", "PATH": "EMPTY"}, "xdotool is not installed"),
])
def test_an_output_that_cannot_work_fails_at_start_before_the_model(
        tmp_path: Path, output: str, env: dict[str, str], says: str) -> None:
    # No display (or no typing tool): one line and exit 2 at once, not exit 1 once the
    # model has loaded.
    base = {k: v for k, v in os.environ.items()
            if k not in ("DISPLAY", "WAYLAND_DISPLAY", "XDG_SESSION_TYPE")}
    if env.get("PATH") == "EMPTY":
        env = {**env, "PATH": str(tmp_path)}  # a directory with no tool in it
    r = run("run", "--input", str(SAMPLE), "--fast", "--output", output,
            env={**base, "HF_HUB_OFFLINE": "1", **env})
    line = one_clear_line(r.stderr)
    assert r.returncode == 2 and r.stdout == ""
    assert line.startswith("dictation: error: ") and says in line
