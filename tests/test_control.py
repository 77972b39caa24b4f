"""The control socket with a real daemon on the virtual microphone: push-to-talk, toggle,
cancel, status, permissions, a second daemon, a crashed daemon's socket."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from conftest import (
    SAMPLE,
    Daemon,
    PrivatePulse,
    dictation_cmd,
    mic_env,
    norm,
    one_clear_line,
    play,
    pulse_server,
)
from procs import spawn, stop_group, wait_until

from dictation.control.client import request

pytestmark = [pytest.mark.real, pytest.mark.realtime]  # daemons at real time


def ctl(sock: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(dictation_cmd("ctl", *args, "--socket", str(sock)),
                          capture_output=True, text=True, timeout=30)


def status(sock: Path) -> dict:
    """The daemon's status, asked in-process (the CLI's own client): polls stay cheap on a
    loaded machine. ``dictation ctl`` itself is tested through its command line below."""
    return request(sock, "status")["status"]


def press(sock: Path, command: str) -> dict:
    """A command sent the instant the test decides, with no process to start first."""
    return request(sock, command)["status"]


def wait_state(sock: Path, state: str, timeout: float = 60) -> dict:
    return wait_until(lambda: (st := status(sock))["state"] == state and st, timeout,
                      f"state {state!r}")


@pytest.fixture
def sock(tmp_path: Path) -> Path:
    return tmp_path / "run" / "dictation" / "control.sock"


def test_push_to_talk_types_only_what_is_said_while_held(virtual_mic: str, server_url: str,
                                                         say: Callable, sock: Path) -> None:
    before = say("The weather in Paris is sunny today.")
    held = say("Please send the quarterly report to Maria.", pad=(0.3, 0.3))
    d = Daemon(virtual_mic, "--base-url", server_url, "--mode", "push-to-talk",
               "--socket", str(sock))
    try:
        assert status(sock)["state"] == "idle"
        # Spoken, but not held: never transcribed. Were it transcribed, its line would come
        # before the held one's, which must be the first and only line.
        play(virtual_mic, before).wait(60)
        assert ctl(sock, "press").returncode == 0
        assert status(sock)["listening"] is True
        play(virtual_mic, held).wait(30)
        done = ctl(sock, "release")
        assert done.returncode == 0 and done.stdout == "", done.stderr
        line = d.line(60)
        st = wait_state(sock, "idle")
    finally:
        extra, err, code = d.stop()
    said = norm(line)
    assert "report to maria" in said
    assert "paris" not in said and "weather" not in said
    assert extra == ""  # exactly one line
    assert st["mode"] == "push-to-talk" and st["backlog"] == 0 and st["delivered"] == 1
    assert st["last_error"] is None
    assert code == 0, err


def test_speech_just_before_the_press_is_kept(virtual_mic: str, server_url: str,
                                             say: Callable, sock: Path) -> None:
    # The key goes down just after "Bright yellow" was said: those words were played before
    # the press, so they reach the daemon only through its pre-roll. A long pre-roll and
    # hangover leave room for a loaded machine between the two halves.
    early = say("Bright yellow", pad=(0.0, 0.0))
    rest = say("balloons are floating above the kitchen table.", pad=(0.0, 0.3))
    d = Daemon(virtual_mic, "--base-url", server_url, "--mode", "push-to-talk",
               "--pre-roll", "3", "--hangover-max", "3", "--hangover-min", "1.5",
               "--socket", str(sock))
    try:
        play(virtual_mic, early).wait(60)  # all of it played into the microphone
        assert press(sock, "press")["listening"] is True
        play(virtual_mic, rest).wait(60)
        press(sock, "release")
        line = d.line(60)
    finally:
        extra, err, code = d.stop()
    said = norm(line).split()
    assert said[:2] == ["bright", "yellow"] and "kitchen" in said, line
    assert extra == "" and code == 0, err


def test_cancel_delivers_nothing_and_the_next_hold_still_works(
        virtual_mic: str, server_url: str, say: Callable, sock: Path) -> None:
    dropped = say("Delete every file", pad=(0.3, 0.0))
    dropped_rest = say("in the archive folder now.", pad=(0.0, 0.5))
    kept = say("Let us meet at the station at noon.", pad=(0.3, 0.3))
    # A long hangover: the utterance stays open after its first half however slow the
    # machine is to ask for the state (release, not a pause, ends the held one below).
    d = Daemon(virtual_mic, "--base-url", server_url, "--mode", "push-to-talk",
               "--hangover-max", "5", "--hangover-min", "5", "--socket", str(sock))
    try:
        ctl(sock, "press")
        play(virtual_mic, dropped).wait(60)
        wait_state(sock, "hearing speech")  # mid-sentence: "Delete every file…"
        assert ctl(sock, "cancel").returncode == 0  # … changes their mind
        assert status(sock)["listening"] is False
        play(virtual_mic, dropped_rest).wait(60)
        # Had anything of it been delivered, its line would come before the next hold's.
        ctl(sock, "press")
        play(virtual_mic, kept).wait(60)
        ctl(sock, "release")
        line = d.line(60)
    finally:
        extra, err, code = d.stop()
    assert "station" in norm(line) and "archive" not in norm(line)
    assert "delete" not in norm(line) and "file" not in norm(line)
    assert extra == ""
    assert code == 0, err


def test_toggle_starts_and_stops_continuous_dictation(virtual_mic: str, server_url: str,
                                                      say: Callable, sock: Path) -> None:
    on = say("The museum opens at nine in the morning.")
    off = say("Nobody should ever transcribe this sentence.")
    d = Daemon(virtual_mic, "--base-url", server_url, "--mode", "toggle",
               "--socket", str(sock))
    try:
        ctl(sock, "toggle")
        play(virtual_mic, on).wait(60)
        line = d.line(60)  # the pause ended it: no release needed
        ctl(sock, "toggle")
        assert wait_state(sock, "idle")["listening"] is False
        # Played in full before the stop, which finishes any utterance in progress: had
        # dictation still been on, its text would be in what the daemon prints next.
        play(virtual_mic, off).wait(60)
    finally:
        extra, err, code = d.stop()
    assert "museum" in norm(line)
    assert extra == ""
    assert code == 0, err


def test_socket_is_private_and_a_second_daemon_is_refused(virtual_mic: str, server_url: str,
                                                          sock: Path) -> None:
    d = Daemon(virtual_mic, "--base-url", server_url, "--socket", str(sock))
    try:
        assert stat.S_IMODE(sock.stat().st_mode) == 0o600
        assert stat.S_IMODE(sock.parent.stat().st_mode) == 0o700
        second = subprocess.run(
            dictation_cmd("run", "--base-url", server_url, "--socket", str(sock)),
            capture_output=True, text=True, timeout=60, env=mic_env(virtual_mic))
        assert second.returncode == 2
        [line] = second.stderr.splitlines()
        assert "another dictation daemon is running" in line
        assert f"pid {d.proc.pid}" in line
        assert status(sock)["state"] == "listening"  # the first one is untouched
        # A file to push-to-talk needs the socket: refused too.
        ptt = subprocess.run(
            dictation_cmd("run", "--input", str(SAMPLE), "--mode", "push-to-talk",
                          "--base-url", server_url, "--socket", str(sock)),
            capture_output=True, text=True, timeout=60)
        assert ptt.returncode == 2
        assert "another dictation daemon is running" in one_clear_line(ptt.stderr)
    finally:
        d.stop()
    assert not sock.exists()  # a clean exit takes its socket away


def test_a_file_run_beside_a_daemon_runs_without_the_socket(virtual_mic: str,
                                                             server_url: str,
                                                             sock: Path) -> None:
    d = Daemon(virtual_mic, "--base-url", server_url, "--socket", str(sock))
    try:
        done = subprocess.run(
            dictation_cmd("run", "--input", str(SAMPLE), "--fast", "--base-url", server_url,
                          "--socket", str(sock)),
            capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert "cursor" in norm(done.stdout)  # the sample's words
        assert "holds the control socket" in done.stderr and "Traceback" not in done.stderr
        # The daemon still owns and answers its socket.
        assert status(sock)["state"] == "listening"
    finally:
        d.stop()


def test_a_crashed_daemons_socket_is_replaced(virtual_mic: str, server_url: str,
                                              sock: Path) -> None:
    d = Daemon(virtual_mic, "--base-url", server_url, "--socket", str(sock))
    d.proc.send_signal(signal.SIGKILL)
    d.proc.wait(10)
    assert sock.exists()  # left behind
    gone = ctl(sock, "status")
    assert gone.returncode == 3 and "no dictation daemon is running" in gone.stderr
    d2 = Daemon(virtual_mic, "--base-url", server_url, "--socket", str(sock))
    try:
        assert status(sock)["state"] == "listening"
    finally:
        d2.stop()


def test_ctl_errors_are_one_line(tmp_path: Path) -> None:
    missing = ctl(tmp_path / "none.sock", "status")
    assert missing.returncode == 3
    assert missing.stderr.count("\n") == 1 and "Traceback" not in missing.stderr
    # Global options first take the full CLI's path to the same client, never to `run`.
    verbose = subprocess.run(dictation_cmd("-v", "ctl", "status", "--socket",
                                           str(tmp_path / "none.sock")),
                             capture_output=True, text=True, timeout=30)
    assert verbose.returncode == 3 and "no dictation daemon is running" in verbose.stderr
    # A bad command is one line too, not the usage block, both ways the command arrives.
    bad = ctl(tmp_path / "none.sock", "explode")
    assert bad.returncode == 2 and "invalid choice: 'explode'" in bad.stderr
    assert one_clear_line(bad.stderr).startswith("dictation ctl: error: argument COMMAND")
    bad = subprocess.run(dictation_cmd("-q", "ctl", "explode"), capture_output=True, text=True,
                         timeout=30)
    assert bad.returncode == 2 and "invalid choice: 'explode'" in one_clear_line(bad.stderr)


def test_status_line_names_mode_state_engine_backlog_and_error(
        virtual_mic: str, server_url: str, sock: Path) -> None:
    d = Daemon(virtual_mic, "--base-url", server_url, "--mode", "toggle",
               "--socket", str(sock))
    try:
        done = ctl(sock, "status")
    finally:
        d.stop()
    assert done.returncode == 0
    [line] = done.stdout.splitlines()
    assert line.startswith("toggle: idle · backlog 0 · ")
    assert server_url in line and line.endswith("last error: none")


def test_default_socket_lives_in_the_runtime_dir(virtual_mic: str, server_url: str,
                                                 tmp_path: Path) -> None:
    runtime = tmp_path / "xdg"
    runtime.mkdir(mode=0o700)
    # PulseAudio clients find their server through XDG_RUNTIME_DIR too: name it explicitly.
    # An empty DICTATION_SOCKET counts as unset: the test run's own socket does not apply.
    env = {"XDG_RUNTIME_DIR": str(runtime), "PULSE_SERVER": f"unix:{pulse_server()}",
           "DICTATION_SOCKET": ""}
    d = Daemon(virtual_mic, "--base-url", server_url, **env)
    try:
        sock = runtime / "dictation" / "control.sock"
        assert sock.exists()
        done = subprocess.run(dictation_cmd("ctl", "status"), capture_output=True, text=True,
                              timeout=30, env={**os.environ, **env})
        assert done.returncode == 0, done.stderr
    finally:
        d.stop()


def _tones(pcm: np.ndarray, win: int) -> int:
    """How many tones the recording holds in full: loud runs of 10 ms windows, each followed
    by at least 50 ms of quiet."""
    loud = [float(np.sqrt(np.mean(pcm[i:i + win] ** 2))) > 300
            for i in range(0, len(pcm) - win, win)]
    count, run, quiet = 0, 0, 0
    for is_loud in loud:
        if is_loud:
            run, quiet = run + 1, 0
        else:
            quiet += 1
            if run and quiet >= 5:
                count, run = count + 1, 0
    return count


def test_sound_cues_play_on_start_and_stop(virtual_mic: str, server_url: str, sock: Path,
                                           tmp_path: Path, pulse: PrivatePulse) -> None:
    from dictation.control.feedback import CUE_RATE, START_TONE, STOP_TONE

    # The cues go to a second null sink (the "speakers"), kept running by silence played
    # into it; its monitor is recorded, and the test goes on as each tone is heard there.
    speakers = f"{virtual_mic}spk"
    module = pulse.load_sink(speakers)
    zeros = spawn(["pacat", "-d", speakers, "/dev/zero"], stderr=subprocess.DEVNULL)
    raw = tmp_path / "speakers.raw"
    win = CUE_RATE // 100  # 10 ms

    def heard() -> int:
        return _tones(np.frombuffer(raw.read_bytes(), dtype=np.int16).astype(np.float32), win)

    try:
        d = Daemon(virtual_mic, "--base-url", server_url, "--mode", "push-to-talk",
                   "--cues", "sound", "--socket", str(sock), PULSE_SINK=speakers)
        with raw.open("wb") as out:
            rec = spawn(["parec", "-d", f"{speakers}.monitor", "--raw", "--latency-msec=20",
                         "--format=s16le", f"--rate={CUE_RATE}", "--channels=1"], stdout=out)
            try:
                press(sock, "press")
                wait_until(lambda: heard() >= 1, 60, "the start cue")
                press(sock, "release")
                wait_until(lambda: heard() >= 2, 60, "the stop cue")
            finally:
                stop_group(rec, signal.SIGTERM)
                d.stop()
    finally:
        stop_group(zeros)
        pulse.pactl("unload-module", module)
    assert heard() == 2
    # Tell the tones apart by pitch over the loud windows: rising (on) then falling (off).
    pcm = np.frombuffer(raw.read_bytes(), dtype=np.int16).astype(np.float32)
    starts = range(0, len(pcm) - win, win)
    loud = [bool(np.sqrt(np.mean(pcm[i:i + win] ** 2)) > 300) for i in starts]
    pitch = []
    for k, i in enumerate(starts):
        # Only windows inside a tone: one holding a tone's first or last samples is half a
        # click, whose loudest frequency can be anything (900 Hz ahead of a 660 Hz start).
        if 0 < k < len(loud) - 1 and loud[k - 1] and loud[k] and loud[k + 1]:
            padded = np.abs(np.fft.rfft(pcm[i:i + win] * np.hanning(win), 8 * win))
            pitch.append(np.fft.rfftfreq(8 * win, 1 / CUE_RATE)[int(np.argmax(padded))])
    assert len(pitch) >= 8, f"{len(pitch) * 10} ms of cue heard, not two tones"
    lo, hi = min(*START_TONE, *STOP_TONE), max(*START_TONE, *STOP_TONE)
    assert all(lo * 0.85 <= p <= hi * 1.15 for p in pitch), pitch
    # The glide read through a median of three windows: a window a busy machine's sound
    # server cut into (a few samples lost) reads as any pitch in the band.
    glide = [float(np.median(pitch[max(0, k - 1):k + 2])) for k in range(len(pitch))]
    top = int(np.argmax(glide))  # the end of the rising tone, the start of the falling one
    assert glide[0] < glide[top] - 150 and glide[-1] < glide[top] - 150, pitch
    assert 0.25 < top / len(glide) < 0.75, pitch  # two tones of the same length
