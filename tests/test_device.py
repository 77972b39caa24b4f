"""Microphone faults with real parts: a PulseAudio server of each test's own, killed (SIGKILL)
mid-utterance and started again, absent when the daemon starts, or switching its default
source; `dictation run` as a subprocess with the embedded engine."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Daemon, PrivatePulse, dictation_cmd, norm
from procs import wait_until

from dictation.audio.mic import CALM_S, Episode
from dictation.control.client import request

pytestmark = [pytest.mark.real, pytest.mark.realtime]  # daemons at real time

LOCAL = {"HF_HUB_OFFLINE": "1", "OPENAI_API_KEY": "", "OPENAI_BASE_URL": ""}


def status(sock: Path) -> dict:
    return request(sock, "status")["status"]


def wait_state(sock: Path, state: str, timeout: float = 60) -> None:
    wait_until(lambda: status(sock)["state"] == state, timeout, f"state {state!r}")


def lines_with(text: str, needle: str) -> list[str]:
    return [ln for ln in text.splitlines() if needle in ln]


def test_sound_server_killed_mid_utterance(private_pulse: PrivatePulse, say: Callable,
                                           tmp_path: Path) -> None:
    heard = say("The train to London leaves at half past seven,", pad=(0.3, 0.0))
    second = say("Remember to pack an umbrella and a warm coat.", voice="en-us")
    private_pulse.start("mic")
    sock = tmp_path / "ctl.sock"
    # A long hangover: the utterance is still open when the test has seen that it is, however
    # slow the machine (the second sentence then waits for it; generous line waits below).
    d = Daemon("mic", "--hangover-max", "5", "--hangover-min", "5", "--socket", str(sock),
               base_env=private_pulse.env, **LOCAL)
    try:
        # The sentence is cut off by the loss: its first half has been played in full, the
        # utterance is still open (no pause ended it), and then the sound server dies.
        private_pulse.play("mic", heard).wait(60)
        wait_state(sock, "hearing speech")
        private_pulse.kill()
        d.wait_stderr("waiting for it", 60)
        # The daemon stays up: its control socket answers, and says what it waits for.
        assert status(sock)["state"] == "waiting for microphone"
        partial = d.line(60)  # the part heard before the loss is one utterance
        private_pulse.start("mic")
        d.wait_stderr("is back", 90)
        private_pulse.play("mic", second).wait(60)
        after = d.line(60)
    finally:
        out, err, code = d.stop()
    assert "train" in norm(partial) and "umbrella" not in norm(partial), partial
    assert "umbrella" in norm(after) and "warm coat" in norm(after)
    assert out == ""
    assert len(lines_with(err, "lost; waiting for it")) == 1, err
    assert len(lines_with(err, "is back")) == 1, err
    assert "Traceback" not in err
    assert code == 0, err


def test_no_sound_server_at_start_waits_for_one(private_pulse: PrivatePulse, say: Callable,
                                                tmp_path: Path) -> None:
    wav = say("Bright yellow balloons are floating above the kitchen table.")
    sock = tmp_path / "ctl.sock"
    # Nothing listens on the private server's socket yet: PortAudio finds no device at all.
    d = Daemon(None, "-v", "--socket", str(sock), base_env=private_pulse.env, **LOCAL)
    try:
        d.wait_stderr("waiting for one", 90)
        assert status(sock)["state"] == "waiting for microphone"
        # Several retries (each logged with -v), and still only the one warning.
        d.err.wait(lambda text: text.count("dictation: debug: microphone: ") >= 3, 90,
                   "three retries")
        private_pulse.start("mic")
        d.wait_stderr("found microphone", 90)
        private_pulse.play("mic", wav).wait(60)
        line = d.line(60)
    finally:
        out, err, code = d.stop()
    assert out == ""
    assert "balloons" in norm(line) and "kitchen" in norm(line)
    assert lines_with(err, "no microphone") == ["dictation: warning: no microphone found; "
                                                "waiting for one"], err
    assert len(lines_with(err, "found microphone")) == 1, err
    assert code == 0, err


def test_speech_follows_the_default_source(private_pulse: PrivatePulse, say: Callable,
                                           tmp_path: Path) -> None:
    # No PULSE_SOURCE and no --input: the daemon records the server's default source, and
    # the server moves the stream when the default changes.
    a = say("The train to London leaves at half past seven.")
    b = say("Remember to pack an umbrella and a warm coat.", voice="en-us")
    c = say("Nobody should hear this sentence about purple elephants.")
    private_pulse.start("desk", "headset")
    assert private_pulse.pactl("set-default-source", "desk.monitor").returncode == 0
    d = Daemon(None, "--socket", str(tmp_path / "ctl.sock"), base_env=private_pulse.env,
               **LOCAL)
    try:
        private_pulse.play("desk", a).wait(60)
        before = d.line(60)
        assert private_pulse.pactl("set-default-source", "headset.monitor").returncode == 0
        private_pulse.play("desk", c).wait(60)  # the old source is no longer heard
        private_pulse.play("headset", b).wait(60)
        after = d.line(60)
    finally:
        out, err, code = d.stop()
    assert "london" in norm(before)
    assert "umbrella" in norm(after) and "elephant" not in norm(after) + norm(out)
    assert code == 0, err


def test_unknown_device_is_one_line_exit_2(private_pulse: PrivatePulse,
                                           tmp_path: Path) -> None:
    private_pulse.start("mic")
    r = subprocess.run(dictation_cmd("run", "--input", "no-such-mic", "--socket",
                                     str(tmp_path / "ctl.sock")),
                       env={**private_pulse.env, **LOCAL}, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 2
    assert r.stderr.splitlines() == [
        "dictation: error: no input device matches 'no-such-mic'; see 'dictation devices'"]


def test_named_device_with_no_devices_at_all_waits(private_pulse: PrivatePulse,
                                                   tmp_path: Path) -> None:
    # With no device to compare with, a name cannot be judged a typo: the sound server may
    # simply not be up yet (a service started before the desktop's).
    d = Daemon(None, "--input", "pulse", "--socket", str(tmp_path / "ctl.sock"),
               "--base-url", "http://127.0.0.1:9/v1", base_env=private_pulse.env)
    d.wait_stderr("waiting for one", 90)
    out, err, code = d.stop()
    assert code == 0, err
    assert out == ""


def test_overflow_episode_is_two_lines(caplog: pytest.LogCaptureFixture) -> None:
    # The bookkeeping alone, on a clock of the test's: real overflows need a machine too
    # busy to read its microphone, which a test cannot make happen reliably.
    ep = Episode("losing input", "whole again after {count} overflow(s) in {seconds:.1f} s")
    with caplog.at_level("INFO", logger="dictation"):
        for t in (0.0, 0.05, 0.1, 1.0):
            ep.hit(t)
            ep.tick(t)
        ep.tick(1.0 + CALM_S - 0.1)  # not calm long enough yet
        ep.tick(1.0 + CALM_S)
        ep.hit(20.0)
    assert [r.getMessage() for r in caplog.records] == [
        "losing input", "whole again after 4 overflow(s) in 1.0 s", "losing input"]
    assert ep.total == 5 and ep.active
