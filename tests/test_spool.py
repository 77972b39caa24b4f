"""The spool with real daemons: a SIGKILL loses nothing, a live session is left alone, the
bound stops capture loudly and resumes it, and `dictation status` reports either way.

Utterances are numbered buzzes (see faultserver.buzz_wav), read at real time so that a
backlog builds up as it would from a microphone; the server reads each one's number from
its audio.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import wave
from pathlib import Path

import pytest
from faultserver import Action, FaultServer, Reply, buzz_wav, decoded, utterance_number
from procs import spawn

pytestmark = [pytest.mark.real, pytest.mark.realtime]  # daemons at real time

# Short pauses end utterances quickly, so 20 of them take 18 s of real time.
FAST_VAD = ("--hangover-max", "0.4", "--hangover-min", "0.2", "--pre-roll", "0.1")


class Env:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.spool = tmp / "state" / "dictation" / "spool"
        self.env = {**os.environ, "XDG_STATE_HOME": str(tmp / "state"),
                    "XDG_RUNTIME_DIR": str(tmp), "OPENAI_API_KEY": "sk-test"}
        self.silence = tmp / "silence.wav"
        with wave.open(str(self.silence), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(16000)
            w.writeframes(b"\0" * 32000)

    def cmd(self, url: str, *args: str) -> list[str]:
        return [sys.executable, "-m", "dictation", "run", "--base-url", url + "/v1",
                "--keep-dir", str(self.tmp / "kept"), *args]

    def start(self, url: str, *args: str) -> subprocess.Popen[str]:
        return spawn(self.cmd(url, *args), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=self.env)

    def run(self, url: str, *args: str) -> subprocess.CompletedProcess[str]:
        p = subprocess.run(self.cmd(url, *args), capture_output=True, text=True,
                           env=self.env, timeout=120)
        assert "Traceback" not in p.stderr, p.stderr
        return p

    def status(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "dictation", "status", *args],
                              capture_output=True, text=True, env=self.env, timeout=30)

    def files(self) -> list[Path]:
        return sorted(self.spool.glob("*/*.wav"))


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return Env(tmp_path)


def _lines(n: int, first: int = 1) -> str:
    return "".join(f"Utterance {i}.\n" for i in range(first, first + n))


def test_sigkill_with_a_backlog_loses_nothing(env: Env) -> None:
    wav = buzz_wav(env.tmp / "twenty.wav", 20, tone_s=0.4, gap_s=0.5)
    with FaultServer(default=Action("hang", 90)) as hung:
        daemon = env.start(hung.url, "--input", str(wav), "--read-timeout", "120", *FAST_VAD)
        try:
            deadline = time.monotonic() + 60
            while True:  # the daemon's own count, over its control socket
                st = env.status("--json")
                if st.returncode == 0 and json.loads(st.stdout)["backlog"] == 20:
                    break
                assert daemon.poll() is None, daemon.communicate()[1]
                assert time.monotonic() < deadline, st.stdout + st.stderr
                time.sleep(0.3)
            line = env.status()
            assert line.returncode == 0 and "backlog 20 (" in line.stdout, line.stdout
            assert len(env.files()) == 20

            # Meanwhile another run in another terminal (its own socket) must not take the
            # live daemon's backlog.
            with FaultServer(default=decoded()) as srv:
                other = env.run(srv.url, "--input", str(env.silence), "--fast",
                                "--socket", str(env.tmp / "other.sock"))
            assert other.returncode == 0, other.stderr
            assert other.stdout == "" and srv.requests == []
            assert "recovered" not in other.stderr
            assert len(env.files()) == 20
        finally:
            daemon.kill()  # SIGKILL: no chance to clean up
            daemon.communicate(timeout=30)

    gone = env.status()
    assert gone.returncode == 3
    assert "no dictation daemon is running" in gone.stdout
    assert "backlog 20" in gone.stdout and "next start" in gone.stdout

    with FaultServer(default=decoded()) as srv:
        p = env.run(srv.url, "--input", str(env.silence), "--fast")
    assert p.returncode == 0, p.stderr
    assert p.stdout == _lines(20)
    assert [ln for ln in p.stderr.splitlines() if "recovered" in ln] == [
        next(ln for ln in p.stderr.splitlines() if "recovered 20 utterance(s) from a run "
             "that ended at" in ln and "delivering them first" in ln)]
    assert env.files() == [] and list(env.spool.iterdir()) == []
    assert [utterance_number(r) for r in srv.requests] == list(range(1, 21))


def test_a_full_spool_stops_capture_loudly_and_resumes(env: Env) -> None:
    # Each utterance is about 30 kB on disk; the server takes 2 s for each while one more
    # arrives every 0.9 s, so the 0.1 MB bound is reached after four.
    wav = buzz_wav(env.tmp / "twelve.wav", 14, tone_s=0.4, gap_s=0.5)
    states: set[str] = set()
    with FaultServer(default=lambda req: Reply(
            200, {"Content-Type": "application/json"},
            json.dumps({"text": f"Utterance {utterance_number(req)}."}), delay_s=2)) as srv:
        daemon = env.start(srv.url, "--input", str(wav), "--spool-max", "0.1", *FAST_VAD)
        while daemon.poll() is None:
            st = env.status("--json")
            if st.returncode == 0:
                states.add(json.loads(st.stdout)["state"])
            time.sleep(0.2)
        out, err = daemon.communicate()
    assert "Traceback" not in err, err
    numbers = [int(ln.split()[1].rstrip(".")) for ln in out.splitlines()]
    assert numbers == sorted(set(numbers)) and numbers[0] == 1, out
    assert 4 <= len(numbers) < 14  # what was said while capture stopped was not recorded
    # One line per change of state, stopped and resumed in turn (hysteresis: no flapping
    # line per utterance).
    changes = [ln for ln in err.splitlines() if "is full" in ln or "capture resumed" in ln]
    assert changes and len(changes) % 2 == 0, err
    assert len(changes) <= 6, err
    for full, resumed in zip(changes[::2], changes[1::2], strict=True):
        assert full.startswith("dictation: error:") and "capture stopped" in full, err
        assert str(env.spool) in full and "--spool-max" in full
        assert "capture resumed" in resumed, err
    assert "capture stopped: spool full" in states
    assert env.files() == []


def test_status_without_a_daemon_reports_an_empty_spool(env: Env) -> None:
    p = env.status()
    assert p.returncode == 3
    assert p.stdout.splitlines()[0].startswith("no dictation daemon is running")
    assert f"spool {env.spool}: backlog 0 (0.0 s of audio, 0.0 MB)" in p.stdout
    j = env.status("--json")
    assert j.returncode == 3 and json.loads(j.stdout)["backlog"] == 0


def test_give_up_moves_the_audio_to_the_unsent_dir(env: Env) -> None:
    wav = buzz_wav(env.tmp / "two.wav", 2)
    with FaultServer(default=Reply(503, body="down for maintenance")) as srv:
        p = env.run(srv.url, "--input", str(wav), "--fast", "--give-up-after", "1")
    assert p.returncode == 1 and p.stdout == ""
    kept = sorted((env.tmp / "kept").glob("*.wav"))
    assert len(kept) == 2
    lines = [ln for ln in p.stderr.splitlines() if "gave up" in ln]
    assert len(lines) == 2 and all(str(env.tmp / "kept") in ln for ln in lines)
    assert [utterance_number(srv.requests[0])] == [1]
    assert env.files() == []
