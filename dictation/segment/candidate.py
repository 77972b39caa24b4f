"""A breath candidate read against a later text of the same speech: does it confirm the
sentence end, say nothing yet, or refute it (segment/speculate.py)? Pure.

Whisper leaves out the words of a sentence just begun at the very end of its audio: a breath
one word past a sentence end comes back as the sentence alone ("…vegetables." for
"…vegetables. I"). Such a text, ending on the candidate's last word, is no evidence against
the candidate, and no cut of its own either (that word would be lost): the candidate waits
for a text that heard more. Any other text decides.
"""

from __future__ import annotations

from collections import deque
from enum import Enum
from typing import TYPE_CHECKING

from dictation.text.sentences import AGREE_WORDS, after_end, inner_ends, words

if TYPE_CHECKING:
    from collections.abc import Callable

    from dictation.records import Speculation

DROPPED_WORDS = 2.0
"""A breath is no cut when its audio, at the speaker's rate, held this many words more than
its text: Whisper leaves out the words of a sentence just begun at the very end of its audio
("…vegetables. I picked up" came back as "…vegetables."), and those words would be lost."""


OPENING_WORDS = 4
"""Words of the speech after a confirmed end kept from the text that confirmed it: enough to
find where the next piece's own text takes them up (text/carry.py)."""


REFUTED_KEPT = 3
"""Refuted candidates a later text may still confirm: the breaths of the last two seconds or
so of speech (one every 0.6 s in the bench's monologue)."""


class Reading(Enum):
    CONFIRMS = "confirms"  # a sentence ends at the candidate's last word, more words follow
    TOO_CLOSE = "too close"  # no word past the candidate's last: nothing to tell
    REFUTES = "refutes"  # the speech went on past it as one sentence, or it lost words


def read(candidate: str, text: str, heard: int, more: int) -> Reading:
    """``text``, a later decode of the speech the ``candidate`` text was decoded from,
    against it; ``heard`` and ``more``: speech frames in the candidate's audio and in the
    later one's. The later text confirms the candidate when it ends a sentence at about its
    word count (it may word the speech a little apart) on the same last word: an end one or
    two words later means the candidate's audio stopped before the sentence did, and a cut
    there splits it. The later text's words, spread over its speech, say how many the
    candidate's speech held: if that is DROPPED_WORDS more than its text, the candidate's
    text left words out, and a cut there would lose them."""
    said, before = words(text), words(candidate)
    if more > 0 and len(said) * heard / more - len(before) >= DROPPED_WORDS:
        return Reading.REFUTES
    if _end(before, said, text) is not None:
        return Reading.CONFIRMS
    last = before[-1].casefold() if before else ""
    if said and said[-1].casefold() == last and abs(len(said) - len(before)) <= AGREE_WORDS:
        return Reading.TOO_CLOSE  # no word past its last: what followed was left out
    return Reading.REFUTES


def _end(before: list[str], said: list[str], text: str) -> int | None:
    """Where ``text`` (words ``said``) ends a sentence on the last of the candidate's words
    (``before``), at about their count, with more words after it."""
    last = before[-1].casefold() if before else ""
    return next((end for end in inner_ends(text)
                 if abs(end - len(before)) <= AGREE_WORDS and said[end - 1].casefold() == last),
                None)


def opening(candidate: str, text: str) -> tuple[str, ...]:
    """The words ``text``, which confirms ``candidate``, wrote after its sentence end, as
    written: the speech that stays open after the cut begins with them. The cut at the
    candidate's breath may fall a word past that end, and the candidate's text left that
    word out (it was just begun): it is in the cut piece's audio, and in neither text
    but this one (text/carry.py puts it back)."""
    before, said = words(candidate), words(text)
    end = _end(before, said, text)
    return () if end is None else tuple(after_end(text, end, OPENING_WORDS))


class Candidates:
    """The breaths of the open utterance whose text ended a sentence: the newest, standing
    until a later text reads against it, and the last few refuted ones. Whisper writes a
    sentence end differently from clip to clip ("…each other." at the breath, "…each other
    when it" a word on, "…each other. When it started" two seconds on): a later text that
    ends a sentence on a refuted one's last word confirms it still, so the utterance is cut
    there, not at the cut past ``soft_max_s`` with two sentences in one piece."""

    def __init__(self) -> None:
        self.standing: Speculation | None = None
        self._texts: dict[int, str] = {}  # each kept one's text, by id of its speculation
        self.refuted: deque[Speculation] = deque()

    def add(self, spec: Speculation, text: str) -> None:
        """A breath whose text ended a sentence: the standing candidate now; the one before
        it, if any, was read already."""
        self.standing = spec
        self._texts[id(spec)] = text

    def judge(self, text: str, speech: Callable[[int], int], frames: int
              ) -> tuple[Speculation | None, Reading | None]:
        """A later ``text`` of the first ``frames`` of the open utterance against the
        standing candidate, then against the refuted ones, newest first: the one it
        confirms, if any, and its reading of the standing one (None: there is none).
        ``speech(n)``: the speech frames among the open utterance's first ``n``."""
        more, reading = speech(frames), None
        if (cand := self.standing) is not None:
            reading = read(self._texts[id(cand)], text, speech(cand.frames), more)
            if reading is Reading.CONFIRMS:
                return cand, reading
            if reading is Reading.REFUTES:
                self.standing = None
                self.refuted.append(cand)
                while len(self.refuted) > REFUTED_KEPT:
                    self._forget(self.refuted.popleft())
        for old in reversed(self.refuted):
            if read(self._texts[id(old)], text, speech(old.frames), more) is Reading.CONFIRMS:
                return old, reading
        return None, reading

    def opening(self, spec: Speculation, text: str) -> tuple[str, ...]:
        """The words ``text``, which confirmed ``spec``, wrote after its end (``opening``)."""
        return opening(self._texts.get(id(spec), ""), text)

    def all(self) -> tuple[Speculation, ...]:
        return (*((self.standing,) if self.standing else ()), *self.refuted)

    def remove(self, spec: Speculation) -> None:
        """``spec`` leaves, attached to its utterance or discarded by the caller."""
        if spec is self.standing:
            self.standing = None
        elif spec in self.refuted:
            self.refuted.remove(spec)
        self._texts.pop(id(spec), None)

    def _forget(self, spec: Speculation) -> None:
        self._texts.pop(id(spec), None)
        spec.call.discard()

    def clear(self) -> None:
        for spec in self.all():
            self._forget(spec)
        self.standing = None
        self.refuted.clear()
