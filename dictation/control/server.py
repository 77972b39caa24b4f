"""The control socket's server: the daemon answers `dictation ctl press|release|…` on it.

One request per connection: a command word and a newline in, one JSON line out; but `follow`
gets a line now and one per change of state until either side closes (feed.py). The socket
lives in a 0700 directory and is itself 0600, so only its user can drive the microphone. A
lock file held for the daemon's lifetime tells a running daemon from a crashed one's leftover
socket, without racing a second daemon that starts at the same moment.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dictation.errors import ConfigError
from dictation.storage import private_dir

if TYPE_CHECKING:
    from dictation.control.feed import StatusFeed

MAX_REQUEST = 256
CLIENT_TIMEOUT_S = 2.0  # a client that sends no command within this gets nothing


class DaemonRunning(ConfigError):
    """Another daemon holds the control socket."""


class ControlServer:
    """Serves ``handle(command) -> reply`` on the socket until :meth:`close`."""

    def __init__(self, path: str | Path, handle: Callable[[str], dict[str, Any]],
                 feed: StatusFeed | None = None) -> None:
        """``feed``: the changes of state `follow` sends (None: `follow` is refused)."""
        self.path = Path(path)
        self._handle = handle
        self._feed = feed
        self._following: set[asyncio.Task[Any]] = set()  # connections `follow` holds open
        self._lock_fd: int | None = None
        self._server: Any = None

    def claim(self) -> None:
        """Take the lock, or refuse: another daemon owns the socket."""
        private_dir(self.path.parent, refusal="put the control socket there")
        lock = self.path.with_name(self.path.name + ".lock")
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise DaemonRunning(f"another dictation daemon is running (pid {pid}, control "
                              f"socket {self.path}); stop it first, or talk to it with "
                              "`dictation ctl`") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._lock_fd = fd
        # We hold the lock, so a socket file here is a crashed daemon's: replace it.
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    async def start(self) -> None:
        if self._lock_fd is None:
            self.claim()
        old = os.umask(0o177)  # born 0600: no window where others may connect
        try:
            self._server = await asyncio.start_unix_server(self._serve, path=str(self.path))
        except OSError as err:
            raise ConfigError(f"cannot open control socket {self.path}: "
                              f"{err.strerror or err}") from None
        finally:
            os.umask(old)
        os.chmod(self.path, 0o600)

    async def _serve(self, reader: Any, writer: Any) -> None:
        try:
            line = await asyncio.wait_for(reader.readline(), CLIENT_TIMEOUT_S)
            command = line[:MAX_REQUEST].decode(errors="replace").strip()
            if command == "follow" and self._feed is not None:
                await self._follow(self._feed, reader, writer)
                return
            try:
                reply = {"ok": True, **self._handle(command)}
            except ValueError as err:
                reply = {"ok": False, "error": str(err)}
            await _send(writer, reply)
        except (TimeoutError, ConnectionError, asyncio.LimitOverrunError, ValueError):
            pass  # a client that hung or went away gets nothing; the daemon goes on
        finally:
            writer.close()

    async def _follow(self, feed: StatusFeed, reader: Any, writer: Any) -> None:
        """The status now, then each change, until the follower goes (it sends nothing more:
        anything it sends, or its end of file, ends the stream) or the daemon closes."""
        if feed.closed:
            return  # the daemon is going: the follower waits for the next one
        try:
            changes = feed.add()
        except ValueError as err:
            await _send(writer, {"ok": False, "error": str(err)})
            return
        gone = asyncio.ensure_future(reader.read(1))
        task = asyncio.current_task()
        if task:
            self._following.add(task)
        try:
            await _send(writer, {"ok": True, **self._handle("status")})
            while True:
                change = asyncio.ensure_future(changes.get())
                await asyncio.wait((gone, change), return_when=asyncio.FIRST_COMPLETED)
                if not change.done():
                    change.cancel()
                    return
                if (status := change.result()) is None:
                    return
                await _send(writer, {"ok": True, "status": status})
        finally:
            gone.cancel()
            feed.remove(changes)
            if task:
                self._following.discard(task)

    async def close(self) -> None:
        if self._feed is not None:
            self._feed.close()  # followers hear the end before the socket goes
            if self._following:
                await asyncio.wait(self._following, timeout=CLIENT_TIMEOUT_S)
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None
        if self._lock_fd is not None:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
            os.close(self._lock_fd)  # releases the lock
            self._lock_fd = None


async def _send(writer: Any, reply: dict[str, Any]) -> None:
    """One JSON line; a client that does not read it within the timeout is given up."""
    writer.write(json.dumps(reply).encode() + b"\n")
    await asyncio.wait_for(writer.drain(), CLIENT_TIMEOUT_S)
