"""200 utterances through a server that fails 30 % of its requests in every way it can:
each text must come out exactly once and in order. The server tells the utterances apart by
the pitch of their audio (faultserver.buzz_wav), since retries repeat requests."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest
from faultserver import (
    RESET,
    TRUNCATED,
    Action,
    FaultServer,
    Reply,
    Request,
    buzz_wav,
    json_text,
    utterance_number,
)

pytestmark = [pytest.mark.real, pytest.mark.realtime]  # daemons at real time

COUNT = 200
FAULTS = [Reply(500, body="Internal Server Error"),
          Reply(429, {"Retry-After": "1"}, '{"error": "slow down"}'),
          RESET, Action("hang", 3.0), TRUNCATED]


def test_200_utterances_through_30_percent_failures(tmp_path: Path) -> None:
    wav = buzz_wav(tmp_path / "chaos.wav", COUNT)
    rng = random.Random(20240611)
    lock = threading.Lock()
    injected: Counter[str] = Counter()

    def answer(req: Request) -> Reply | Action:
        with lock:
            fault = rng.choice(FAULTS) if rng.random() < 0.3 else None
        if fault is None:
            return json_text(f"Utterance {utterance_number(req)}.")
        injected[getattr(fault, "name", None) or str(getattr(fault, "status", "?"))] += 1
        return fault

    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state"),
           "XDG_RUNTIME_DIR": str(tmp_path), "OPENAI_API_KEY": "sk-test"}
    with FaultServer(default=answer) as srv:
        p = subprocess.run(
            [sys.executable, "-m", "dictation", "run", "--input", str(wav), "--fast",
             "--base-url", srv.url + "/v1", "--read-timeout", "0.5",
             "--keep-dir", str(tmp_path / "kept")],
            capture_output=True, text=True, env=env, timeout=170)
    assert "Traceback" not in p.stderr, p.stderr
    assert p.returncode == 0, p.stderr[-3000:]
    assert p.stdout.splitlines() == [f"Utterance {n}." for n in range(1, COUNT + 1)]
    # Every kind of fault really happened, about as often as scripted.
    assert set(injected) == {"500", "429", "reset", "hang", "truncated"}, injected
    assert 0.2 < sum(injected.values()) / len(srv.requests) < 0.4
    sent = [utterance_number(r) for r in srv.requests]
    assert sorted(set(sent)) == list(range(1, COUNT + 1))
    assert sent == sorted(sent)  # a retry repeats N; N+1 is never sent before N is done
    assert not (tmp_path / "kept").exists()
    assert list((tmp_path / "state" / "dictation" / "spool").iterdir()) == []
