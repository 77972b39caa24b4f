"""The command lines of the typing tools (pure): typing a text, pressing BackSpace, pressing
a key chord such as ctrl+shift+v."""

from __future__ import annotations

from dataclasses import dataclass

from dictation.errors import ConfigError

MODIFIERS = ("ctrl", "shift", "alt", "super")
_ALIASES = {"control": "ctrl", "meta": "super", "win": "super", "logo": "super"}
# Linux input event codes (linux/input-event-codes.h): ydotool 1.x presses keys by code.
_EVDEV = {"ctrl": 29, "shift": 42, "alt": 56, "super": 125, "insert": 110,
          **{ch: code for row, first in (("1234567890", 2), ("qwertyuiop", 16),
                                         ("asdfghjkl", 30), ("zxcvbnm", 44))
             for code, ch in enumerate(row, first)}}

@dataclass(frozen=True)
class Chord:
    mods: tuple[str, ...]
    key: str  # a letter, a digit or "insert"


def parse_chord(spec: str) -> Chord:
    """``ctrl+shift+v`` → Chord; ConfigError for anything else."""
    *mods, key = (_ALIASES.get(p, p) for p in spec.strip().lower().split("+"))
    if (any(m not in MODIFIERS for m in mods) or len(set(mods)) < len(mods)
            or not (key == "insert" or (len(key) == 1 and key in _EVDEV))):
        raise ConfigError(f"--paste-keys: cannot read '{spec}': give modifiers "
                          f"({', '.join(MODIFIERS)}) and one letter, digit or insert, joined "
                          "by +, e.g. ctrl+shift+v")
    return Chord(tuple(mods), key)


def type_argv(tool: str, delay_ms: int, *, ydotool_v1: bool = True) -> list[str]:
    """The command that types its standard input."""
    if tool == "xdotool":
        return ["xdotool", "type", "--clearmodifiers", "--delay", str(delay_ms), "--file", "-"]
    if tool == "wtype":
        return ["wtype", "-d", str(delay_ms), "-"] if delay_ms > 0 else ["wtype", "-"]
    if ydotool_v1:
        return ["ydotool", "type", "--key-delay", str(delay_ms), "--file", "-"]
    return ["ydotool", "type", "--delay", "0", "--key-delay", str(delay_ms), "--file", "-"]


def backspace_argv(tool: str, count: int, delay_ms: int) -> list[str]:
    """The command that presses BackSpace ``count`` times."""
    if tool == "wtype":
        return ["wtype", *(["-d", str(delay_ms)] if delay_ms > 0 else []),
                *(a for _ in range(count) for a in ("-k", "BackSpace"))]
    return ["xdotool", "key", "--clearmodifiers", "--delay", str(delay_ms),
            *["BackSpace"] * count]


def chord_argv(tool: str, chord: Chord, *, ydotool_v1: bool = True) -> list[str]:
    """The command that presses ``chord``."""
    key = "Insert" if chord.key == "insert" else chord.key
    if tool == "xdotool":
        return ["xdotool", "key", "--clearmodifiers", "+".join((*chord.mods, key))]
    if tool == "wtype":
        mods = ["logo" if m == "super" else m for m in chord.mods]
        return ["wtype", *(a for m in mods for a in ("-M", m)), "-k", key,
                *(a for m in reversed(mods) for a in ("-m", m))]
    if not ydotool_v1:
        return ["ydotool", "key", "--delay", "0", "+".join((*chord.mods, chord.key))]
    codes = [_EVDEV[k] for k in (*chord.mods, chord.key)]
    return ["ydotool", "key", *(f"{c}:1" for c in codes), *(f"{c}:0" for c in reversed(codes))]
