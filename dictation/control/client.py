"""The client of the control socket: `dictation ctl press|release|…` and `dictation status`
talk to the running daemon (the server is server.py).

One request per connection: a command word and a newline in, one JSON line out. Standard
library only: a hotkey runs this on every key press, so it must answer in milliseconds.
"""

from __future__ import annotations

import json
import os
import socket

from dictation.control.status import spool_report, status_line
from dictation.errors import ConfigError, DictationError

TYPE_CHECKING = False  # not typing's: importing typing costs `dictation ctl` 5 ms
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

TIMEOUT_S = 2.0  # how long a command waits for the daemon's answer


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


def connect(path: str | Path, timeout: float = TIMEOUT_S) -> socket.socket:
    """A connection to the daemon. Raises NoDaemon when nothing is listening."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(str(path))
    except (FileNotFoundError, ConnectionRefusedError, NotADirectoryError):
        s.close()
        raise NoDaemon(f"no dictation daemon is running (no control socket at {path})"
                       ) from None
    except PermissionError:
        s.close()
        raise NoDaemon(f"cannot connect to {path}: permission denied (is the daemon "
                       "running as another user?)") from None
    except BaseException:
        s.close()
        raise
    return s


def request(path: str | Path, command: str, timeout: float = TIMEOUT_S) -> dict[str, Any]:
    """Send one command; the daemon's reply. Raises NoDaemon when nothing is listening."""
    with connect(path, timeout) as s:
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


def ctl(action: str, path: str | Path, as_json: bool) -> int:
    """Send ``action`` and print what the user asked to see."""
    reply = request(path, action)
    if as_json:
        print(json.dumps(reply["status"]))
    elif action == "status":
        print(status_line(reply["status"]))
    return 0


def status(path: str | Path, spool_dir: str | Path | None, fmt: str = "line") -> int:
    """`dictation status`: the daemon's status line, or, with no daemon, what it left in the
    spool for the next start (exit status 3). A bar's format (waybar, bar) says ``off``
    instead, exit status 0. (A line at every change: follow.py.)"""
    as_json = fmt == "json"
    if fmt not in ("line", "json"):
        from dictation.control.statusbar import render

        try:
            print(render(request(path, "status")["status"], fmt))
        except NoDaemon:
            print(render(None, fmt))
        return 0
    try:
        return ctl("status", path, as_json)
    except NoDaemon as err:
        from pathlib import Path

        from dictation.deliver.spool import backlog, default_spool_dir

        root = Path(spool_dir) if spool_dir else default_spool_dir()
        print(spool_report(str(err), root, backlog(root), as_json))
        return err.exit_code
