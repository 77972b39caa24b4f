"""Spare X keycodes for the characters a text needs that no key produces (pure; xmodmap runs
them, see dictation.output.keytools).

xdotool types such a character by remapping one scratch keycode for each keystroke and
reverting it at once. The application looks the key up when it reads the event, often after
the next remapping, so characters come out wrong or not at all: under Xvfb most typed lines
with accents or curly quotes lost some, even at xdotool's default 12 ms per key. xdotool
3.20160805 (Debian 12) also types capitals such as "Ü" in lower case. With every such
character bound to a spare keycode first (lower and upper case on one key, so Shift gives the
capital), xdotool finds them all in the map and nothing is remapped while keys are in flight.
"""

from __future__ import annotations

import re

KeySyms = tuple[int, ...]
UNICODE = 0x1000000  # keysym of a Unicode character beyond Latin-1: UNICODE + code point
_ROW = re.compile(r"^[ \t]*(\d+)[ \t]((?:[ \t]*0x[0-9a-fA-F]+ \([^)]*\))*)[ \t]*$", re.M)


def parse_keymap(listing: str) -> dict[int, KeySyms]:
    """Keycode → its keysyms (NoSymbol left out) from the output of ``xmodmap -pk``."""
    return {int(code): tuple(v for v in (int(h, 16) for h in re.findall(r"0x[0-9a-fA-F]+", syms))
                             if v)
            for code, syms in _ROW.findall(listing)}


def keysym(ch: str) -> int:
    o = ord(ch)
    return o if 0x20 <= o <= 0x7E or 0xA0 <= o <= 0xFF else UNICODE + o


def _key_for(ch: str) -> KeySyms:
    """What one spare key carries: a letter with its other case, the capital on Shift."""
    lower, upper = ch.lower(), ch.upper()
    if len(lower) == 1 and len(upper) == 1 and lower != upper:
        return keysym(lower), keysym(upper)
    return (keysym(ch),)


def _name(sym: int) -> str:
    return f"U{sym - UNICODE if sym >= UNICODE else sym:04X}"  # xmodmap reads U+ names


class SpareKeys:
    """The spare keycodes this process has bound, and the xmodmap expressions that change them.

    Legacy keysyms outside Latin-1 (EuroSign, Cyrillic_a, …) are not recognised as the
    characters they stand for; such a character gets a spare key of its own, which is harmless.
    """

    def __init__(self) -> None:
        self.ours: dict[int, KeySyms] = {}

    def _still_ours(self, keymap: dict[int, KeySyms]) -> None:
        # A layout switch or another program may have replaced them meanwhile.
        self.ours = {code: syms for code, syms in self.ours.items()
                     if keymap.get(code, ())[:len(syms)] == syms}

    def bind(self, keymap: dict[int, KeySyms], text: str) -> list[str]:
        """xmodmap arguments that put every character of ``text`` on some key, as far as
        spare keycodes last; records the keys bound. Empty when nothing is missing."""
        self._still_ours(keymap)
        present = {s for syms in keymap.values() for s in syms}
        wanted: list[KeySyms] = []
        for ch in dict.fromkeys(text):
            if ord(ch) < 0x20:  # a line break or tab: xdotool presses Return or Tab
                continue
            forms = {keysym(ch), UNICODE + ord(ch)}
            key = _key_for(ch)
            if not forms & present and key not in wanted:
                wanted.append(key)
        if not wanted:
            return []
        free = sorted(code for code, syms in keymap.items() if not syms)
        freed: list[int] = []
        if len(wanted) > len(free) - 1:  # make room: give back ours this text does not use
            needed = {keysym(ch) for ch in text}
            freed = [code for code, syms in self.ours.items() if not needed & set(syms)]
            for code in freed:
                del self.ours[code]
            free = sorted(free + freed)
        # xdotool remaps the lowest free keycode for characters it cannot find: leave it free.
        bound = dict(zip(free[1:], wanted, strict=False))
        self.ours.update(bound)
        args = [a for code in freed if code not in bound for a in ("-e", f"keycode {code} =")]
        for code, key in bound.items():
            args += ["-e", f"keycode {code} = " + " ".join(map(_name, key))]
        return args

    def unbind(self, keymap: dict[int, KeySyms]) -> list[str]:
        """xmodmap arguments that free every key still bound by us."""
        self._still_ours(keymap)
        args = [a for code in self.ours for a in ("-e", f"keycode {code} =")]
        self.ours = {}
        return args
