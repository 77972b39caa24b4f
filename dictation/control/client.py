"""The control socket: `dictation ctl press|release|…` talks to the running daemon.

One request per connection: a command word and a newline in, one JSON line out. The socket
lives in a 0700 directory and is itself 0600, so only its user can drive the microphone. A
lock file held for the daemon's lifetime tells a running daemon from a crashed one's leftover
socket, without racing a second daemon that starts at the same moment.

The client half imports only the standard library: a hotkey runs it on every key press.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import stat
import sys

from dictation.errors import ConfigError, DictationError
from dictation.segment.gate import COMMANDS

TYPE_CHECKING = False  # not typing's: importing typing costs `dictation ctl` 5 ms
if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path
    from typing import Any

MAX_REQUEST = 256
CLIENT_TIMEOUT_S = 2.0


class NoDaemon(DictationError):
    exit_code = 3


def default_socket_path(env: dict[str, str]) -> str:
    runtime = env.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isabs(runtime):
        return os.path.join(runtime, "dictation", "control.sock")
    # No per-user runtime directory (a bare container, cron): a per-user directory in /tmp,
    # made 0700 and checked for ownership before use.
    import tempfile

    return os.path.join(tempfile.gettempdir(), f"dictation-{os.getuid()}", "control.sock")


def _private_dir(path: Path) -> None:
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = path.lstat()
    except OSError as err:
        raise ConfigError(f"cannot create {path}: {err.strerror or err}") from None
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid():
        raise ConfigError(f"{path} is not a directory owned by you; refusing to put the "
                          "control socket there")
    if st.st_mode & 0o077:
        os.chmod(path, 0o700)


class ControlServer:
    """Serves ``handle(command) -> reply`` on the socket until :meth:`close`."""

    def __init__(self, path: str | Path, handle: Callable[[str], dict[str, Any]]) -> None:
        from pathlib import Path

        self.path = Path(path)
        self._handle = handle
        self._lock_fd: int | None = None
        self._server: Any = None

    def claim(self) -> None:
        """Take the lock, or refuse: another daemon owns the socket."""
        _private_dir(self.path.parent)
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
        import asyncio

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
        import asyncio

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


def request(path: str | Path, command: str, timeout: float = CLIENT_TIMEOUT_S) -> dict[str, Any]:
    """Send one command; the daemon's reply. Raises NoDaemon when nothing is listening."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        try:
            s.connect(str(path))
        except (FileNotFoundError, ConnectionRefusedError):
            raise NoDaemon(f"no dictation daemon is running (no control socket at {path})"
                           ) from None
        except PermissionError:
            raise NoDaemon(f"cannot connect to {path}: permission denied (is the daemon "
                           "running as another user?)") from None
        try:
            s.sendall(command.encode() + b"\n")
            data = b""
            while not data.endswith(b"\n"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        except TimeoutError:
            raise DictationError(f"the daemon did not answer within {timeout:.0f} s") from None
    try:
        reply = json.loads(data)
    except ValueError:
        raise DictationError("the daemon closed the connection without an answer") from None
    if not reply.get("ok"):
        raise ConfigError(reply.get("error") or "the daemon refused the command")
    return reply


def status_line(status: dict[str, Any]) -> str:
    """``status`` as one line: mode, state, engine, backlog, last error."""
    backlog = f"backlog {status['backlog']}"
    if status["backlog"] and "spool_bytes" in status:
        backlog += (f" ({status['spool_seconds']:.1f} s of audio, "
                    f"{status['spool_bytes'] / 1e6:.1f} MB in the spool)")
    parts = [f"{status['mode']}: {status['state']}", backlog,
             str(status["engine"]), f"last error: {status['last_error'] or 'none'}"]
    return " · ".join(parts)


def add_ctl_arguments(p: Any) -> None:
    p.add_argument("action", choices=COMMANDS, metavar="COMMAND", help=" | ".join(COMMANDS))
    p.add_argument("--json", action="store_true", help="print the status as JSON")
    add_socket_option(p)


def add_socket_option(p: Any) -> None:
    p.add_argument("--socket", type=os.path.expanduser, metavar="PATH",
                   help="control socket (default: $XDG_RUNTIME_DIR/dictation/control.sock)")


CTL_DESCRIPTION = ("press/release: push-to-talk; toggle, start, stop: dictation on and off; "
                   "cancel: drop what is being said and not yet delivered; status: mode, "
                   "state, engine, backlog and last error")


def ctl_main(argv: list[str]) -> int:
    """`dictation ctl COMMAND`: one request, one line of output at most."""
    import argparse

    parser = argparse.ArgumentParser(prog="dictation ctl", description=CTL_DESCRIPTION)
    add_ctl_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return ctl(args.action, args.socket or configured_socket(dict(os.environ)), args.json)
    except DictationError as err:
        print(f"dictation: error: {err}", file=sys.stderr)
        return err.exit_code


def ctl(action: str, path: str | Path, as_json: bool) -> int:
    """Send ``action`` and print what the user asked to see."""
    reply = request(path, action)
    if as_json:
        print(json.dumps(reply["status"]))
    elif action == "status":
        print(status_line(reply["status"]))
    return 0


def configured_socket(env: dict[str, str]) -> str:
    """The daemon's socket as the config layers would give it (env, then file, then default),
    read without loading the whole CLI."""
    return _configured("socket", env) or default_socket_path(env)


def _configured(key: str, env: dict[str, str]) -> str | None:
    """A path-valued key from the environment or the config file, without the whole CLI."""
    var = "DICTATION_" + key.upper().replace("-", "_")
    if env.get(var):
        return os.path.expanduser(env[var])
    base = env.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")
    path = env.get("DICTATION_CONFIG") or os.path.join(base, "dictation", "config.toml")
    try:
        with open(path, "rb") as f:
            import tomllib

            value = tomllib.load(f).get(key)
        if isinstance(value, str) and value:
            return os.path.expanduser(value)
    except (OSError, ValueError):
        pass  # the daemon reports a broken config; the client falls back to the default
    return None


STATUS_DESCRIPTION = ("the running daemon's state and backlog; with no daemon, what waits in "
                      "the spool for the next start (exit status 3)")


def add_status_arguments(p: Any) -> None:
    p.add_argument("--json", action="store_true", help="print the status as JSON")
    add_socket_option(p)
    p.add_argument("--spool-dir", type=os.path.expanduser, metavar="DIR",
                   help="the spool to report when no daemon runs (default: "
                        "$XDG_STATE_HOME/dictation/spool)")


def status_main(argv: list[str]) -> int:
    """`dictation status`: the daemon's status line, or the backlog it left on disk."""
    import argparse

    parser = argparse.ArgumentParser(prog="dictation status", description=STATUS_DESCRIPTION)
    add_status_arguments(parser)
    args = parser.parse_args(argv)
    env = dict(os.environ)
    try:
        return status(args.socket or configured_socket(env),
                      args.spool_dir or _configured("spool-dir", env), args.json)
    except DictationError as err:
        print(f"dictation: error: {err}", file=sys.stderr)
        return err.exit_code


def status(path: str | Path, spool_dir: str | Path | None, as_json: bool) -> int:
    try:
        return ctl("status", path, as_json)
    except NoDaemon as err:
        from pathlib import Path

        from dictation.deliver.spool import backlog, default_spool_dir

        root = Path(spool_dir) if spool_dir else default_spool_dir()
        b = backlog(root)
        if as_json:
            print(json.dumps({"daemon": False, "spool": str(root), "backlog": b.count,
                              "spool_seconds": round(b.seconds, 1), "spool_bytes": b.bytes}))
        else:
            print(str(err))
            waits = "; it will be transcribed at the next start" if b.count else ""
            print(f"spool {root}: backlog {b.count} ({b.seconds:.1f} s of audio, "
                  f"{b.bytes / 1e6:.1f} MB){waits}")
        return err.exit_code
