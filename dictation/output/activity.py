"""Did anyone but dictation touch the window since it typed there? The typing sink takes text
back (a fragment's period, "scratch that", undo) only over what it typed itself, and only when
nobody pressed a key, clicked, or moved the focus since. This module: the shared counting,
and X11's watcher; Sway's is in swayactivity.py.

Keys and clicks: XI2 raw events from ``xinput test-xi2 --root`` (Debian package xinput), which
the X server sends whatever window has the focus and whatever grabs a key. Each press is
attributed by its source device and by counting:

- from a real keyboard or mouse: a key that changes no text does not count (modifiers,
  function keys, Pause, Scroll Lock, Print, media keys: what hotkeys and ``dictation ctl``
  bindings use); any other key, and any mouse button but the wheel, is the user's;
- from XTEST, the device xdotool presses through (so do other programs, remote desktops
  among them): each typing of dictation's says how many text keys it presses, one per
  character and one per BackSpace (measured: xdotool presses exactly that many, plus
  modifiers); a text key beyond those is someone else's, and so is a shortfall once the
  typing had time to settle.

Every doubt counts as the user's: the watcher not running, its reader falling behind, keys
missing. Focus: ``xdotool getwindowfocus`` when a piece is typed and again before it is
changed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping

from dictation.env import child_env
from dictation.output.xkeymap import KeySyms, parse_keymap

log = logging.getLogger("dictation")

SETTLE_S = 0.5
"""After xdotool exits, how long its key events may take to reach the watcher (they take
milliseconds); a count still short then is a doubt."""
WHEEL = frozenset({4, 5, 6, 7})  # scrolling moves no cursor
_RAW_KEY_PRESS, _RAW_BUTTON_PRESS = 13, 15
_XTEST = re.compile(r"XTEST (?:keyboard|pointer)\s+id=(\d+)")


def changes_no_text(sym: int) -> bool:
    """Keysyms of keys that type nothing and move no cursor."""
    return (0xFFE1 <= sym <= 0xFFEE  # Shift, Control, Caps Lock, Meta, Alt, Super, Hyper
            or 0xFE01 <= sym <= 0xFE13  # ISO level and group shifts (AltGr)
            or sym in (0xFF7E, 0xFF7F, 0xFF13, 0xFF14, 0xFF15, 0xFF61, 0xFF6B)  # Mode_switch,
            # Num Lock, Pause, Scroll Lock, Sys Req, Print, Break
            or 0xFFBE <= sym <= 0xFFE0  # F1-F35
            or 0x1008FE00 <= sym <= 0x1008FFFF  # XF86: media, launch and VT switch keys
            or 0x1005FF00 <= sym <= 0x1005FFFF)  # Sun function keys


class Watcher:
    """What every activity watcher shares: :attr:`epoch` grows with every key, click or input
    that is not dictation's; a piece typed at one epoch may be changed while the epoch is the
    same. Dictation's own input is counted in units (X11: text keys; Sway: keyboards, one
    per run of the typing tool), and a shortfall once the typing settled is a doubt."""

    per_run = False
    """Does one run of the typing tool count as one unit, whatever it presses?"""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.epoch = 0
        self._expected = 0  # units of dictation's still to come
        self._typing = 0
        self._settled_at = 0.0  # when the last typing of ours ended

    @property
    def alive(self) -> bool:
        raise NotImplementedError

    def keymap(self, keymap: Mapping[int, KeySyms]) -> None:
        """The keyboard's layout, where the watcher reads one (X11)."""

    def load_keymap(self) -> None:
        """Read the layout, where the watcher uses one (X11)."""

    @contextlib.contextmanager
    def typing(self, keys: int) -> Iterator[None]:
        """Around one run of the typing tool that presses ``keys`` text keys."""
        with self._lock:
            self._expected += 1 if self.per_run else keys
            self._typing += 1
        try:
            yield
        finally:
            with self._lock:
                self._typing -= 1
                self._settled_at = time.monotonic()

    async def settled(self) -> int:
        """The epoch once dictation's last input has all been seen (or SETTLE_S after it
        typed: a shortfall then is a doubt, and moves the epoch)."""
        while True:
            with self._lock:
                waited = time.monotonic() - self._settled_at
                if self._typing == 0 and (self._expected == 0 or waited >= SETTLE_S):
                    if self._expected:
                        self._bump(f"{self._expected} input(s) of dictation's unseen")
                        self._expected = 0
                    return self.epoch if self.alive else -1
            await asyncio.sleep(0.02)

    def wait_seen(self, timeout: float) -> bool:
        """Block until all of dictation's input has been seen (at start, before the loop
        runs); False after ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                if self._expected == 0:
                    return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)

    def _ours(self) -> bool:
        """With the lock held: one unit of dictation's was seen (False: it was not ours)."""
        if self._expected > 0:
            self._expected -= 1
            return True
        return False

    def _bump(self, what: str) -> None:
        self.epoch += 1
        log.debug("typing: %s; what was typed before stays as it is", what)

    async def focus(self, tool: str) -> str | None:
        """The focused window, or None when it cannot be told."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class Activity(Watcher):
    """The user-activity watcher of one X display."""

    def __init__(self, env: Mapping[str, str]) -> None:
        """Raises OSError when xinput cannot run."""
        super().__init__()
        path = shutil.which("xinput", path=env.get("PATH"))
        if path is None:
            raise FileNotFoundError("xinput")
        self._env = child_env(env, LC_ALL="C.UTF-8")  # as the typing tool's (keytools)
        listing = subprocess.run([path, "list"], capture_output=True, text=True,
                                 env=self._env, timeout=5, check=True).stdout
        self._xtest = {int(i) for i in _XTEST.findall(listing)}
        self._quiet: frozenset[int] = frozenset()  # keycodes that change no text
        self._proc = subprocess.Popen([path, "test-xi2", "--root"], stdout=subprocess.PIPE,
                                      stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                                      env=self._env, text=True, errors="replace")
        self._reader = threading.Thread(target=self._read, name="xinput", daemon=True)
        self._reader.start()

    @property
    def alive(self) -> bool:
        return self._proc.poll() is None

    def keymap(self, keymap: Mapping[int, KeySyms]) -> None:
        """The keyboard's layout (``xmodmap -pk``): which keys change no text."""
        quiet = frozenset(code for code, syms in keymap.items()
                          if syms and all(changes_no_text(s) for s in syms))
        with self._lock:
            self._quiet = quiet

    def load_keymap(self) -> None:
        """Read the layout with xmodmap, if it is installed (else every key counts)."""
        path = shutil.which("xmodmap", path=self._env.get("PATH"))
        if path is None:
            return
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run([path, "-pk"], capture_output=True, text=True, timeout=5,
                                 env=self._env, check=True).stdout
            self.keymap(parse_keymap(out))

    # --- the reader thread -----------------------------------------------------------------

    def _read(self) -> None:
        kind = source = 0
        assert self._proc.stdout is not None
        for line in self._proc.stdout:  # "EVENT type 13 (RawKeyPress)", "device: 3 (5)", …
            line = line.strip()
            if line.startswith("EVENT type "):
                kind = int(line.split()[2]) if line.split()[2].isdigit() else 0
            elif line.startswith("device:"):
                source = int(line.rpartition("(")[2].rstrip(")") or 0)
            elif line.startswith("detail:") and kind in (_RAW_KEY_PRESS, _RAW_BUTTON_PRESS):
                detail = int(line.split()[1])
                with self._lock:
                    self._press(kind, source, detail)
                kind = 0
        with self._lock:  # xinput ended: nothing is known any more
            self._bump("the watcher ended")

    def _press(self, kind: int, source: int, detail: int) -> None:
        if kind == _RAW_BUTTON_PRESS:
            if detail not in WHEEL:
                self._bump(f"mouse button {detail}")
        elif detail in self._quiet:
            return
        elif source in self._xtest and self._ours():
            pass  # one of dictation's
        else:
            self._bump(f"key {detail}")

    async def focus(self, xdotool: str) -> str | None:
        out = await answer([xdotool, "getwindowfocus"], self._env)
        return (out.strip() or None) if out is not None else None

    def close(self) -> None:
        self._proc.kill()
        self._proc.wait()
        self._reader.join(5)


async def answer(argv: list[str], env: Mapping[str, str]) -> str | None:
    """What ``argv`` prints, or None when it fails or takes over 5 s."""
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    except OSError:
        return None
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), 5)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        return None
    return out.decode(errors="replace") if proc.returncode == 0 else None
