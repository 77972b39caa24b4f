"""A breath's text past a cut (segment/rebase.py), pure: what a decode of the cut sentence and
what followed says of what followed, and the segments that go with it."""

from __future__ import annotations

import asyncio

from scripted import FinishedCall

from dictation.records import Kind
from dictation.segment.rebase import Part, rest
from dictation.text.sentences import after_words
from dictation.transcript import Segment, Transcript

CUT = "I left my glasses on the table."  # the cut piece's text; 7 words
HEARD, MORE = 70, 100  # speech frames in the cut piece and in the later decode's audio


def test_after_words_is_the_text_past_a_words_end_mark() -> None:
    assert after_words("Near the bridge. The stalls were", 3) == "The stalls were"
    assert after_words("Wait... what? Yes! Go", 2) == "Yes! Go"
    assert after_words("Near the bridge.", 3) == ""
    assert after_words("Near the", 3) == ""
    assert after_words(". The stalls", 0) == "The stalls"


def test_the_rest_of_a_text_that_ends_the_cut_sentence_is_a_text_of_what_followed() -> None:
    got = rest(Transcript(f" {CUT} Then I went home.", language="en"), CUT, HEARD, MORE, 3.0)
    assert got == Transcript("Then I went home.", language="en")
    # Whisper may word the sentence a little apart ("glasses" → "glass"): its own end counts.
    assert rest(Transcript("I left my glass on the table. Then I"), CUT, HEARD, MORE,
                3.0).text == "Then I"


def test_a_text_that_does_not_end_the_cut_sentence_there_has_no_rest() -> None:
    for text in ("I left my glasses on the table when I came",  # a comma, or none
                 "I left my glasses on the table.",  # heard nothing past it
                 "I left my glasses. On the table then"):  # ends elsewhere
        assert rest(Transcript(text), CUT, HEARD, MORE, 3.0) is None, text
    # Words its audio held that the cut text left out: the cut lost them, nothing to rest on.
    long = f"{CUT} And then I walked all the way home in the rain"
    assert rest(Transcript(long), CUT, HEARD, MORE, 3.0) is None
    assert rest(None, CUT, HEARD, MORE, 3.0) is None


def test_its_segments_are_those_past_the_cut_trimmed_and_moved_to_its_clock() -> None:
    segs = (Segment(0.0, 2.0, " I left my glasses", -0.2, 0.01),
            Segment(2.0, 4.5, " on the table. Then I", -0.3, 0.02),
            Segment(4.5, 5.0, " went home.", -0.4, 0.03))
    got = rest(Transcript(" I left my glasses on the table. Then I went home.", segs), CUT,
               HEARD, MORE, 3.0)
    assert got is not None and got.text == "Then I went home."
    assert got.segments == (Segment(0.0, 1.5, "Then I", -0.3, 0.02),
                            Segment(1.5, 2.0, " went home.", -0.4, 0.03))
    # The end at a segment's end: the next one begins the rest, its mark left behind.
    segs = (Segment(0.0, 3.0, " I left my glasses on the table"),
            Segment(3.0, 4.0, ". Then I"))
    got = rest(Transcript(" I left my glasses on the table. Then I", segs), CUT, HEARD, MORE,
               3.0)
    assert got is not None and got.segments == (Segment(0.0, 1.0, "Then I"),)
    # Segments that do not hold the text's words (a server's text apart from them): none.
    got = rest(Transcript(f"{CUT} Then I", (Segment(0.0, 1.0, " I left"),)), CUT, HEARD,
               MORE, 3.0)
    assert got is not None and got.segments == ()


def test_a_part_reads_its_calls_text_past_the_cut_and_passes_the_rest_on() -> None:
    inner = FinishedCall(Transcript(f"{CUT} Then I went home."))
    call = Part(inner, lambda result: rest(result, CUT, HEARD, MORE, 3.0))
    assert call.done() and call.value() == Transcript("Then I went home.")
    assert asyncio.run(call.result()) == Transcript("Then I went home.")
    call.promote(Kind.FINAL)
    call.discard()
    assert inner.kinds == [Kind.FINAL] and inner.discarded
    assert Part(FinishedCall(Transcript("I left my glasses on the table when")),
                lambda result: rest(result, CUT, HEARD, MORE, 3.0)).value() is None
