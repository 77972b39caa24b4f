"""sd_notify client against real AF_UNIX datagram sockets, path and abstract, bound here the way
systemd binds $NOTIFY_SOCKET."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from dictation.control.notify import Notifier


class Receiver:
    def __init__(self, sock: socket.socket, env_value: str) -> None:
        self.sock = sock
        self.env_value = env_value  # what NOTIFY_SOCKET holds

    def datagrams(self) -> list[str]:
        """Everything sent so far (sendto on a Unix socket has queued it by the time it
        returns)."""
        out = []
        while True:
            try:
                out.append(self.sock.recv(4096).decode())
            except BlockingIOError:
                return out


def _receiver(address: str, env_value: str) -> Iterator[Receiver]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(address)
    sock.setblocking(False)
    try:
        yield Receiver(sock, env_value)
    finally:
        sock.close()


@pytest.fixture
def path_socket(tmp_path: Path) -> Iterator[Receiver]:
    path = str(tmp_path / "notify")
    yield from _receiver(path, path)


@pytest.fixture
def abstract_socket() -> Iterator[Receiver]:
    name = f"dictation-test-{uuid.uuid4().hex}"
    yield from _receiver("\0" + name, "@" + name)


@pytest.fixture(params=["path", "abstract"])
def receiver(request: pytest.FixtureRequest) -> Receiver:
    return request.getfixturevalue(f"{request.param}_socket")


def test_ready_status_watchdog_stopping(receiver: Receiver) -> None:
    env = {"NOTIFY_SOCKET": receiver.env_value, "WATCHDOG_USEC": "30000000", "OTHER": "kept"}
    n = Notifier.from_environ(env)
    assert env == {"OTHER": "kept"}  # children must not inherit the socket or the watchdog
    assert n.enabled and n.watchdog_s == 30.0

    n.ready("listening")
    n.status("listening")  # unchanged: not resent
    n.status("transcribing 2 utterances")
    for _ in range(1000):  # every audio block for a while: one ping per half interval
        n.watchdog()
    n.stopping("finishing the utterance in progress")
    n.close()
    assert receiver.datagrams() == [
        "READY=1\nSTATUS=listening",
        "STATUS=transcribing 2 utterances",
        "WATCHDOG=1",
        "STOPPING=1\nSTATUS=finishing the utterance in progress",
    ]


def test_watchdog_pings_once_per_half_interval(path_socket: Receiver) -> None:
    now = [100.0]
    n = Notifier(path_socket.env_value, watchdog_s=2.0, clock=lambda: now[0])
    pings = []
    for t in (0.0, 0.1, 0.99, 1.0, 1.5, 1.99, 2.0, 2.0, 7.0):
        now[0] = 100.0 + t
        n.watchdog()
        pings.append(len(path_socket.datagrams()))
    assert pings == [1, 0, 0, 1, 0, 0, 1, 0, 1]


def test_watchdog_rate_in_real_time(path_socket: Receiver) -> None:
    n = Notifier.from_environ({"NOTIFY_SOCKET": path_socket.env_value,
                               "WATCHDOG_USEC": "400000"})
    began = time.monotonic()
    for _ in range(300):  # called far more often than it may ping
        n.watchdog()
        time.sleep(0.003)
    elapsed = time.monotonic() - began
    got = path_socket.datagrams()
    assert set(got) == {"WATCHDOG=1"}
    # One ping at once, then one per 0.2 s at most, however often it is called; a starved
    # process pings less, never more.
    assert 1 <= len(got) <= elapsed / 0.2 + 1, (len(got), elapsed)


def test_watchdog_pid_of_another_process_disables_the_watchdog(path_socket: Receiver) -> None:
    other = Notifier.from_environ({"NOTIFY_SOCKET": path_socket.env_value,
                                   "WATCHDOG_USEC": "1000000", "WATCHDOG_PID": "1"})
    other.watchdog()
    other.ready()
    assert other.watchdog_s is None and path_socket.datagrams() == ["READY=1"]

    mine = Notifier.from_environ({"NOTIFY_SOCKET": path_socket.env_value,
                                  "WATCHDOG_USEC": "1000000", "WATCHDOG_PID": str(os.getpid())})
    mine.watchdog()
    assert mine.watchdog_s == 1.0 and path_socket.datagrams() == ["WATCHDOG=1"]


def test_without_notify_socket_nothing_is_sent(path_socket: Receiver) -> None:
    env = {"WATCHDOG_USEC": "1000000"}
    n = Notifier.from_environ(env)
    assert not n.enabled and n.watchdog_s is None
    n.ready("listening")
    n.status("x")
    n.watchdog()
    n.stopping()
    assert path_socket.datagrams() == []
    # Without a watchdog, watchdog() is free and ready/status still go out.
    n = Notifier.from_environ({"NOTIFY_SOCKET": path_socket.env_value})
    n.watchdog()
    n.ready()
    assert n.watchdog_s is None and path_socket.datagrams() == ["READY=1"]


def test_status_is_one_line(path_socket: Receiver) -> None:
    n = Notifier(path_socket.env_value)
    n.status("error:\nserver said\tno")
    assert path_socket.datagrams() == ["STATUS=error: server said no"]


def test_failed_sends_never_raise_and_log_once(tmp_path: Path,
                                               caplog: pytest.LogCaptureFixture) -> None:
    n = Notifier(str(tmp_path / "nobody-listens"), watchdog_s=0.001)
    with caplog.at_level(logging.DEBUG, logger="dictation"):
        n.ready("listening")
        n.status("other")
        time.sleep(0.01)
        n.watchdog()
        n.stopping()
    failures = [r for r in caplog.records if "cannot notify" in r.getMessage()]
    assert len(failures) == 1 and "nobody-listens" in failures[0].getMessage()


@pytest.mark.timeout(20)  # a blocking send would hang here
def test_a_manager_that_does_not_read_never_blocks(path_socket: Receiver) -> None:
    # The receiver's queue fills up (a few hundred datagrams); later sends are dropped at
    # once instead of blocking the audio loop.
    n = Notifier(path_socket.env_value)
    start = time.monotonic()
    for i in range(5000):
        n.status(f"state {i}")
    assert time.monotonic() - start < 2.0
    got = path_socket.datagrams()
    assert 0 < len(got) < 5000 and got[0] == "STATUS=state 0"


def test_not_a_unix_socket_is_ignored() -> None:
    n = Notifier.from_environ({"NOTIFY_SOCKET": "vsock:2:1234"})
    assert not n.enabled
    n.ready()


def test_children_do_not_inherit_notify_socket(path_socket: Receiver,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTIFY_SOCKET", path_socket.env_value)
    monkeypatch.setenv("WATCHDOG_USEC", "5000000")
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    n = Notifier.from_environ()
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(sorted(k for k in os.environ "
                               "if k in ('NOTIFY_SOCKET', 'WATCHDOG_USEC', 'WATCHDOG_PID')))"],
        capture_output=True, text=True, check=True)
    assert child.stdout.strip() == "[]"
    n.ready()
    n.watchdog()
    assert path_socket.datagrams() == ["READY=1", "WATCHDOG=1"]


@pytest.mark.real
@pytest.mark.realtime
def test_a_real_daemon_notifies_ready_status_watchdog_and_stopping(
        path_socket: Receiver, virtual_mic: str, server_url: str, tmp_path: Path) -> None:
    from conftest import Daemon
    from procs import wait_until

    from dictation.control.client import request

    sock = tmp_path / "control.sock"
    got: list[tuple[float, str]] = []  # (arrival, datagram)

    def until(check: Callable[[], bool], what: str) -> None:
        def poll() -> bool:
            got.extend((time.monotonic(), m) for m in path_socket.datagrams())
            return check()
        # Generous: the daemon starts, and pings from its audio loop, within a second or
        # two here; a loaded machine is slower, and only the count and spacing are judged.
        wait_until(poll, 120, f"{what}; got {[m for _, m in got]}")

    # The virtual microphone delivers steadily (silence is played into it), like a real one
    # in a quiet room. (A capture that hangs for good cannot be staged here: stopping the
    # sound server does not stop PortAudio's callbacks.)
    began = time.monotonic()
    d = Daemon(virtual_mic, "--base-url", server_url, "--mode", "push-to-talk", "--socket",
               str(sock), NOTIFY_SOCKET=path_socket.env_value, WATCHDOG_USEC="400000")
    try:
        until(lambda: any("READY=1" in m for _, m in got), "READY=1")
        until(lambda: sum(m == "WATCHDOG=1" for _, m in got) >= 8, "eight watchdog pings")
        request(sock, "press")
        until(lambda: any("STATUS=push-to-talk: listening" in m for _, m in got),
              "the listening status")
    finally:
        _, err, code = d.stop()
    lifetime = time.monotonic() - began
    got.extend((time.monotonic(), m) for m in path_socket.datagrams())
    ready = [m for _, m in got if "READY=1" in m]
    assert len(ready) == 1 and "STATUS=push-to-talk: idle" in ready[0], got
    # WATCHDOG_USEC 0.4 s: a ping every 0.2 s at most, sent from the audio loop (blocks
    # come every 50 ms). Arrival times here lag behind sending on a loaded machine, so the
    # rate is judged over the daemon's whole life, which holds every ping.
    pings = sum(m == "WATCHDOG=1" for _, m in got)
    assert pings <= lifetime / 0.2 + 1, (pings, lifetime)
    assert any("STOPPING=1" in m for _, m in got), got
    assert code == 0, err
