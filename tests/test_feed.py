"""The daemon's side of `status --follow` (the control server and its feed, in-process on a
real Unix socket), read by the real `dictation status --follow` as a child process: a server
started after the follower, its changes in order, its close, a crashed one's socket, too many
followers, a follower that leaves, and a server that sends what it should not."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import dictation_cmd, one_clear_line
from procs import Stream, spawn, stop_group, wait_until

from dictation.control.client import connect
from dictation.control.feed import MAX_FOLLOWERS, QUEUED, StatusFeed
from dictation.control.server import ControlServer


def _status(state: str) -> dict[str, object]:
    return {"mode": "toggle", "state": state, "listening": state != "idle", "engine": "test",
            "backlog": 0, "delivered": 0, "last_error": None, "language": None}


class Served:
    """A control server with a feed on an event loop of its own (a thread), as the daemon
    runs them; the test changes its state."""

    def __init__(self, path: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.status = _status("idle")
        self.feed = StatusFeed()
        self.server = ControlServer(path, lambda _: {"status": self.status}, self.feed)
        self._run(self.server.start())

    def _run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    def change(self, state: str) -> None:
        async def push() -> None:
            self.status = _status(state)
            self.feed.state(self.status)

        self._run(push())

    def followers(self) -> int:
        async def count() -> int:
            return self.feed.followers

        return self._run(count())

    def close(self) -> None:
        self._run(self.server.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(30)
        self.loop.close()


class Follower:
    def __init__(self, sock: Path, fmt: str = "bar") -> None:
        self.proc = spawn(dictation_cmd("status", "--follow", "--format", fmt, "--socket",
                                        str(sock)), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE)
        self.out = Stream(self.proc.stdout)
        self.err = Stream(self.proc.stderr)

    def line(self) -> str:
        return self.out.line(60)


@pytest.fixture
def sock(tmp_path: Path) -> Path:
    return tmp_path / "run" / "dictation" / "control.sock"  # not there yet


@pytest.fixture
def follower(sock: Path) -> Iterator[Follower]:
    f = Follower(sock)
    yield f
    stop_group(f.proc)


def test_a_server_started_later_is_followed_and_its_close_is_off(sock: Path,
                                                                 follower: Follower) -> None:
    assert follower.line() == "off"
    served = Served(sock)
    try:
        assert follower.line() == "idle"
        for state in ("listening", "hearing speech", "transcribing", "listening"):
            served.change(state)
        assert [follower.line() for _ in range(4)] == ["listening", "recording",
                                                       "transcribing", "listening"]
        served.change("listening")  # no change a bar would show: no line
        served.change("retrying")
        assert follower.line() == "retrying"
    finally:
        served.close()
    assert follower.line() == "off"
    # A crashed daemon's socket: there, but nobody listens. Still off, until a daemon comes.
    with socket.socket(socket.AF_UNIX) as stale:
        stale.bind(str(sock))
    served = Served(sock)  # replaces the dead socket, as a daemon does
    try:
        assert follower.line() == "idle"
    finally:
        served.close()
    assert follower.line() == "off"
    assert follower.proc.poll() is None and follower.err.text == ""


def test_too_many_followers_are_refused_in_one_line(sock: Path) -> None:
    served = Served(sock)
    held = []
    try:
        for _ in range(MAX_FOLLOWERS):
            held.append(connect(sock))
            held[-1].sendall(b"follow\n")
            assert json.loads(held[-1].makefile().readline())["ok"] is True
        extra = subprocess.run(dictation_cmd("status", "--follow", "--socket", str(sock)),
                               capture_output=True, text=True, timeout=60)
        assert extra.returncode == 1, extra
        assert "too many followers" in one_clear_line(extra.stderr)
        # Those that leave are forgotten: room again.
        for s in held:
            s.close()
        wait_until(lambda: served.followers() == 0, 30, "followers forgotten")
    finally:
        for s in held:
            s.close()
        served.close()


def test_a_slow_follower_keeps_the_newest_changes() -> None:
    async def main() -> list[Any]:
        feed = StatusFeed()
        queue = feed.add()
        for i in range(QUEUED + 10):
            feed.state({"n": i})
        feed.close()
        return [queue.get_nowait() for _ in range(queue.qsize())]

    got = asyncio.run(main())
    assert len(got) == QUEUED and got[-1] is None
    assert [item["n"] for item in got[:-1]] == list(range(11, QUEUED + 10))


def _bad_server(path: Path, lines: list[bytes]) -> socket.socket:
    """A socket at ``path`` that answers one connection with ``lines`` and then hangs."""
    path.parent.mkdir(parents=True, mode=0o700)
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(str(path))
    srv.listen()

    def serve() -> None:
        conn, _ = srv.accept()
        conn.recv(100)
        conn.sendall(b"".join(lines))
        threading.Event().wait(60)

    threading.Thread(target=serve, daemon=True).start()
    return srv


@pytest.mark.parametrize(("last", "says"), [
    (b"not json\n", "not JSON"),
    (b'{"ok": false, "error": "\\u001b[2Jno \\u0007such command"}\n', "no such command"),
    (b"x" * 70000, "longer than"),
])
def test_what_a_daemon_sends_is_cleaned_and_nonsense_is_one_error_line(
        sock: Path, last: bytes, says: str) -> None:
    hostile = _status("\x1b]0;pwned\x07waiting\u202e for <microphone>")
    srv = _bad_server(sock, [json.dumps({"ok": True, "status": hostile}).encode() + b"\n",
                             last])
    try:
        done = subprocess.run(dictation_cmd("status", "--follow", "--format", "waybar",
                                            "--socket", str(sock)),
                              capture_output=True, text=True, timeout=60)
    finally:
        srv.close()
    shown = json.loads(done.stdout.splitlines()[0])
    assert shown["class"] == "error" and shown["text"] == "waiting for &lt;microphone&gt;"
    assert done.returncode == 1, done
    assert says in one_clear_line(done.stderr)
