"""Where a decode's segment times place a sentence end behind a breath (pure: frames and
segments in, a place and a text out)."""

from __future__ import annotations

import numpy as np

from dictation.audio.vad import Frame
from dictation.segment.timedcut import pause_near, timed_cut
from dictation.text.sentences import ends_sentence
from dictation.transcribe import Segment, Transcript

FRAME_S = 0.03
PCM = np.zeros(480, dtype=np.int16)


def frames(*runs: tuple[bool, float]) -> list[Frame]:
    """Speech (True) and pauses, each so many seconds long."""
    return [Frame(PCM, speech, 0.0) for speech, s in runs for _ in range(round(s / FRAME_S))]


def decode(*segs: tuple[float, float, str]) -> Transcript:
    return Transcript(" ".join(t.strip() for _, _, t in segs),
                      tuple(Segment(a, b, t) for a, b, t in segs))


# 0.3 s of silence, 2.7 s of talk, a breath of 0.09 s (3.0-3.09 s), then 1.5 s of talk.
AUDIO = frames((False, 0.3), (True, 2.7), (False, 0.09), (True, 1.5))


def test_a_segment_that_ends_a_sentence_at_a_breath_is_where_to_cut() -> None:
    found = timed_cut(AUDIO, decode((0.3, 2.9, " The stalls were busy with people."),
                                    (2.9, 4.5, " I picked up some")), FRAME_S)
    assert found is not None
    cut, head = found
    assert cut == 102  # two of the breath's three frames kept, as a breath is cut
    assert head.text == "The stalls were busy with people."
    assert [s.text for s in head.segments] == [" The stalls were busy with people."]


def test_no_cut_without_a_sentence_end_a_pause_or_words_after_it() -> None:
    # A segment that ends mid-sentence,
    assert timed_cut(AUDIO, decode((0.3, 2.9, " The stalls were busy,"),
                                   (2.9, 4.5, " with people buying")), FRAME_S) is None
    # one that ends a sentence where the speech goes on without a pause,
    assert timed_cut(AUDIO, decode((0.3, 2.0, " The stalls were busy."),
                                   (2.0, 4.5, " People bought bread")), FRAME_S) is None
    # or the last segment alone: every clip's decode ends with a mark.
    assert timed_cut(AUDIO, decode((0.3, 4.5, " The stalls were busy.")), FRAME_S) is None
    assert timed_cut(AUDIO, Transcript("The stalls were busy. I picked"), FRAME_S) is None


def test_no_cut_where_the_segments_and_the_text_disagree_or_words_were_left_out() -> None:
    bad = Transcript("Something else entirely here.",
                     (Segment(0.3, 2.9, " The stalls were busy."), Segment(2.9, 4.5, " I")))
    assert timed_cut(AUDIO, bad, FRAME_S) is None
    # Five words for 2.7 s of speech, where the whole decode speaks three words a second.
    fast = decode((0.3, 2.9, " The stalls were busy."),
                  (2.9, 4.5, " I picked up some apples and a small bunch of fresh flowers"))
    assert timed_cut(AUDIO, fast, FRAME_S) is None


def test_a_pause_is_found_near_its_place_and_only_between_words() -> None:
    assert pause_near(AUDIO, 100, 10) == 102
    assert pause_near(AUDIO, 80, 10) is None  # too far
    assert pause_near(AUDIO, 5, 10) is None  # the silence before the first word


def test_a_sentence_end_is_a_mark_after_a_word() -> None:
    assert ends_sentence(" The stalls were busy.")
    assert ends_sentence("Is it? ")
    assert not ends_sentence("The stalls were busy,")
    assert not ends_sentence("and then...")
    assert not ends_sentence(".")
