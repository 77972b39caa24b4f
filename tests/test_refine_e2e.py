"""Two passes with real models: the bundled tiny.en shows each sentence at once, and a
multilingual Whisper base hears it again. tiny.en writes "cash directory" for "cache
directory"; the piece is revised (a revise event that says why) and stdout prints only the
refined text."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import dictation_cmd, norm

pytestmark = pytest.mark.real  # the real models, a daemon at real time on a file

SAID = "The cache directory was full again."


def _run(tmp_path: Path, wav: Path, *args: str) -> tuple[subprocess.CompletedProcess, list]:
    events = tmp_path / "events.jsonl"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "XDG_STATE_HOME": str(tmp_path / "state")}
    p = subprocess.run(dictation_cmd("-v", "run", "--input", str(wav), "--socket",
                                     str(tmp_path / "ctl.sock"), "--events", str(events),
                                     *args),
                       capture_output=True, text=True, timeout=240, env=env)
    lines = [json.loads(line) for line in events.read_text().splitlines()]
    return p, lines


def test_a_piece_is_refined_by_a_better_model_and_stdout_prints_the_refined_text(
        tmp_path: Path, say: Callable[..., Path], base_model_dir: Path) -> None:
    wav = say(SAID, pad=(0.5, 2.5))
    fast, _ = _run(tmp_path / "fast", wav)
    assert fast.returncode == 0, fast.stderr
    assert "cash" in fast.stdout.lower()  # what the smallest model hears, alone
    # A loaded machine may take seconds for base: stdout waits for it here, whatever the
    # machine does (the bound itself is test_core_refine's).
    p, events = _run(tmp_path / "two", wav, "--refine-model", str(base_model_dir),
                     "--refine-wait", "30")
    assert p.returncode == 0, p.stderr
    assert norm(p.stdout) == norm(SAID), p.stderr
    [final] = [e for e in events if e["type"] == "final"]
    assert "cash" in final["text"].lower()  # shown at once: the fast text
    revised = [e for e in events if e["type"] == "revise"]
    assert [e["why"] for e in revised] == ["refined"], revised
    assert revised[-1]["text"] == p.stdout.strip()
    assert "refined 1 piece(s): 1 revised" in p.stderr, p.stderr
    assert "refined by local engine, model base" in p.stderr


def test_a_refining_model_that_is_not_there_is_one_line_before_anything_starts(
        tmp_path: Path, say: Callable[..., Path]) -> None:
    p, _ = _run(tmp_path, say(SAID), "--refine-model", str(tmp_path / "no-such-model"))
    assert p.returncode == 2 and p.stdout == ""
    [line] = [ln for ln in p.stderr.splitlines() if "error" in ln]
    assert "no-such-model" in line and "does not exist" in line, p.stderr


def test_a_corrupt_refining_model_is_one_line_and_the_fast_text_comes_out(
        tmp_path: Path, say: Callable[..., Path], base_model_dir: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        (broken / name).write_bytes((base_model_dir / name).read_bytes())
    (broken / "model.bin").write_bytes(b"\0" * 4096)  # cut short: not a model
    p, events = _run(tmp_path, say(SAID), "--refine-model", str(broken))
    assert p.returncode == 0, p.stderr
    assert "cash" in p.stdout.lower() and len(p.stdout.splitlines()) == 1
    errors = [ln for ln in p.stderr.splitlines() if ": error:" in ln]
    assert len(errors) == 1 and "refining model cannot run" in errors[0], p.stderr
    assert "Traceback" not in p.stderr
    assert not [e for e in events if e["type"] == "revise"]
