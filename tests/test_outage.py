"""A minute with nothing listening at the server's address, then the server comes up: the
utterances spoken meanwhile wait in the spool and all come out, in order, with one line when
the failing starts and one when it ends."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from faultserver import FaultServer, buzz_wav, decoded, utterance_number
from procs import spawn

pytestmark = [pytest.mark.real, pytest.mark.realtime]  # daemons at real time

COUNT = 40  # 1.5 s apart: 60 s of speech at real time
OUTAGE_S = 60.0


def test_a_60_s_outage_loses_nothing(tmp_path: Path, refused_port: socket.socket) -> None:
    wav = buzz_wav(tmp_path / "outage.wav", COUNT, tone_s=0.4, gap_s=1.1)
    port = refused_port.getsockname()[1]  # nobody listens, until the server starts there
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state"),
           "XDG_RUNTIME_DIR": str(tmp_path), "OPENAI_API_KEY": "sk-test"}
    daemon = spawn(
        [sys.executable, "-m", "dictation", "run", "--input", str(wav),
         "--base-url", f"http://127.0.0.1:{port}/v1", "--keep-dir", str(tmp_path / "kept"),
         "--hangover-max", "0.4", "--hangover-min", "0.2", "--pre-roll", "0.1",
         # Each tone its own request: its answer reads as a sentence, and the 1.1 s gap
         # after it would otherwise be taken as a thinking pause and both heard again.
         "--hold", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    began = time.monotonic()
    backlog = 0
    try:
        while time.monotonic() - began < OUTAGE_S:
            assert daemon.poll() is None, daemon.communicate()
            st = subprocess.run([sys.executable, "-m", "dictation", "status", "--json"],
                                capture_output=True, text=True, env=env, timeout=30)
            if st.returncode == 0:
                backlog = max(backlog, json.loads(st.stdout)["backlog"])
            time.sleep(2)  # a poll of the backlog, not a synchronisation: the outage lasts 60 s
        with FaultServer(default=decoded(), sock=refused_port) as srv:
            out, err = daemon.communicate(timeout=90)  # the file ends; the backlog drains
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.communicate()
    assert "Traceback" not in err, err
    assert daemon.returncode == 0, err
    assert backlog >= 30  # they really piled up in the spool
    assert out.splitlines() == [f"Utterance {n}." for n in range(1, COUNT + 1)]
    failing = [ln for ln in err.splitlines() if "retrying" in ln]
    back = [ln for ln in err.splitlines() if "answers again" in ln]
    assert len(failing) == 1 and "cannot reach" in failing[0], err
    assert "wait in the spool" in failing[0]
    assert len(back) == 1, err
    down = float(back[0].split("after ")[1].split(" s")[0])
    assert OUTAGE_S - 5 < down < OUTAGE_S + 35  # the next retry comes within the 30 s cap
    assert [utterance_number(r) for r in srv.requests] == list(range(1, COUNT + 1))
    assert list((tmp_path / "state" / "dictation" / "spool").iterdir()) == []
