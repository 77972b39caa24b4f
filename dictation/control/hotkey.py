"""The built-in hotkey: a key on any keyboard, read from /dev/input with evdev.

Reading the kernel's input devices works the same under X11, Wayland and a bare console,
where desktop shortcuts cannot report a key's release. The key is not grabbed: other
applications still see it, so pick one that does nothing there (Pause, Scroll Lock, F9…).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dictation.errors import ConfigError

log = logging.getLogger("dictation")

RESCAN_S = 3.0  # how often to look for keyboards plugged in later
KEY_UP, KEY_DOWN, KEY_REPEAT = 0, 1, 2

INPUT_GROUP_HINT = ("add your user to the input group (sudo usermod -aG input $USER, then log "
                    "out and in), or bind `dictation ctl press` and `dictation ctl release` "
                    "to a key in your desktop instead")


def _evdev() -> Any:
    try:
        import evdev
    except ImportError:
        raise ConfigError("--hotkey needs the evdev package: pip install 'dictation[hotkey]'"
                          ) from None
    return evdev


def key_code(name: str) -> int:
    """``F9``, ``f9``, ``KEY_F9``, ``rightctrl`` or a numeric code → the evdev key code."""
    codes = _evdev().ecodes.ecodes
    if name.isdigit():
        return int(name)
    upper = name.strip().upper().replace("-", "_")
    for candidate in (upper, f"KEY_{upper}", f"BTN_{upper}"):
        code = codes.get(candidate)
        if isinstance(code, int) and candidate.startswith(("KEY_", "BTN_")):
            return code
    raise ConfigError(f"--hotkey: unknown key '{name}' (use a name like F9, pause, rightctrl "
                      "or KEY_SCROLLLOCK)")


def command_for(mode: str, value: int) -> str | None:
    """What a key event means: hold-to-talk in push-to-talk mode, a tap toggles otherwise.
    Auto-repeat of a held key means nothing."""
    if mode == "push-to-talk":
        return {KEY_DOWN: "press", KEY_UP: "release"}.get(value)
    return "toggle" if value == KEY_DOWN else None


class Hotkey:
    """Calls ``send(command)`` for the key on every keyboard that has it, hot-plug included."""

    def __init__(self, key: str, mode: str, send: Callable[[str], object],
                 input_dir: Path = Path("/dev/input")) -> None:
        self.name = key
        self.code = key_code(key)
        self.mode = mode
        self._send = send
        self._dir = input_dir
        self._reading: dict[str, asyncio.Task[None]] = {}
        self._pending: list[Any] = []  # found by the last scan, not yet read

    def open(self) -> int:
        """Find the keyboards now; a setup that can never work is one clear error."""
        found, denied = self._scan()
        if not found:
            if denied:
                raise ConfigError(f"--hotkey: cannot read the keyboards in {self._dir} "
                                  f"(permission denied): {INPUT_GROUP_HINT}")
            raise ConfigError(f"--hotkey: no keyboard with the {self.name} key in {self._dir}")
        return len(found)

    def _scan(self) -> tuple[list[Any], int]:
        evdev = _evdev()
        found, denied = [], 0
        try:
            paths = sorted(p for p in self._dir.iterdir() if p.name.startswith("event"))
        except PermissionError:
            paths, denied = [], 1
        except OSError:
            paths = []
        for path in paths:
            if str(path) in self._reading:
                continue
            try:
                dev = evdev.InputDevice(str(path))
            except PermissionError:
                denied += 1
                continue
            except OSError:
                continue  # not an input device, or it went away
            if self.code in dev.capabilities().get(evdev.ecodes.EV_KEY, []):
                found.append(dev)
            else:
                dev.close()
        self._pending = found
        return found, denied

    async def run(self) -> None:
        """Read until cancelled; keyboards that appear later are picked up too."""
        while True:
            for dev in self._pending:
                log.debug("hotkey %s on %s (%s)", self.name, dev.path, dev.name)
                self._reading[dev.path] = asyncio.create_task(self._read(dev))
            self._pending = []
            await asyncio.sleep(RESCAN_S)
            self._scan()

    async def _read(self, dev: Any) -> None:
        evdev = _evdev()
        try:
            async for ev in dev.async_read_loop():
                if ev.type == evdev.ecodes.EV_KEY and ev.code == self.code:
                    command = command_for(self.mode, ev.value)
                    if command:
                        try:
                            self._send(command)
                        except ValueError as err:
                            log.warning("hotkey: %s", err)
        except OSError as err:
            if err.errno != errno.ENODEV:
                log.warning("hotkey: stopped reading %s: %s", dev.path, err.strerror or err)
        finally:
            self._reading.pop(dev.path, None)
            with contextlib.suppress(OSError):
                dev.close()

    def close(self) -> None:
        for task in self._reading.values():
            task.cancel()
