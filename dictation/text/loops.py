"""Decoding loops: the same word or phrase over and over, found in time linear in the text.

Whisper stuck in a loop repeats a word, a phrase or a sentence until its token limit.
:func:`find_loops` keeps one occurrence of each such run (and drops an unfinished last repeat
at the very end), so the real words around a loop survive.

How, without comparing every unit length at every position (which was cubic, and froze the
daemon for minutes on a 400 KB answer): each word becomes a number, the hash of its normalised
form (case and punctuation do not count, as in guard.normalize). For each unit length n up to
:data:`MAX_UNIT_WORDS` one vectorised pass marks where word k equals word k+n; a unit repeated
r times in a row is a run of (r-1)·n such marks. That is O(words × MAX_UNIT_WORDS) in numpy,
then one pass over the loops found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

MAX_UNIT_WORDS = 50
"""The longest loop unit looked for. Whisper's loops repeat a word, a phrase or a sentence
(the looping answers in bench/guard.md: 1 to 12 words); 50 words is a long sentence. A longer
unit said three times still compresses more than 2.4× and is dropped by the guard as "it
repeats itself", and the audio bound (guard.max_chars) holds whatever the unit."""

# A NUL stands for a run of punctuation inside a word, SOH for a word of punctuation alone
# (no key: it never makes a loop by itself). Both are punctuation themselves, so neither can
# come from the text.
_PUNCT = re.compile(r"[^\w\s']+")
_ASCII = bytes(
    ord(" ") if chr(b).isspace() else  # \x1c-\x1f too: str.split splits there, bytes.split not
    ord(chr(b).lower()) if chr(b).isalnum() or chr(b) in "_'" else 0
    for b in range(128)) + bytes(128)


def _min_repeats(n: int) -> int:
    # "no, no, no" and "thank you, thank you" are said; five of one word or three of a
    # phrase of three words or more are the model stuck in a loop.
    return 5 if n == 1 else 4 if n == 2 else 3


def word_ids(text: str) -> np.ndarray:
    """One number per word of ``text.split()``: equal for words whose normalised forms are
    equal; :func:`empty_id` for a word of punctuation alone. Linear: a few passes of str or
    bytes methods over the whole text, then one hash per word."""
    if text.isascii():  # a byte table lower-cases, marks punctuation and spaces in one pass
        marked: str | bytes = text.encode().translate(_ASCII)
        while b"\0\0" in marked:
            marked = marked.replace(b"\0\0", b"\0")
        sp, nul, soh = b" ", b"\0", b"\1"
        marked = sp + marked + sp  # every word now has a space on either side
    else:
        sp, nul, soh = " ", "\0", "\1"
        marked = sp + sp.join(_PUNCT.sub(nul, text.lower()).split()) + sp
    for _ in range(2):  # adjacent matches overlap: the second pass finds the rest
        marked = marked.replace(sp + nul + sp, sp + soh + sp)  # type: ignore[operator,arg-type]
    marked = marked.replace(sp + nul, sp).replace(nul + sp, sp)  # type: ignore[operator,arg-type]
    words = marked.split()
    return np.fromiter(map(hash, words), np.int64, len(words))


def empty_id(text: str) -> int:
    """The id :func:`word_ids` gives a word of punctuation alone in ``text``."""
    return hash("\1" if not text.isascii() else b"\1")


def _runs(mask: np.ndarray) -> np.ndarray:
    """Per position: how many positions from it on are True in a row."""
    ends = np.flatnonzero(~mask)  # the first False at or after each position ends its run
    after = np.append(ends, len(mask))[np.searchsorted(ends, np.arange(len(mask)))]
    return after - np.arange(len(mask))


def _all_true(mask: np.ndarray, width: int) -> np.ndarray:
    """Per start k (``len(mask) - width + 1`` of them): mask[k:k + width] is all True.
    Doubling: log2(width) passes of boolean ANDs, no integer arithmetic."""
    have = 1
    while have * 2 <= width:
        mask = mask[:-have] & mask[have:]
        have *= 2
    if have < width:
        mask = mask[:-(width - have)] & mask[width - have:]
    return mask


def _loops(ids: np.ndarray, empty: int) -> tuple[np.ndarray, np.ndarray]:
    """Per word: the shortest unit length n at which a loop starts there (the n words from it
    repeated at least _min_repeats(n) times in a row, not all punctuation), or 0; and where
    that loop ends."""
    count = len(ids)
    unit = np.zeros(count, np.int8)
    end = np.zeros(count, np.int64)
    blank = ids == empty
    blank_run = _runs(blank) if blank.any() else None  # words of punctuation alone in a row
    for n in range(1, min(MAX_UNIT_WORDS, count // 3) + 1):
        span = (_min_repeats(n) - 1) * n  # matches word k = word k+n needed in a row
        starts = count - span - n + 1  # positions where such a loop fits
        if starts <= 0:
            continue
        same = ids[:-n] == ids[n:]
        if not same.any():
            continue
        loop = _all_true(same, span) & (unit[:starts] == 0)
        if blank_run is not None:
            loop &= blank_run[:starts] < n  # a unit of punctuation alone is no loop
        new = np.flatnonzero(loop)
        if not new.size:
            continue
        unit[new] = n
        misses = np.flatnonzero(~same)
        after = np.append(misses, len(same))[np.searchsorted(misses, new)]
        end[new] = new + ((after - new) // n + 1) * n  # the unit and its whole repeats
    return unit, end


@dataclass(frozen=True)
class Cut:
    """``text`` with its loops cut."""

    kept: str  # the words, loops cut to one occurrence, joined by single spaces
    loops: int  # how many loops were cut
    only: bool  # nothing but one loop: no word around it that has a key


def find_loops(text: str) -> Cut:
    """Each run of the same word or phrase repeated in a row (a decoding loop) cut to one
    occurrence, and a loop's unfinished last repeat at the very end removed. The words before
    and after a loop are kept."""
    words = text.split()
    ids = word_ids(text) if len(words) >= _min_repeats(1) else np.zeros(0, np.int64)
    if len(ids) != len(words):  # short text, or a tokenisation that disagrees: no loops
        return Cut(" ".join(words), 0, False)
    unit, end = _loops(ids, empty := empty_id(text))
    starts = np.flatnonzero(unit)
    if not starts.size:
        return Cut(" ".join(words), 0, False)
    # From each loop, the next one the scan meets: the first to start at or after its end.
    follow = np.searchsorted(starts, end[starts]).tolist()
    units, ends, firsts = unit[starts].tolist(), end[starts].tolist(), starts.tolist()
    out: list[str] = []
    i = k = 0
    cut: list[tuple[int, int]] = []  # (start, end) of each loop cut
    while k < len(firsts):
        j, n = firsts[k], units[k]
        out += words[i:j]
        out += words[j:j + n]
        i, k = ends[k], follow[k]
        rest = len(words) - i
        if 0 < rest < n and np.array_equal(ids[i:], ids[j:j + rest]):
            i = len(words)  # the token limit cut the next repeat short
            k = len(firsts)
        cut.append((j, i))
    out += words[i:]
    keyed = ids != empty
    only = len(cut) == 1 and not (keyed[:cut[0][0]].any() or keyed[cut[0][1]:].any())
    return Cut(" ".join(out), len(cut), only)
