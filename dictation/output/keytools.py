"""The tools that press keys in the focused window: wtype (Wayland), xdotool (X11) and
ydotool (anywhere, through the kernel's uinput and its daemon); which one a session needs,
how each runs (its command lines are in keycommands.py), and the checks at start.

Every tool reads the text on stdin, never from argv: other users cannot read it in ps, a
leading "-" can never be taken for an option, and ydotool 1.x would interpret backslash
escapes in arguments (a dictated "\\n" would press Enter).
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dictation.env import child_env
from dictation.errors import SinkError
from dictation.output.keycommands import (
    Chord,
    backspace_argv,
    chord_argv,
    parse_chord,
    type_argv,
)
from dictation.output.seat import SeatKeyboard
from dictation.output.xkeymap import KeySyms, SpareKeys, parse_keymap
from dictation.output.ydotool import (
    check_daemon,
    check_owner,
    ydotool_is_v1,
    ydotool_socket,
    ydotool_text,
)
from dictation.text.sanitize import sanitize

if TYPE_CHECKING:
    from dictation.records import Transcribed

log = logging.getLogger("dictation")
__all__ = ["Chord", "KeyTool", "TyperConfig", "chord_argv", "parse_chord", "safe", "type_argv"]

TYPERS = ("auto", "wtype", "xdotool", "ydotool")
PACKAGES = {"wtype": "wtype", "xdotool": "xdotool", "ydotool": "ydotool",
            "xmodmap": "x11-xserver-utils"}
CHECK_TIMEOUT_S = 5.0
TOOL_TIMEOUT_S = 5.0  # a key chord, or the fixed part of typing a text
KEYMAP_IDLE_S = 5.0  # spare keys stay bound this long after typing, for the next utterance
KEYMAP_GRACE_S = 0.3  # at exit: time for the application to look up the last keys


@dataclass(frozen=True)
class TyperConfig:
    """How ``--output type`` and ``--output paste`` reach the focused window."""

    tool: str = "auto"
    """wtype, xdotool or ydotool; auto: chosen from the session (detect_typer)."""
    delay_ms: int = 4
    """Between keystrokes. Under Xvfb, xdotool typed ten 167-character lines with accents and
    curly quotes into a Tk window without a fault at every delay from 0 to 12 ms; 4 (3 ms a
    character) leaves slower applications room. xdotool's own default is 12."""
    paste_keys: str = "ctrl+v"
    """What ``--output paste`` presses, e.g. ctrl+shift+v for terminals."""
    live: bool | None = None
    """Type the words interims agreed on during speech (``--live``); None: where typing can
    correct them."""


def detect_typer(env: Mapping[str, str]) -> str:
    """wtype on Wayland, except on GNOME and KDE, whose compositors lack the virtual-keyboard
    protocol wtype needs: ydotool there. xdotool on X11; ydotool anywhere else (a console)."""
    session = env.get("XDG_SESSION_TYPE", "").lower()
    if session == "x11":
        return "xdotool"
    if env.get("WAYLAND_DISPLAY") or session == "wayland":
        desktops = {d.strip().upper() for d in env.get("XDG_CURRENT_DESKTOP", "").split(":")}
        return "ydotool" if desktops & {"GNOME", "KDE"} else "wtype"
    return "xdotool" if env.get("DISPLAY") else "ydotool"


def _first_line(raw: bytes) -> str:
    return next((s for line in raw.decode(errors="replace").splitlines()
                 if (s := sanitize(line))), "")


