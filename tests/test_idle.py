"""What a daemon on the API engine keeps loaded while it listens all day: not the embedded
engine, not FFmpeg, not the terminal UI (bench/idle.py and docs/idle.md measure what that
saves). A real `dictation run` on the virtual microphone, against the real faster-whisper-
server; a `sitecustomize` of the test's own records, as the interpreter exits, every module
that was imported."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Daemon, norm, play

pytestmark = [pytest.mark.real, pytest.mark.realtime]

# Loaded by the local engine, a non-WAV file, `dictation models`, captions, or httpx's own
# command line; none of them is any use to a microphone dictating through an API.
NEVER = {"faster_whisper", "ctranslate2", "tokenizers", "onnxruntime", "huggingface_hub",
         "av", "rich", "click", "pygments"}

PROBE = """
import atexit, json, sys

def _record():
    with open({out!r}, "w") as f:
        json.dump({{"modules": sorted(sys.modules)}}, f)

atexit.register(_record)
"""


def probed(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """The environment that makes the daemon record its modules, and where it writes them."""
    out = tmp_path / "loaded.json"
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(PROBE.format(out=str(out)))
    return {"PYTHONPATH": str(site)}, out


def test_an_api_run_loads_neither_the_local_engine_nor_ffmpeg_nor_the_terminal_ui(
        virtual_mic: str, server_url: str, say: Callable, tmp_path: Path) -> None:
    env, out = probed(tmp_path)
    wav = say("Please water the tomato plants on the balcony tonight.")
    d = Daemon(virtual_mic, "--base-url", server_url, **env)
    try:
        play(virtual_mic, wav).wait(60)
        line = d.line(60)  # an utterance went to the server and came back as text
    finally:
        rest, err, code = d.stop()
    assert code == 0, err
    assert "tomato" in norm(line), (line, rest)
    loaded = json.loads(out.read_text())
    tops = {m.split(".")[0] for m in loaded["modules"]}
    # The probe saw a real run: it captured, classified and asked the server.
    assert {"sounddevice", "webrtcvad", "httpx", "httpcore"} <= tops, tops
    assert not tops & NEVER, sorted(tops & NEVER)
    assert "dictation.transcribe.local" not in loaded["modules"]
    assert "numpy.ma" not in loaded["modules"]  # levels.py's quantile stands in for it
