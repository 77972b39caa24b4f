"""How an output changes what it already shows: the revision of a delivered piece, as the
keys a typing tool presses (BackSpaces, then text).

Counts are in code points. Measured with xdotool in a Tk 8.6 text field, one BackSpace deletes
one code point: "e" + U+0301 (combining acute) needs two, a three-person family joined by
U+200D five, while a precomposed "é" or a single emoji needs one. Other toolkits may delete
a whole grapheme cluster per BackSpace (Pango documents it after Latin, Greek and Cyrillic
letters; browsers do it for emoji sequences), so a deletion is only toolkit-proof when every
code point it removes is a cluster of its own: :func:`backspace_safe`. Whisper writes
composed (NFC) text, so in practice only emoji sequences and flags are at stake.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

_ZWJ = "\u200d"


def _joiner(ch: str) -> bool:
    """A code point that belongs to the grapheme cluster of the one before it."""
    cp = ord(ch)
    return (unicodedata.category(ch) in ("Mn", "Mc", "Me") or ch == _ZWJ
            or 0xFE00 <= cp <= 0xFE0F or 0x1F3FB <= cp <= 0x1F3FF  # variation, skin tone
            or 0xE0020 <= cp <= 0xE007F or 0x1160 <= cp <= 0x11FF)  # emoji tags, jamo


def _regional(ch: str) -> bool:
    return 0x1F1E6 <= ord(ch) <= 0x1F1FF  # flags are pairs of these


def _joins(s: str, i: int) -> bool:
    """Does ``s[i]`` continue the grapheme cluster of ``s[i - 1]``?"""
    return 0 < i < len(s) and (_joiner(s[i]) or s[i - 1] == _ZWJ
                               or (_regional(s[i]) and _regional(s[i - 1])))


def edit(old: str, new: str) -> tuple[int, str]:
    """How to turn ``old`` into ``new`` at the end of a text: (characters to delete from the
    end, text to type then), from their common prefix, in code points.

    The prefix never ends inside a grapheme cluster (a letter and its combining accents, an
    emoji sequence joined by U+200D, a flag): the whole cluster is deleted and typed again.
    The count is in code points, which is what one BackSpace deletes in a Tk text field
    (measured with xdotool: "e" + U+0301 needs two, a three-person ZWJ family five). Other
    toolkits may delete a whole cluster per BackSpace, so a sink checks
    :func:`backspace_safe` before it deletes.
    """
    limit = min(len(old), len(new))
    p = 0
    while p < limit and old[p] == new[p]:
        p += 1
    while p and (_joins(old, p) or _joins(new, p)):
        p -= 1
    return len(old) - p, new[p:]


def word_key(word: str) -> str:
    """A word as compared across transcriptions, and as guard words are: lower case, letters
    and digits only, so that "The" and "the," compare alike; accents are kept ("él" is no
    "el")."""
    return "".join(ch for ch in word.casefold() if ch.isalnum())


def shared_words(old: list[str], new: list[str],
                 key: Callable[[str], str] = lambda word: word) -> int:
    """How many words ``new`` shares with ``old`` from the start, compared by ``key``: the
    agreement of two decodes, or what a text adds to words already shown."""
    n = 0
    while n < min(len(old), len(new)) and key(old[n]) == key(new[n]):
        n += 1
    return n


def backspace_safe(old: str, count: int) -> bool:
    """Does deleting the last ``count`` code points of ``old`` take ``count`` BackSpaces in
    every toolkit? True when each of them is a grapheme cluster on its own."""
    start = len(old) - count
    return all(not _joins(old, i) for i in range(max(start, 1), len(old)))


@dataclass(frozen=True)
class Revision:
    """What an output showing ``old`` for utterance ``seq`` must change to show ``new``
    (``new`` is "" when the utterance is taken back)."""

    seq: int
    old: str
    new: str

    def edit(self) -> tuple[int, str]:
        """(code points to delete from the end, text to type): see :func:`edit`."""
        return edit(self.old, self.new)

    @property
    def backspace_safe(self) -> bool:
        return backspace_safe(self.old, self.edit()[0])
