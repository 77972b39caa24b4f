"""`dictation status --follow` against real daemons on the virtual microphone: the lines come
in the order the daemon's state changes, a daemon started after the follower is picked up, a
stopped one is `off`; and the follower's own end (Ctrl-C, a closed pipe)."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Daemon, dictation_cmd, play
from procs import Stream, spawn, stop_group

from dictation.control.client import request

pytestmark = [pytest.mark.real, pytest.mark.realtime]  # daemons at real time


class Follower:
    """`dictation status --follow` as a child process, each line it prints seen."""

    def __init__(self, sock: Path, fmt: str = "waybar") -> None:
        self.proc = spawn(dictation_cmd("status", "--follow", "--format", fmt,
                                        "--socket", str(sock)),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.out = Stream(self.proc.stdout)
        self.err = Stream(self.proc.stderr)

    def next(self, timeout: float = 60) -> dict:
        return json.loads(self.out.line(timeout))

    def classes_until(self, cls: str, timeout: float = 60) -> list[str]:
        """The classes of the lines up to the first of class ``cls``, that one included."""
        seen: list[str] = []
        deadline = time.monotonic() + timeout
        while not seen or seen[-1] != cls:
            seen.append(self.next(max(0.1, deadline - time.monotonic()))["class"])
        return seen

    def close(self) -> None:
        stop_group(self.proc)


@pytest.fixture
def sock(tmp_path: Path) -> Path:
    return tmp_path / "run" / "dictation" / "control.sock"  # its directory is not there yet


def test_lines_follow_the_daemon_in_order_and_a_later_daemon_is_picked_up(
        virtual_mic: str, server_url: str, say: Callable, sock: Path) -> None:
    speech = say("The library closes early on Sundays.")
    follower = Follower(sock)
    daemons: list[Daemon] = []
    try:
        assert follower.next() == {"text": "off", "class": "off", "alt": "stopped",
                                   "tooltip": "dictation is not running"}
        daemons.append(Daemon(virtual_mic, "--base-url", server_url, "--mode", "toggle",
                              "--socket", str(sock)))
        # Seen at once, not at the next minute's look: inotify woke the follower.
        idle = follower.next(20)
        assert (idle["class"], idle["alt"], idle["text"]) == ("off", "idle", "idle")
        request(sock, "toggle")
        assert follower.next()["class"] == "listening"
        play(virtual_mic, speech).wait(60)
        # The utterance: heard, then transcribed, then listening again, in that order.
        assert follower.classes_until("listening") == ["recording", "transcribing",
                                                       "listening"]
        assert "library" in daemons[0].line(60).lower()
        request(sock, "toggle")
        assert follower.next()["alt"] == "idle"
        _, err, code = daemons[0].stop()
        assert code == 0, err
        assert follower.next() == {"text": "off", "class": "off", "alt": "stopped",
                                   "tooltip": "dictation is not running"}
        # Waiting again: the next daemon is picked up too.
        daemons.append(Daemon(virtual_mic, "--base-url", server_url, "--mode", "continuous",
                              "--socket", str(sock)))
        assert follower.next(20)["class"] == "listening"
        daemons[1].stop()
        assert follower.next()["class"] == "off"
        assert follower.proc.poll() is None  # it goes on waiting
    finally:
        for d in daemons:
            d.stop()
        follower.close()
    assert follower.err.text == ""


def test_json_lines_carry_the_status_object(virtual_mic: str, server_url: str,
                                            sock: Path) -> None:
    d = Daemon(virtual_mic, "--base-url", server_url, "--mode", "push-to-talk",
               "--socket", str(sock))
    follower = Follower(sock, "json")
    try:
        first = json.loads(follower.out.line(60))
        assert first["daemon"] is True and first["state"] == "idle"
        assert first["mode"] == "push-to-talk" and first["backlog"] == 0
        request(sock, "press")
        assert json.loads(follower.out.line(60))["state"] == "listening"
        request(sock, "release")
        assert json.loads(follower.out.line(60))["state"] == "idle"
    finally:
        d.stop()
        follower.close()


def test_ctrl_c_and_a_closed_pipe_end_it_quietly(sock: Path) -> None:
    follower = Follower(sock)
    try:
        assert follower.next()["class"] == "off"
        follower.proc.send_signal(signal.SIGINT)
        assert follower.proc.wait(30) == 130
        assert follower.err.rest() == ""
    finally:
        follower.close()
    # The bar restarted: its end of the pipe closes while the follower waits for a daemon.
    proc = spawn(dictation_cmd("status", "--follow", "--format", "waybar", "--socket",
                               str(sock)), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stdout.readline()
        proc.stdout.close()
        assert proc.wait(30) == 0
        assert proc.stderr.read() == b""
    finally:
        stop_group(proc)
