"""Pure: where a transcript's sentences end, counted in words (text/sentences.py): how
speculation tells that a later decode confirms a breath's sentence end (segment/candidate.py)."""

from __future__ import annotations

from dictation.segment.candidate import Reading, read
from dictation.text.sentences import ends_near, inner_ends, words


def test_sentence_ends_with_words_after_them() -> None:
    assert inner_ends("Near the bridge. The stalls were") == [3]
    assert inner_ends("One. Two? Three! Four") == [1, 2, 3]
    assert inner_ends("It ends here.") == []  # nothing after it
    assert inner_ends("Well... I think so") == []  # a pause, not an end
    assert inner_ends('He said "no." Then left') == [3]
    assert words("It's 5 o'clock.") == ["It's", "5", "o'clock"]


def test_a_later_text_confirms_an_end_near_the_same_word() -> None:
    assert ends_near("Near the bridge. The stalls", 3)
    assert ends_near("Near the old bridge. The stalls", 3)  # worded a little apart
    assert not ends_near("Near the bridge. The", 6)
    assert not ends_near("Near the bridge the stalls were busy.", 3)  # no end with words after


def test_a_later_text_confirms_waits_on_or_refutes_a_breath_candidate() -> None:
    # The candidate "The stalls were busy." (4 words), 40 speech frames; the later text's
    # speech frames are in proportion to its words.
    assert read(4, "The stalls were busy. I picked up some", 40, 80) is Reading.CONFIRMS
    # One word past it, left out at the end of the audio or not yet punctuated: no evidence.
    assert read(4, "The stalls were busy.", 40, 50) is Reading.TOO_CLOSE
    assert read(4, "The stalls were busy with", 40, 50) is Reading.TOO_CLOSE
    # The speech went on as one sentence, three words and more past it.
    assert read(4, "The stalls were busy with people buying", 40, 70) is Reading.REFUTES
    # The candidate's 40 frames held 6 words of the later text's rate: it left 2 out.
    assert read(4, "The stalls were busy. Then I went on to say", 40, 66) is Reading.REFUTES
