"""sd_notify: tell systemd the daemon is ready, what it is doing, and that it is alive.

The protocol is one datagram of ``KEY=value`` lines to the AF_UNIX socket named in
$NOTIFY_SOCKET (a path, or an abstract socket written with a leading '@'). Outside a
``Type=notify`` service the variable is unset and every method does nothing.

Sending never raises and never blocks: a service manager that is slow to read must not stall
the audio loop, and a notification that cannot be sent only costs a debug line (once).
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable, Mapping, MutableMapping

log = logging.getLogger("dictation")


def stdout_is_journal(env: Mapping[str, str], fd: int = 1) -> bool:
    """Whether ``fd`` is the stream systemd connected to the journal: systemd names it in
    $JOURNAL_STREAM as "device:inode", for programs to tell exactly this."""
    dev, _, ino = env.get("JOURNAL_STREAM", "").partition(":")
    if not (dev.isdigit() and ino.isdigit()):
        return False
    try:
        st = os.fstat(fd)
    except OSError:
        return False
    return (st.st_dev, st.st_ino) == (int(dev), int(ino))


class Notifier:
    """Notifications for systemd; a no-op when ``address`` is None.

    ``watchdog_s`` is the service's watchdog timeout (WatchdogSec=); :meth:`watchdog` pings at
    most every half of it, so it can be called on every audio block. Call it from one thread
    (the event loop).
    """

    def __init__(self, address: str | None, watchdog_s: float | None = None, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._address = _socket_address(address) if address else None
        self.watchdog_s = watchdog_s if self._address is not None else None
        self._clock = clock
        self._sock: socket.socket | None = None
        self._last_ping: float | None = None
        self._last_status: str | None = None
        self._failed = False

    @classmethod
    def from_environ(cls, environ: MutableMapping[str, str] | None = None) -> Notifier:
        """Read $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID, and remove them from
        ``environ`` (default ``os.environ``) so child processes such as typing tools do not
        inherit them and notify in our name."""
        env = os.environ if environ is None else environ
        address = env.pop("NOTIFY_SOCKET", None) or None
        usec = env.pop("WATCHDOG_USEC", None)
        pid = env.pop("WATCHDOG_PID", None)
        return cls(address, _watchdog_seconds(usec, pid))

    @property
    def enabled(self) -> bool:
        return self._address is not None

    def ready(self, status: str | None = None) -> None:
        """The daemon is up (the microphone is open); ``Type=notify`` start-up completes."""
        lines = ["READY=1"]
        if status is not None:
            lines.append(self._status_line(status))
        self._send(lines)

    def status(self, text: str) -> None:
        """Free-form state shown by ``systemctl status``; unchanged text is not resent."""
        if self._address is None or text == self._last_status:
            return
        self._send([self._status_line(text)])

    def watchdog(self) -> None:
        """I am alive; cheap enough to call per audio block (rate-limited to timeout / 2)."""
        if self.watchdog_s is None:
            return
        now = self._clock()
        if self._last_ping is not None and now - self._last_ping < self.watchdog_s / 2:
            return
        self._last_ping = now
        self._send(["WATCHDOG=1"])

    def stopping(self, status: str | None = None) -> None:
        """Shutdown has begun (finishing the utterance in progress)."""
        lines = ["STOPPING=1"]
        if status is not None:
            lines.append(self._status_line(status))
        self._send(lines)

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def _status_line(self, text: str) -> str:
        self._last_status = text
        # A newline would start a new KEY=value assignment; status is one line.
        return "STATUS=" + " ".join(text.split())

    def _send(self, lines: list[str]) -> None:
        if self._address is None:
            return
        try:
            if self._sock is None:
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                self._sock.setblocking(False)
            self._sock.sendto("\n".join(lines).encode(), self._address)
        except (OSError, ValueError) as err:
            if not self._failed:
                self._failed = True
                log.debug("cannot notify the service manager at %s: %s",
                          self._address.replace("\0", "@", 1), err)


def _socket_address(value: str) -> str | None:
    if value.startswith("@"):
        return "\0" + value[1:]  # Linux abstract namespace
    if value.startswith("/"):
        return value
    log.debug("NOTIFY_SOCKET %r is not a Unix socket; not notifying", value)
    return None


def _watchdog_seconds(usec: str | None, pid: str | None) -> float | None:
    if not usec:
        return None
    if pid and pid != str(os.getpid()):
        return None  # the watchdog is meant for another process of the service
    try:
        value = int(usec)
    except ValueError:
        log.debug("ignoring WATCHDOG_USEC=%r", usec)
        return None
    return value / 1e6 if value > 0 else None
