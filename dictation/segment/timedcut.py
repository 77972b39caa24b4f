"""A sentence end behind a breath, placed by the engine's own timings: a server that answers
verbose_json times each segment, and Whisper mostly ends its segments where sentences end.
In long speech a breath's decode takes about as long as the speech between breaths (0.7 s on
the API here), so the breath where a sentence ended is often never transcribed on its own,
and its end waited for the 10 s cut. A later decode that ends a segment with that sentence,
at a pause in the audio, says where it ended and what it said: the utterance is cut there at
once, with that segment's text, and no further request. Pure: frames and segments in, a place
and a text out.

Word counts alone could not place such an end (an experiment spread the words evenly over
the speech, and needed a decode up to the place to confirm it: it never fired, or made
false sentence ends); a segment's time needs no such guess.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from dictation.text.sentences import ends_sentence, words

if TYPE_CHECKING:
    from dictation.audio.vad import Frame
    from dictation.transcribe import Segment, Transcript

REACH_S = 0.3
"""How far from a segment's end the pause may begin: Whisper times segments to 20 ms, but
places their ends up to a few hundred milliseconds off the audio's."""
DROPPED_WORDS = 2.0
"""A cut is refused when its audio, at the speaker's rate over the whole decode, held this
many words more than its text: the segment's words would then not be all of its speech."""


def timed_cut(frames: Sequence[Frame], result: Transcript, frame_s: float
              ) -> tuple[int, Transcript] | None:
    """Where to cut ``frames`` (a decode of them is ``result``) at a sentence end with more
    speech after it, and the text up to there; None when no segment ends a sentence at a
    pause. The latest such end is taken: the most text goes out at once."""
    segs = result.segments
    total = len(words(result.text))
    if len(segs) < 2 or not total or not _consistent(result.text, segs):
        return None
    for k in range(len(segs) - 2, -1, -1):
        if not ends_sentence(segs[k].text) or segs[k].end <= segs[k].start:
            continue
        cut = pause_near(frames, round(segs[k].end / frame_s), round(REACH_S / frame_s))
        if cut is None:
            continue
        head = segs[:k + 1]
        text = " ".join(s.text.strip() for s in head if s.text.strip())
        if not _dropped(frames, cut, len(words(text)), total):
            return cut, replace(result, text=text, segments=tuple(head))
    return None


def pause_near(frames: Sequence[Frame], at: int, reach: int) -> int | None:
    """Where to cut the pause that begins nearest frame ``at``, within ``reach`` frames (its
    first half kept, as a breath is cut); None if there is none. A pause before the first
    speech or after the last is not between words."""
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


def _consistent(text: str, segs: Sequence[Segment]) -> bool:
    """The segments say the text's words, in its order: a server whose segments and text
    disagree gives no place to trust."""
    return words(" ".join(s.text for s in segs)) == words(text)


def _dropped(frames: Sequence[Frame], cut: int, said: int, total: int) -> bool:
    spoken = sum(f.is_speech for f in frames[:cut])
    heard = sum(f.is_speech for f in frames)
    return heard > 0 and total * spoken / heard - said >= DROPPED_WORDS
