"""`dictation status --follow`: one line per change of the daemon's state, pushed by the daemon
over its control socket, for status bars (the formats are statusbar.py's).

With no daemon it says so (``off``) and sleeps until the socket's directory changes: inotify
wakes it the moment a daemon binds its socket, so a bar shows the daemon at once and costs
nothing while it waits. It looks again every minute anyway (a filesystem that does not tell),
and every two seconds where inotify cannot be had. When the daemon stops it says ``off`` and
waits again. Each line is flushed; Ctrl-C exits with 130, a closed standard output (the bar
restarted) with 0, both without a word.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import socket
import sys
from pathlib import Path

from dictation.control.client import NoDaemon, connect
from dictation.control.statusbar import render
from dictation.errors import DictationError
from dictation.text.sanitize import sanitize

TYPE_CHECKING = False  # not typing's: `dictation status` starts in milliseconds
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any, TextIO

RECHECK_S = 60.0  # with inotify: a look now and then, for a filesystem that does not tell
POLL_S = 2.0  # without inotify: how often to look for a daemon
MAX_LINE = 65536  # bytes of one status line from the daemon


class Closed(Exception):
    """Standard output was closed: nobody reads the lines any more."""


def follow(path: str | Path, fmt: str, out: TextIO | None = None) -> int:
    """Print ``path``'s daemon's status in ``fmt`` at every change until interrupted."""
    out = out or sys.stdout
    shown: list[str] = []

    def show(status: dict[str, Any] | None) -> None:
        line = render(status, fmt)
        if shown != [line]:  # a change the format does not show is no line
            out.write(line + "\n")
            out.flush()
            shown[:] = [line]

    try:
        with SocketWatch(path, out) as watch:
            while True:
                watch.arm()  # before looking: a socket that appears meanwhile wakes us
                heard = False
                with contextlib.suppress(NoDaemon):
                    for status in changes(path, out):
                        heard = True
                        show(status)
                show(None)
                if not heard:  # no daemon, or one on its way out: wait for a change
                    watch.wait()
    except KeyboardInterrupt:
        return 130
    except (BrokenPipeError, Closed):
        with contextlib.suppress(OSError):  # Python's own flush at exit would complain
            os.dup2(os.open(os.devnull, os.O_WRONLY), out.fileno())
        return 0


def changes(path: str | Path, out: TextIO) -> Iterator[dict[str, Any]]:
    """The daemon's status now and at each change, until it closes the connection. Raises
    NoDaemon when none listens, Closed when ``out`` is closed meanwhile."""
    with connect(path) as sock:
        try:
            sock.sendall(b"follow\n")
        except (BrokenPipeError, ConnectionResetError):  # a daemon on its way out
            return
        sock.settimeout(None)  # the daemon speaks when something changes, not before
        for line in _lines(sock, out):
            try:
                reply = json.loads(line)
            except ValueError:
                raise DictationError("the daemon sent a line that is not JSON") from None
            if not isinstance(reply, dict) or not reply.get("ok"):
                why = reply.get("error") if isinstance(reply, dict) else None
                raise DictationError(sanitize(str(why or "the daemon refused to be followed"))
                                     [:200])
            if not isinstance(status := reply.get("status"), dict):
                raise DictationError("the daemon sent a reply without a status")
            yield status


def _lines(sock: socket.socket, out: TextIO) -> Iterator[bytes]:
    buf = b""
    while True:
        _wait(sock.fileno(), out, None)
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            return
        *lines, buf = (buf + chunk).split(b"\n")
        if len(buf) > MAX_LINE:
            raise DictationError(f"the daemon sent a line longer than {MAX_LINE} bytes")
        yield from lines


def _wait(fd: int | None, out: TextIO, timeout: float | None) -> bool:
    """Sleep until ``fd`` (None: nothing) can be read, or ``timeout`` s: whether it can.
    Raises Closed as soon as ``out`` is closed by its reader."""
    poll = select.poll()
    if fd is not None:
        poll.register(fd, select.POLLIN)
    with contextlib.suppress(AttributeError, OSError, ValueError):  # no file behind it
        poll.register(out.fileno(), 0)  # errors only: POLLERR once the reader is gone
    got = poll.poll(None if timeout is None else int(timeout * 1000))
    if any(ready != fd and events & (select.POLLERR | select.POLLHUP) for ready, events in got):
        raise Closed
    return any(ready == fd for ready, _ in got)


class SocketWatch:
    """Sleeps until something changes where ``path`` lives: its directory, or the nearest
    ancestor there is while the daemon has not made it yet."""

    def __init__(self, path: str | Path, out: TextIO) -> None:
        self._path = Path(path).absolute()
        self._out = out
        self._wd: int | None = None
        self._inotify: Any = None
        self._mask = 0
        try:
            from inotify_simple import INotify, flags

            self._inotify = INotify()
        except (ImportError, OSError):  # not Linux, or no watches left: look every POLL_S
            return
        # A socket bound (CREATE), put in place (MOVED_TO), made ready (ATTRIB: the daemon's
        # chmod comes after listen) or removed; the directory itself going.
        self._mask = (flags.CREATE | flags.MOVED_TO | flags.ATTRIB | flags.DELETE
                      | flags.DELETE_SELF | flags.MOVE_SELF)

    def __enter__(self) -> SocketWatch:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._inotify is not None:
            self._inotify.close()

    def arm(self) -> None:
        """Watch the nearest directory there is on the way to the socket."""
        if self._inotify is None:
            return
        where = self._path.parent
        while not where.is_dir() and where != where.parent:
            where = where.parent
        try:
            wd = self._inotify.add_watch(str(where), self._mask)
        except OSError:  # not ours to watch: look every POLL_S
            wd = None
        if self._wd is not None and wd != self._wd:
            with contextlib.suppress(OSError):  # gone with its directory
                self._inotify.rm_watch(self._wd)
        self._wd = wd

    def wait(self) -> None:
        """Until the watched directory changes (at most RECHECK_S), or POLL_S without one."""
        if self._wd is None:
            _wait(None, self._out, POLL_S)
            return
        if _wait(self._inotify.fileno(), self._out, RECHECK_S):
            self._inotify.read(timeout=0)  # the events say only "look again"
