"""A breath candidate read against a later text of the same speech: does it confirm the
sentence end, say nothing yet, or refute it (segment/speculate.py)? Pure.

Whisper leaves out the words of a sentence just begun at the very end of its audio: a breath
one word past a sentence end comes back as the sentence alone ("…vegetables." for
"…vegetables. I"). Such a text is no evidence against the candidate, and no cut of its own
either (that word would be lost): the candidate waits for a text that heard more.
"""

from __future__ import annotations

from enum import Enum

from dictation.text.sentences import AGREE_WORDS, ends_near, words

DROPPED_WORDS = 2.0
"""A breath is no cut when its audio, at the speaker's rate, held this many words more than
its text: Whisper leaves out the words of a sentence just begun at the very end of its audio
("…vegetables. I picked up" came back as "…vegetables."), and those words would be lost."""


class Reading(Enum):
    CONFIRMS = "confirms"  # a sentence ends at the candidate's word, and more words follow
    TOO_CLOSE = "too close"  # too few words past the candidate to tell
    REFUTES = "refutes"  # the speech went on past it as one sentence, or it lost words


def read(candidate_words: int, text: str, heard: int, more: int) -> Reading:
    """``text``, a later decode of the speech a candidate of ``candidate_words`` words was
    decoded from, against it; ``heard`` and ``more``: speech frames in the candidate's
    audio and in the later one's. The later text's words, spread over its speech, say how
    many the candidate's speech held: if that is DROPPED_WORDS more than its text, the
    candidate's text left words out, and a cut there would lose them."""
    said = len(words(text))
    if more > 0 and said * heard / more - candidate_words >= DROPPED_WORDS:
        return Reading.REFUTES
    if ends_near(text, candidate_words):
        return Reading.CONFIRMS
    if said - candidate_words <= AGREE_WORDS:
        return Reading.TOO_CLOSE
    return Reading.REFUTES
