"""Pure: where a transcript's sentences end, counted in words (text/sentences.py): how
speculation tells that a later decode confirms a breath's sentence end."""

from __future__ import annotations

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
