"""Where a transcript's sentences end, counted in words: how speculation tells that two
decodes of growing audio agree on a sentence end (segment/speculate.py). Pure; reads at most
``AGREE_CHARS`` of a text, so a long answer costs no more."""

from __future__ import annotations

import re

AGREE_CHARS = 2000
"""A text is searched for sentence ends this far: 30 s of the fastest speech
(bench/speech_rate.py) is under 600 characters; any longer answer costs no more."""
AGREE_WORDS = 2  # a confirming text may place the sentence end this many words off
_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)*|[.?!]+(?=[\s\"'”’)\]}»]|$)")


def words(text: str) -> list[str]:
    return [t for t in _TOKEN.findall(text[:AGREE_CHARS]) if t[0] not in ".?!"]


def inner_ends(text: str) -> list[int]:
    """The word counts at which ``text`` ends a sentence with more words after it."""
    ends, count, end = [], 0, None
    for token in _TOKEN.findall(text[:AGREE_CHARS]):
        if token[0] not in ".?!":
            if end is not None:
                ends.append(end)
            count, end = count + 1, None
        elif count and "." not in token[1:]:  # "..." is a pause, not an end
            end = count
    return ends


def ends_near(text: str, count: int) -> bool:
    """Does ``text`` end a sentence within AGREE_WORDS of its ``count``-th word, with more
    words after it? Whisper may word the same speech a little differently (a number, a
    contraction) when it hears more of it."""
    return any(abs(end - count) <= AGREE_WORDS for end in inner_ends(text))


def after_end(text: str, count: int, limit: int) -> list[str]:
    """The first ``limit`` words ``text`` wrote, as written (marks kept), after the sentence
    end that follows its ``count``-th word (an inner end: ``inner_ends``)."""
    seen = 0
    for token in _TOKEN.finditer(text[:AGREE_CHARS]):
        if token.group()[0] not in ".?!":
            seen += 1
        elif seen == count and "." not in token.group()[1:]:
            return text[token.end():AGREE_CHARS].split()[:limit]
    return []

