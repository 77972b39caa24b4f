"""The keys and clicks of the machine's own input devices, read from /dev/input (evdev), for
the Sway watcher (swayactivity.py): Wayland shows no program another's keys, but the kernel
shows them to whoever may read its input devices (the input group). wtype's keys never pass
through the kernel, so every key read here that changes text, and every click or touch, is
someone else's. Any device that cannot be read means the watcher cannot know.
"""

from __future__ import annotations

import contextlib
import os
import select
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

INPUT_DIR = Path("/dev/input")
FIX = "add yourself to the input group (sudo usermod -aG input $USER, then log out and in)"

_QUIET = frozenset({
    29, 42, 54, 56, 58, 97, 100, 125, 126,  # ctrl, shift, alt, caps lock, meta (left, right)
    69, 70, 99, 119, 464,  # num lock, scroll lock, sysrq, pause, fn
    *range(59, 69), 87, 88, *range(183, 195),  # F1-F24
    *range(113, 121), *range(140, 184), *range(200, 256),  # media, launch, power keys
})
_BUTTONS = range(0x100, 0x300)  # BTN_*: mouse, touch, stylus, joystick
_TOOLS = frozenset(range(0x140, 0x150)) - {0x14A}  # BTN_TOOL_*: a tool near, not a touch


class Unreadable(Exception):
    """Why the devices cannot be read (one line, with the fix)."""


def counts(code: int) -> bool:
    """Does a press of evdev key ``code`` count as the user's (changes text, clicks)?"""
    if code in _BUTTONS:
        return code not in _TOOLS
    return code not in _QUIET


class EvdevKeys:
    """Reads every input device with keys or buttons; ``bump(what)`` for each press that
    counts, and once when reading stops."""

    def __init__(self, bump: Callable[[str], None], input_dir: Path = INPUT_DIR) -> None:
        try:
            import evdev
        except ImportError:
            raise Unreadable("reading the keyboard needs the evdev package: pip install "
                             "'dictation[hotkey]'") from None
        self._evdev = evdev
        self._bump = bump
        self._devices = self._open(input_dir)
        self._wake_r, self._wake_w = os.pipe()
        self._thread = threading.Thread(target=self._read, name="evdev", daemon=True)
        self._thread.start()

    def _open(self, input_dir: Path) -> list[Any]:
        try:
            paths = sorted(p for p in input_dir.iterdir() if p.name.startswith("event"))
        except OSError as err:
            raise Unreadable(f"cannot list {input_dir}: {err.strerror or err}") from None
        devices = []
        for path in paths:
            try:
                dev = self._evdev.InputDevice(str(path))
            except PermissionError:
                for d in devices:
                    d.close()
                raise Unreadable(f"cannot read {path}: {FIX}") from None
            except OSError:
                continue  # gone meanwhile
            if self._evdev.ecodes.EV_KEY in dev.capabilities():
                devices.append(dev)
            else:
                dev.close()
        if not devices:
            raise Unreadable(f"no input device in {input_dir} can be read: {FIX}")
        return devices

    def _read(self) -> None:
        by_fd = {dev.fd: dev for dev in self._devices}
        try:
            while by_fd:
                ready, _, _ = select.select([*by_fd, self._wake_r], [], [])
                if self._wake_r in ready:
                    return
                for fd in ready:
                    try:
                        events = list(by_fd[fd].read())
                    except OSError:  # unplugged: its keys can no longer be seen
                        del by_fd[fd]
                        self._bump("an input device went away")
                        continue
                    for ev in events:
                        if ev.type == self._evdev.ecodes.EV_KEY and ev.value == 1 \
                                and counts(ev.code):
                            self._bump(f"key {ev.code} on {by_fd[fd].name}")
        finally:
            self._bump("the evdev reader ended")

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def close(self) -> None:
        os.write(self._wake_w, b"x")
        self._thread.join(5)
        for dev in self._devices:
            with contextlib.suppress(OSError):
                dev.close()
        os.close(self._wake_r)
        os.close(self._wake_w)
