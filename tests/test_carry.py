"""Pure: the words a cut at a breath left in the piece before it, put back at the start of the
next piece's text from the text that confirmed the sentence end (text/carry.py)."""

from __future__ import annotations

from dictation.text.carry import restored

OPENING = ("If", "the", "weather", "stays")


def test_a_word_the_cut_piece_held_is_put_back() -> None:
    assert restored(OPENING, " The weather stays dry.") == " If the weather stays dry."
    # Two words past the end: both put back; a capital only where the confirming text
    # wrote one.
    assert restored(OPENING, "Weather stays dry.") == "If the weather stays dry."
    assert restored(("If", "Paris", "stays", "dry"), "Paris stays dry.") == "If Paris stays dry."
    assert restored(("So,", "I", "went", "home"), " I went home.") == " So, I went home."
    # A text heard half a second past the end has two words there: the second one follows.
    assert restored(("If", "the"), " The weather.") == " If the weather."


def test_a_text_that_has_the_words_or_does_not_go_on_from_them_is_left_alone() -> None:
    assert restored(OPENING, " If the weather stays dry.") == " If the weather stays dry."
    assert restored(OPENING, " if the weather") == " if the weather"  # case does not count
    assert restored(OPENING, " The garden is dry.") == " The garden is dry."
    # One word in common is no evidence ("the"): the opening's next two must follow.
    assert restored(OPENING, " The fence is dry.") == " The fence is dry."
    assert restored(("If",), " The weather.") == " The weather."  # nothing after the word
    assert restored(OPENING, " The") == " The"
    # More than two words past the end: a cut that far is refused before it is made.
    assert restored(("So", "then", "if", "the", "weather"), "the weather") == "the weather"
    assert restored((), " The weather stays dry.") == " The weather stays dry."
    assert restored(OPENING, "") == "" and restored(OPENING, "  ") == "  "
