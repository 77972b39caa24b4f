"""Untrusted text made safe to show, copy or type: escape sequences, control characters and bidi
overrides dropped, whitespace folded to single spaces.

Server answers go through it once they are parsed, and the typing sinks once more before
anything reaches a tool. Linear in the text's length: no pattern can backtrack over the text
more than once, and characters are classified once per distinct character, not once per
character.
"""

from __future__ import annotations

import re
import unicodedata

_ESCAPES = re.compile(
    r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC … BEL/ST (title, hyperlink, clipboard write)
    r"|\x1b[P_^X][^\x1b]*(?:\x1b\\)?"  # DCS, APC, PM, SOS strings
    r"|\x1b\[[0-?]*[ -/]*[@-~]"  # CSI sequences (colours, cursor moves)
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
    r"|\x1b[ -/]*[0-~]?"  # any other escape
)


def _unwanted(ch: str) -> str | None:
    """What ``ch`` becomes: whitespace a space, control and format characters (bidi
    overrides, zero-width marks) nothing, but the zero-width joiner of emoji stays."""
    if ch in "\t\n\r\v\f":
        return " "
    cat = unicodedata.category(ch)
    if cat == "Cc" or (cat == "Cf" and ch != "\u200d"):
        return ""
    return None


def sanitize(text: str) -> str:
    """Drop escape sequences, control and bidi-override characters; fold whitespace."""
    if "\x1b" in text or "\x9b" in text:
        text = _ESCAPES.sub("", text)
    if not text.isprintable():  # only then can there be anything to drop
        table = {ord(ch): to for ch in set(text) if (to := _unwanted(ch)) is not None}
        text = text.translate(table)
    return " ".join(text.split())