class KeyTool:
    """wtype, xdotool or ydotool, checked at start: it is installed, and the session or daemon
    it needs is there. It runs as an asyncio subprocess with a timeout."""

    def __init__(self, cfg: TyperConfig, env: Mapping[str, str]) -> None:
        self.name = detect_typer(env) if cfg.tool == "auto" else cfg.tool
        self.delay_ms = cfg.delay_ms
        # wtype and xdotool decode their input by the locale; under C, "é" would not type.
        self._env = child_env(env, LC_ALL="C.UTF-8")
        self._path = self._which(self.name, env, auto=cfg.tool == "auto")
        self._ydotool_v1 = True
        self._ydotool_path = ""
        self._xmodmap: str | None = None
        self._spare = SpareKeys()
        self._idle: asyncio.Task[None] | None = None
        self.on_keymap: Callable[[dict[int, KeySyms]], None] = lambda keymap: None
        """Told the layout whenever it is read (the activity watcher's quiet keys)."""
        {"xdotool": self._check_x11, "wtype": self._check_wayland,
         "ydotool": self._check_ydotool}[self.name](env)
        self.seat = SeatKeyboard(self._path, self._env) if self.name == "wtype" else None

    @staticmethod
    def _which(tool: str, env: Mapping[str, str], auto: bool = False) -> str:
        path = shutil.which(tool, path=env.get("PATH", os.defpath))
        if path is None:
            why = " (chosen for this session; --typer picks another)" if auto else ""
            raise SinkError(f"{tool} is not installed: install the Debian package "
                            f"{PACKAGES[tool]}{why}")
        return path

    def _probe(self, argv: list[str], failure: str) -> None:
        try:
            done = subprocess.run(argv, capture_output=True, env=self._env, check=False,
                                  timeout=CHECK_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise SinkError(f"{failure}: no answer in {CHECK_TIMEOUT_S:.0f} s") from None
        if done.returncode:
            raise SinkError(f"{failure}: {_first_line(done.stderr) or done.returncode}")

    def _check_x11(self, env: Mapping[str, str]) -> None:
        display = env.get("DISPLAY")
        if not display:
            raise SinkError("xdotool types on X11, but DISPLAY is not set (no X session?)")
        self._probe([self._path, "getdisplaygeometry"],
                    f"xdotool cannot reach the X display {display}")
        try:
            self._xmodmap = self._which("xmodmap", env)
        except SinkError as err:
            log.warning("%s; without it, characters the keyboard lacks (such as é or “) may "
                        "be typed wrong", err)

    def _check_wayland(self, env: Mapping[str, str]) -> None:
        if not env.get("WAYLAND_DISPLAY"):
            raise SinkError("wtype types on Wayland, but WAYLAND_DISPLAY is not set "
                            "(no Wayland session?)")
        # Connects and creates a virtual keyboard, then sleeps 1 ms: fails where it cannot type.
        self._probe([self._path, "-s", "1"], "wtype cannot type here (GNOME and KDE lack the "
                    "virtual-keyboard protocol it needs: use --typer ydotool)")

    def _check_ydotool(self, env: Mapping[str, str]) -> None:
        try:
            done = subprocess.run([self._path, "help"], capture_output=True, text=True,
                                  env=self._env, check=False, timeout=CHECK_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise SinkError("ydotool did not answer 'ydotool help'") from None
        self._ydotool_v1 = v1 = ydotool_is_v1(done.stdout + done.stderr)
        self._ydotool_path = ydotool_socket(env, v1=v1)
        check_daemon(self._ydotool_path, v1=v1)

    async def _run(self, argv: list[str], data: bytes = b"",
                   timeout: float = TOOL_TIMEOUT_S) -> str:
        name = os.path.basename(argv[0])
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                env=self._env)
        except OSError as err:
            raise SinkError(f"{name} could not run: {err.strerror or err}") from None
        try:
            out, err = await asyncio.wait_for(proc.communicate(data), timeout)
        except TimeoutError:
            raise SinkError(f"{name} did not finish in {timeout:.0f} s") from None
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        if proc.returncode:
            raise SinkError(f"{name} failed: {_first_line(err) or proc.returncode}")
        return out.decode(errors="replace")

    async def type(self, text: str) -> None:
        if self.name == "ydotool":
            text = ydotool_text(text)
            check_owner(self._ydotool_path)  # it may have been replaced since the start
        argv = type_argv(self.name, self.delay_ms, ydotool_v1=self._ydotool_v1)
        if self.seat:
            self.seat.hold()
        await self._bind_keys(text)
        try:
            await self._run([self._path, *argv[1:]], text.encode(),
                            TOOL_TIMEOUT_S + len(text) * (self.delay_ms + 20) / 1000)
        finally:
            self._release_later()

    async def backspace(self, count: int) -> None:
        """Press BackSpace ``count`` times (xdotool and wtype: what can take text back)."""
        if self.seat:
            self.seat.hold()
        await self._run([self._path, *backspace_argv(self.name, count, self.delay_ms)[1:]],
                        timeout=TOOL_TIMEOUT_S + count * (self.delay_ms + 20) / 1000)

    @property
    def path(self) -> str:
        return self._path

    async def press(self, chord: Chord) -> None:
        if self.name == "ydotool":
            check_owner(self._ydotool_path)
        argv = chord_argv(self.name, chord, ydotool_v1=self._ydotool_v1)
        if self.seat:
            self.seat.hold()
        await self._bind_keys(chord.key if len(chord.key) == 1 else "")
        try:
            await self._run([self._path, *argv[1:]])
        finally:
            self._release_later()

    async def _bind_keys(self, text: str) -> None:
        """xdotool: put the characters of ``text`` the keyboard lacks on spare keys."""
        if not self._xmodmap:
            return
        if self._idle:
            self._idle.cancel()
            await asyncio.wait([self._idle])
            self._idle = None
        keymap = parse_keymap(await self._run([self._xmodmap, "-pk"]))
        self.on_keymap(keymap)
        if args := self._spare.bind(keymap, text):
            await self._run([self._xmodmap, *args])

    def _release_later(self) -> None:
        if self._spare.ours:
            self._idle = asyncio.create_task(self._release(KEYMAP_IDLE_S))

    async def _release(self, after_s: float) -> None:
        await asyncio.sleep(after_s)
        xmodmap = self._xmodmap or "xmodmap"  # set whenever keys are bound
        try:
            keymap = parse_keymap(await self._run([xmodmap, "-pk"]))
            if args := self._spare.unbind(keymap):
                await self._run([xmodmap, *args])
        except SinkError as err:
            log.debug("could not free the spare keys: %s", err)

    async def aclose(self) -> None:
        """Free the spare keys once the application has read the last keystrokes."""
        if self.seat:
            self.seat.close()
        if self._idle:
            self._idle.cancel()
            await asyncio.wait([self._idle])
            self._idle = None
        if self._spare.ours:
            await self._release(KEYMAP_GRACE_S)


def safe(item: Transcribed) -> str:
    """The piece as keys: sinks trust no input, so no control keys and no escape sequences,
    but the line breaks said as commands stay (each line is sanitised on its own)."""
    body = "\n".join(sanitize(line) for line in item.text.split("\n"))
    # "New paragraph." said alone is a piece of line breaks only: it is typed too.
    return item.lead + body if body.strip(" ") else ""
