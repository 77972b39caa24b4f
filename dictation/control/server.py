"""The control socket's server: the daemon answers `dictation ctl press|release|…` on it.

One request per connection: a command word and a newline in, one JSON line out. The socket
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
from typing import Any

from dictation.errors import ConfigError
from dictation.storage import private_dir

MAX_REQUEST = 256
CLIENT_TIMEOUT_S = 2.0  # a client that sends no command within this gets nothing


class ControlServer:
    """Serves ``handle(command) -> reply`` on the socket until :meth:`close`."""

    def __init__(self, path: str | Path, handle: Callable[[str], dict[str, Any]]) -> None:
        self.path = Path(path)
        self._handle = handle
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
            raise ConfigError(f"another dictation daemon is running (pid {pid}, control "
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
            try:
                reply = {"ok": True, **self._handle(command)}
            except ValueError as err:
                reply = {"ok": False, "error": str(err)}
            writer.write(json.dumps(reply).encode() + b"\n")
            await writer.drain()
        except (TimeoutError, ConnectionError, asyncio.LimitOverrunError, ValueError):
            pass  # a client that hung or went away gets nothing; the daemon goes on
        finally:
            writer.close()

    async def close(self) -> None:
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
