"""An output by name: stdout, the clipboard, or typing and pasting with the tool the session
needs, each checked as it is made (a missing tool, session or daemon is one line at start)."""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
from collections.abc import Mapping
from typing import TYPE_CHECKING

from dictation.output.activity import SETTLE_S, Activity, Watcher
from dictation.output.keystrokes import TypeSink
from dictation.output.keytools import KeyTool, TyperConfig, parse_chord
from dictation.output.paste import PasteSink
from dictation.output.sinks import ClipboardSink, StdoutSink
from dictation.output.swayactivity import CannotWatch, SwayActivity

if TYPE_CHECKING:
    from dictation.output.sinks import Sink

log = logging.getLogger("dictation")


def make_sink(name: str, clipboard_mode: str, typer: TyperConfig) -> Sink:
    """An output by name (one of OUTPUTS)."""
    if name == "stdout":
        return StdoutSink()
    if name == "clipboard":
        return ClipboardSink(clipboard_mode)
    return typing_sink(name, typer, os.environ)


def typing_sink(output: str, cfg: TyperConfig, env: Mapping[str, str]) -> TypeSink | PasteSink:
    """The sink for ``--output type`` or ``--output paste``. Raises SinkError at once when its
    tool, session or daemon is missing."""
    tool = KeyTool(cfg, env)
    if output == "paste":
        if cfg.live:
            log.warning("--live on has no effect with --output paste: a paste cannot be "
                        "taken back, so each sentence is pasted once it is final")
        _hold_seat(tool, None)
        return PasteSink(tool, parse_chord(cfg.paste_keys))
    activity = _watcher(tool, env)
    _hold_seat(tool, activity)
    return TypeSink(tool, activity, cfg.live)


def _hold_seat(tool: KeyTool, activity: Watcher | None) -> None:
    """wtype: a keyboard of dictation's stays on the seat (output/seat.py); the watcher
    counts it as dictation's."""
    if tool.seat is not None:
        with activity.typing(1) if activity else contextlib.nullcontext():
            tool.seat.hold()
        if activity:  # Sway tells when it is there: the first piece waits for nothing then
            activity.wait_seen(SETTLE_S)


def _watcher(tool: KeyTool, env: Mapping[str, str]) -> Watcher | None:
    """The activity watcher: xinput for xdotool, Sway's IPC for wtype; None (final text
    only, said in one line) where there can be none."""
    if tool.name != "xdotool":
        return _wayland_watcher(tool, env)
    try:
        activity = Activity(env)
    except (OSError, subprocess.SubprocessError):
        log.warning("xinput cannot run (Debian package xinput): typing waits until each "
                    "sentence is final instead of correcting it as it goes")
        return None
    activity.load_keymap()
    tool.on_keymap = activity.keymap
    return activity


def _wayland_watcher(tool: KeyTool, env: Mapping[str, str]) -> Watcher | None:
    why = ("ydotool types through the kernel, where no program can tell its keys from the "
           "user's (wtype on Sway can)" if tool.name == "ydotool" else "")
    if tool.name == "wtype":
        try:
            return SwayActivity(env)
        except CannotWatch as err:
            why = str(err)
    log.warning("typing with %s waits for each sentence to be final and never takes text "
                "back (scratch that, undo): %s", tool.name, why)
    return None
