"""Child processes for the tests: every line they write, seen as it comes, and none of them
left running after its test, pass or fail.

A thread per pipe reads the raw descriptor and splits lines itself, so two lines written at
once are two lines a test can wait for (``select`` on a pipe and ``readline`` on a buffered
stream lose the second one). Every process a test starts carries the test's token in its
environment; the test's finaliser kills whatever still carries it, grandchildren included
(a clipboard helper left serving the selection, a player, a daemon whose test failed).
"""

from __future__ import annotations

import codecs
import contextlib
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
from private_pulse import stop_group as stop_group  # one for the tests and the bench

TOKEN = "TEST_PROCESS_TOKEN"  # in the environment of every process a test starts
SESSION_TOKEN = "TEST_SESSION_TOKEN"  # the test run's own, for what outlives one test


@contextlib.contextmanager
def session_owned() -> Iterator[None]:
    """Processes started in the block carry the test run's token, not the running test's:
    a session fixture first asked for inside a test (``request.getfixturevalue``) starts its
    server while the test's token is set, and that test's end would kill it."""
    saved = os.environ[TOKEN]
    os.environ[TOKEN] = os.environ[SESSION_TOKEN]
    try:
        yield
    finally:
        os.environ[TOKEN] = saved


class Stream:
    """Everything one pipe delivers, kept whole; consumers wait on a condition."""

    def __init__(self, pipe: IO[Any]) -> None:
        self._fd = pipe.fileno()
        self._pipe = pipe  # kept open until the reader is done with its descriptor
        self._text = ""
        self._pos = 0  # how far :meth:`line` has consumed
        self.closed = False
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        while True:
            try:
                chunk = os.read(self._fd, 65536)
            except OSError:
                chunk = b""
            text = decoder.decode(chunk, final=not chunk)
            with self._cond:
                self._text += text
                self.closed = not chunk
                self._cond.notify_all()
            if not chunk:
                return

    @property
    def text(self) -> str:
        with self._cond:
            return self._text

    def wait(self, check: Callable[[str], bool], timeout: float, what: str) -> str:
        """The text so far, once ``check`` holds for it; fails naming ``what`` otherwise."""
        with self._cond:
            ok = self._cond.wait_for(lambda: check(self._text) or self.closed, timeout)
            if ok and check(self._text):
                return self._text
            why = "the stream ended" if self.closed else f"nothing after {timeout:g} s"
            raise AssertionError(f"{what}: {why}; got: {self._text!r}")

    def line(self, timeout: float) -> str:
        """The next line not yet taken, without its newline."""
        with self._cond:
            if not self._cond.wait_for(lambda: "\n" in self._text[self._pos:] or self.closed,
                                       timeout) or "\n" not in self._text[self._pos:]:
                why = "the stream ended" if self.closed else f"no line within {timeout:g} s"
                raise AssertionError(f"{why}; unread: {self._text[self._pos:]!r}")
            end = self._text.index("\n", self._pos)
            line, self._pos = self._text[self._pos:end], end + 1
            return line

    def rest(self, timeout: float = 60) -> str:
        """What no :meth:`line` took, once the pipe has closed."""
        self.wait(lambda _: self.closed, timeout, "end of stream")
        self._thread.join(timeout)
        self._pipe.close()
        with self._cond:
            rest, self._pos = self._text[self._pos:], len(self._text)
            return rest


def spawn(cmd: Sequence[str], **kw: Any) -> subprocess.Popen:
    """Popen in a process group of its own, with the running test's token; the test's
    finaliser ends it (see :func:`reap`)."""
    kw.setdefault("start_new_session", True)
    return subprocess.Popen(list(cmd), **kw)


def carrying(token: str) -> list[int]:
    """Pids of the processes whose environment holds ``TOKEN=token`` (not this one)."""
    needle = f"{TOKEN}={token}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            env = (entry / "environ").read_bytes()
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if needle in env.split(b"\0"):
            found.append(int(entry.name))
    return found


def reap(token: str, timeout: float = 10) -> list[int]:
    """Kill every process that carries ``token``; their pids."""
    pids = carrying(token)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + timeout
    while carrying(token) and time.monotonic() < deadline:  # (a zombie's environ is empty)
        time.sleep(0.05)
    return pids


def wait_until(check: Callable[[], Any], timeout: float, what: str, every: float = 0.05) -> Any:
    """Poll ``check`` until it returns something true (returned); fail naming ``what``.
    For states no stream announces: a file appearing, a socket's answer."""
    deadline = time.monotonic() + timeout
    while not (got := check()):
        assert time.monotonic() < deadline, f"{what}: not within {timeout:g} s"
        time.sleep(every)
    return got


def read_terminal(proc: subprocess.Popen, main: int, timeout: float) -> str:
    """What ``proc`` wrote to the pseudo-terminal whose controlling side is ``main``, until
    it closed it or exited, without the terminal's escape sequences."""
    import re
    import select

    seen = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([main], [], [], 0.5)
        if not ready:
            if proc.poll() is not None:
                break
            continue
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the child closed its side
            break
        if not chunk:
            break
        seen += chunk
    return re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]", b"", seen).decode(errors="replace")


def private_tmp(cmd: Sequence[str]) -> list[str]:
    """``cmd`` in a mount namespace of its own whose /tmp is an empty tmpfs, so that fixed
    paths there (ydotool 0.1's /tmp/.ydotool_socket) are the test's alone. A checkout or a
    virtualenv under /tmp stays visible: the old /tmp is bound to /mnt, in that namespace
    only, before the tmpfs covers it, and each such directory is bound back."""
    needed = {Path(__file__).resolve().parent.parent, Path(sys.prefix).resolve(),
              Path(os.path.realpath(sys.executable)).parent}
    binds = "".join(
        f" && mkdir -p {shlex.quote(str(d))} && mount --bind "
        f"{shlex.quote('/mnt/' + str(d.relative_to('/tmp')))} {shlex.quote(str(d))}"
        for d in sorted(needed) if d.is_relative_to("/tmp"))
    user = ["--map-root-user"] if os.geteuid() else []  # mounting needs a namespace's root
    return ["unshare", "--mount", "--propagation", "private", *user, "sh", "-c",
            f'mount --bind /tmp /mnt && mount -t tmpfs tmpfs /tmp{binds} && exec "$@"', "sh",
            *cmd]
