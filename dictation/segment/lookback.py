"""A sentence end found behind the speech: a breath's text that does not end a sentence may
hold one inside ("…near the bridge. The stalls were"). In long speech breaths come every
half second or so and a decode takes longer (0.7 s on the API here), so the breath where that
sentence ended was often never transcribed, and the sentence waited for the cut past
``soft_max_s``. The later text already says the sentence ended there and the speaker went
on; what it cannot say is where in the audio. The words, spread evenly over the speech
frames, place the end; the nearest pause is where to cut; a decode up to that pause must say
the words the later text had before its end, or nothing is cut. Pure: frames in, a place
out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dictation.text.revise import shared_words, word_key
from dictation.text.sentences import inner_ends, words

if TYPE_CHECKING:
    from dictation.audio.vad import Frame
    from dictation.records import Speculation

DROPPED_WORDS = 2.0
"""A cut is refused when its audio, at the speaker's rate, held this many words more than
its text: Whisper leaves out the words of a sentence just begun at the very end of its audio
("…vegetables. I picked up" came back as "…vegetables."), and those words would be lost."""
REACH_S = 0.6
"""How far from where the words place the end a pause may be: an even spread of words
over the speech is off by a word or two (about 0.3 s each) in a sentence."""


@dataclass
class Lookback:
    """A cut to try: transcribe the open utterance (from frame ``start``) up to ``frames``;
    a later text of ``heard_words`` words over ``heard_frames`` frames ended a sentence
    after the words ``said``."""

    start: int
    frames: int
    said: tuple[str, ...]  # the later text's words up to its sentence end
    heard_frames: int
    heard_words: int
    spec: Speculation | None = None  # its decode, once launched

    @property
    def words(self) -> int:
        return len(self.said)

    def confirms(self, text: str, frames: Sequence[Frame]) -> bool:
        """Does ``text``, the decode up to the cut, end the sentence where the later text
        did: its words, one aside at most (every clip's decode ends with a mark, so the mark
        alone says nothing), leaving out no words its audio held?"""
        got = words(text)
        return (len(got) == len(self.said)
                and shared_words(list(self.said), got, word_key) >= len(got) - 1
                and not left_out(frames, self.frames, len(got), self.heard_frames,
                                 self.heard_words))


def left_out(frames: Sequence[Frame], cut: int, cut_words: int, heard: int,
             heard_words: int) -> bool:
    """Did the text of ``frames[:cut]`` (``cut_words`` words) leave out words its audio held?
    The words of a text of more of it (``frames[:heard]``), spread over its speech frames,
    say how many its speech held."""
    spoken = sum(f.is_speech for f in frames[:cut])
    more = sum(f.is_speech for f in frames[:heard])
    return more > 0 and heard_words * spoken / more - cut_words >= DROPPED_WORDS


def find(frames: Sequence[Frame], text: str, start: int, frame_s: float) -> Lookback | None:
    """Where to look for the first sentence end inside ``text``, a decode of ``frames`` (the
    open utterance from frame ``start``), or None: no end with words after it, or no pause
    near where its words place it."""
    ends, said = inner_ends(text), len(words(text))
    spoken = [i for i, f in enumerate(frames) if f.is_speech]
    if not ends or not said or not spoken:
        return None
    at = spoken[min(len(spoken) - 1, len(spoken) * ends[0] // said)]
    cut = pause_near(frames, at, round(REACH_S / frame_s))
    return None if cut is None else Lookback(start, cut, tuple(words(text)[:ends[0]]),
                                             len(frames), said)


def pause_near(frames: Sequence[Frame], at: int, reach: int) -> int | None:
    """Where to cut the pause that begins nearest frame ``at`` (its first half kept, as a
    breath is cut), within ``reach`` frames; None if there is none. Pauses before the first
    speech or after the last are not between words."""
    best: tuple[int, int] | None = None
    run = 0
    for i, frame in enumerate(frames):
        if not frame.is_speech:
            run += 1
            continue
        begun = i - run
        if run and begun > 0 and abs(begun - at) <= reach and (
                best is None or abs(begun - at) < abs(best[0] - at)):
            best = (begun, begun + (run + 1) // 2)
        run = 0
    return None if best is None else best[1]


class LookingBack:
    """Speculation's look back (Speculator): the place to try, its decode, and the place
    tried last, so that a decode that did not confirm it is not asked for again."""

    def __init__(self, frame_s: float) -> None:
        self.frame_s = frame_s
        self.place: Lookback | None = None
        self._tried: tuple[int, int] | None = None

    def due(self, start: int | None, frames: Sequence[Frame] | None) -> tuple[Frame, ...] | None:
        """The frames to transcribe for a place found and not yet sent, if its utterance
        (from frame ``start``, heard so far ``frames``) is still the open one."""
        if (place := self.place) is None or place.spec is not None:
            return None
        if place.start == start and frames:
            return tuple(frames[:place.frames])
        self.place = None
        return None

    def launched(self, spec: Speculation) -> None:
        if self.place is not None and self.place.spec is None:
            self.place.spec = spec

    def owns(self, spec: Speculation) -> bool:
        return self.place is not None and self.place.spec is spec

    def look(self, frames: Sequence[Frame], text: str, start: int) -> bool:
        """Is there a sentence end inside ``text``, a decode of ``frames``, to look for behind
        it (one not tried already)? It becomes the place to try."""
        place = find(frames, text, start, self.frame_s)
        if place is None or (place.start, place.frames) == self._tried:
            return False
        self.place, self._tried = place, (place.start, place.frames)
        return True

    def answered(self, text: str, finished: bool, frames: Sequence[Frame]) -> bool:
        """The place's decode came back: does it end the sentence there?"""
        place, self.place = self.place, None
        return bool(place and finished and place.confirms(text, frames))

    def clear(self) -> None:
        self.place = None
