"""Words heard across a cut. Long speech is cut at the breath where a sentence ended, but that
breath may come a word past the end, and the cut piece's text leaves the word out (Whisper
leaves out a word just begun at a clip's end: "…the front door." for "…the front door. If").
The word is then in the cut piece's audio and not in the next piece's, so neither text has
it; the later text that confirmed the end heard it (segment/candidate.py: ``opening``). Pure.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from dictation.text.revise import word_key

CARRIED = 2
"""Words a cut may fall past a sentence end and still be confirmed there (a rate check,
candidate.DROPPED_WORDS, refuses more)."""
MATCHED = 2
"""Words the next text must begin with, as the confirming text goes on after the carried
ones; fewer where it has fewer there (heard half a second past the end, it has "If the")."""
_FIRST = re.compile(r"\s*(\S+)")
READ_CHARS = 200
"""How much of the start of the next text is read for its first words: the answer may be up
to the reader's cap, and this runs on the event loop."""


def restored(opening: Sequence[str], text: str) -> str:
    """``text``, the first of the speech after a cut, with the words it left out of
    ``opening`` (the confirming text's words after the end) put before it: those the
    confirming text wrote just before the words ``text`` begins with. Unchanged when it
    begins with the opening's first word, or its first words are not the opening's next
    ones (``MATCHED``): the text is delivered as the engine wrote it."""
    keys = [word_key(w) for w in opening]
    first = [word_key(w) for w in text[:READ_CHARS].split()[:MATCHED]]
    found = _FIRST.match(text[:READ_CHARS])
    if found is None or not keys or first[0] == keys[0]:
        return text
    for k in range(1, CARRIED + 1):
        if (m := min(MATCHED, len(keys) - k)) > 0 and first[:m] == keys[k:k + m]:
            head = found.group(1)
            if opening[k][:1].islower():  # mid-sentence now, as the confirming text wrote it
                head = head[:1].lower() + head[1:]
            return f"{text[:found.start(1)]}{' '.join(opening[:k])} {head}{text[found.end(1):]}"
    return text
