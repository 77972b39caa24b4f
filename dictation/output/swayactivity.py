"""Did anyone but dictation type or move the focus on a Sway desktop since it typed there?

Wayland shows no program another's keys, but Sway's IPC reports every keyboard that uploads a
keymap (an ``input`` event, ``xkb_keymap``) and every change of focus. A virtual keyboard
must upload its keymap before its first key, and wtype makes a new one for each run, so:

- a keymap uploaded while a run of dictation's typing tool is expected is dictation's (one
  per run); any other one is someone else's (another wtype, an on-screen keyboard, a remote
  desktop), and so is a device added;
- every focus change is the user's: dictation never moves the focus.

What no IPC reports are the keys and clicks of a device the seat already has. A physical
keyboard or mouse: the kernel shows its keys to whoever may read /dev/input (evdevkeys.py),
and each one that changes text, each click, is the user's. A virtual keyboard another program
keeps (an on-screen keyboard), or a device that cannot be read: the watcher cannot know, and
says why (:class:`CannotWatch`); typing then waits for final text. So does a device plugged
in while it runs: it stops every later correction.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any

from dictation.env import child_env
from dictation.output.activity import Watcher, answer
from dictation.output.evdevkeys import EvdevKeys, Unreadable

log = logging.getLogger("dictation")

VIRTUAL = "0:0:virtual_keyboard"  # how Sway names every virtual keyboard
PROBE_GONE_S = 2.0
"""How long the virtual keyboard of wtype's start-up check may take to leave the seat."""


class CannotWatch(Exception):
    """Why the watcher cannot know that only dictation typed (one line)."""


class SwayActivity(Watcher):
    """The activity watcher of one Sway session, through its IPC socket (SWAYSOCK)."""

    per_run = True

    def __init__(self, env: Mapping[str, str]) -> None:
        super().__init__()
        path = shutil.which("swaymsg", path=env.get("PATH"))
        if path is None:
            raise CannotWatch("swaymsg is not installed (Debian package sway)")
        if not env.get("SWAYSOCK"):
            raise CannotWatch("only Sway's IPC tells dictation's keyboard from others', and "
                              "SWAYSOCK is not set (not a Sway session?)")
        self._env = child_env(env)
        self._msg = [path, "-s", env["SWAYSOCK"]]
        self._keys: EvdevKeys | None = None
        self._blind = False  # a device came that nothing reads
        self._proc = subprocess.Popen(
            [*self._msg, "-r", "-m", "-t", "subscribe", '["input","window"]'],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
            env=self._env, text=True, errors="replace")
        try:
            self._check_devices()
        except CannotWatch:
            self.close()
            raise
        self._reader = threading.Thread(target=self._read, name="swaymsg", daemon=True)
        self._reader.start()

    def _inputs(self) -> list[dict[str, Any]]:
        try:
            out = subprocess.run([*self._msg, "-r", "-t", "get_inputs"], capture_output=True,
                                 text=True, env=self._env, timeout=5, check=True).stdout
            return list(json.loads(out))
        except (OSError, subprocess.SubprocessError, ValueError) as err:
            raise CannotWatch(f"swaymsg cannot list the input devices: {err}") from None

    def _check_devices(self) -> None:
        """No device whose keys or clicks the watcher cannot see is on the seat."""
        deadline = time.monotonic() + PROBE_GONE_S
        while True:
            devices = self._inputs()
            names = sorted({d.get("name") or "?" for d in devices})
            virtual = any(d.get("identifier") == VIRTUAL for d in devices)
            if not virtual or time.monotonic() > deadline:
                break
            time.sleep(0.05)  # the start-up check's keyboard leaves within milliseconds
        if virtual:
            raise CannotWatch("another program keeps a virtual keyboard on the seat, whose "
                              "keys Sway shows no program")
        if devices:  # physical ones: the kernel shows their keys to the input group
            try:
                self._keys = EvdevKeys(self._seen)
            except Unreadable as err:
                raise CannotWatch(f"Sway shows no program the keys and clicks of "
                                  f"{', '.join(names)}; {err}") from None

    @property
    def alive(self) -> bool:
        keys = self._keys is None or self._keys.alive
        return self._proc.poll() is None and keys and not self._blind

    def _seen(self, what: str) -> None:
        with self._lock:
            self._bump(what)

    def _read(self) -> None:
        assert self._proc.stdout is not None
        for event in _events(self._proc.stdout):
            with self._lock:
                self._event(event)
        with self._lock:  # swaymsg ended: nothing is known any more
            self._bump("the watcher ended")

    def _event(self, event: dict[str, Any]) -> None:
        change, device = event.get("change"), event.get("input")
        if device is None:  # a window event
            if change == "focus":
                self._bump("the focus moved")
        elif change == "xkb_keymap" and device.get("identifier") == VIRTUAL:
            if not self._ours():
                self._bump("a virtual keyboard not dictation's")
        elif change == "added":  # a device plugged in: nothing reads its keys
            self._blind = True
            self._bump(f"input device added: {device.get('name')}")

    async def focus(self, tool: str) -> str | None:
        out = await answer([*self._msg, "-r", "-t", "get_tree"], self._env)
        try:
            tree = json.loads(out) if out is not None else None
        except ValueError:
            return None
        return _focused(tree) if isinstance(tree, dict) else None

    def close(self) -> None:
        self._proc.kill()
        self._proc.wait()
        if self._keys is not None:
            self._keys.close()
        if hasattr(self, "_reader"):
            self._reader.join(5)


def _events(stream: Any) -> Iterator[dict[str, Any]]:
    """The JSON objects ``swaymsg -m`` writes, one after another."""
    decoder, buf = json.JSONDecoder(), ""
    for line in stream:
        buf += line
        while (buf := buf.lstrip()):
            try:
                obj, end = decoder.raw_decode(buf)
            except ValueError:
                break  # the rest of the object is still to come
            buf = buf[end:]
            if isinstance(obj, dict):
                yield obj


def _focused(node: dict[str, Any]) -> str | None:
    """The id of the focused window in Sway's tree."""
    if node.get("focused") and node.get("type") in ("con", "floating_con"):
        return str(node.get("id"))
    for child in (*node.get("nodes", ()), *node.get("floating_nodes", ())):
        if isinstance(child, dict) and (found := _focused(child)):
            return found
    return None
