"""A virtual keyboard of dictation's, kept on the Wayland seat while it types there.

wtype makes a new virtual keyboard for each run and removes it at the end. On a seat with no
other keyboard (a headless or remote session, a tablet), the seat then gains the keyboard
capability at each run and loses it after: every application drops its keyboard and binds a
new one, and the keys that reach the compositor before the application bound it are lost.
That was the first character after a paragraph break ("he one from the lake"): each piece is
a run of its own. An idle wtype (``wtype -s``: a keyboard, no keys) held for the session
keeps the capability steady, so no key of a run is ever sent to a keyboard not yet bound.
It is started with the typing sink, an utterance before the first piece is typed; on Sway
the watcher also waits until the compositor has it (keystrokes.py).
"""

from __future__ import annotations

import ctypes
import logging
import signal
import subprocess
from collections.abc import Mapping

log = logging.getLogger("dictation")

HOLD_MS = 3_600_000  # one sleep of wtype's; it multiplies by 1000 into 32 bits
HOLD_SLEEPS = 24  # a day; then it is started again before the next typing
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child: end with dictation, even when dictation is killed."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class SeatKeyboard:
    """The idle wtype that holds a keyboard on the seat."""

    def __init__(self, wtype: str, env: Mapping[str, str]) -> None:
        self._argv = [wtype, *(a for _ in range(HOLD_SLEEPS) for a in ("-s", str(HOLD_MS)))]
        self._env = dict(env)
        self._proc: subprocess.Popen[bytes] | None = None

    def hold(self) -> bool:
        """Start it unless it runs; True when it was started."""
        if self._proc is not None and self._proc.poll() is None:
            return False
        try:
            self._proc = subprocess.Popen(
                self._argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, env=self._env, preexec_fn=_die_with_parent)
        except OSError as err:  # typing still works; a first key may be lost
            log.warning("wtype could not keep a keyboard on the seat: %s", err)
            return False
        return True

    def close(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
