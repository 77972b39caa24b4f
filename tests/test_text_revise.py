"""Revisions as keys: pure, no X server (tests/test_revise_x11.py types them for real)."""

from __future__ import annotations

import pytest

from dictation.text.cmdbuild import key
from dictation.text.revise import Revision, backspace_safe, edit, shared_words, word_key

FAMILY = "\U0001F468\u200d\U0001F469\u200d\U0001F467"  # man ZWJ woman ZWJ girl
FLAG_DE = "\U0001F1E9\U0001F1EA"
FLAG_DK = "\U0001F1E9\U0001F1F0"


def apply(old: str, count: int, text: str) -> str:
    """What a field showing ``old`` shows after ``count`` code-point BackSpaces and ``text``."""
    return old[:len(old) - count] + text


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("company.", "company", (1, "")),
    (" Still has it.", " still has it.", (13, "still has it.")),
    ("abc", "abc", (0, "")),
    ("", "abc", (0, "abc")),
    ("abc", "", (3, "")),
    ("naïve.", "naïve", (1, "")),  # é, ï precomposed: one code point each
    ("x e\u0301.", "x e\u0301", (1, "")),  # the accent stays with its letter
    ("x e\u0301", "x e\u0300", (2, "e\u0300")),  # not half a cluster: the letter too
    ("cafe", "cafe\u0301", (1, "e\u0301")),  # an accent added: the letter is typed again
    (FAMILY + ".", FAMILY, (1, "")),
    (FAMILY, FAMILY[:-1] + "\U0001F466", (5, FAMILY[:-1] + "\U0001F466")),
    ("go " + FLAG_DE, "go " + FLAG_DK, (2, FLAG_DK)),
    ("\U0001F600.", "\U0001F600", (1, "")),
])
def test_edit(old: str, new: str, expected: tuple[int, str]) -> None:
    assert edit(old, new) == expected
    assert apply(old, *edit(old, new)) == new


def test_backspace_safe() -> None:
    assert backspace_safe("company.", 1)
    assert backspace_safe(" Still has it.", 13)
    assert backspace_safe("x e\u0301.", 1)  # the accent is not deleted
    assert not backspace_safe("x e\u0301", 2)  # a cluster of two: toolkits differ
    assert not backspace_safe(FAMILY, 5)
    assert not backspace_safe("go " + FLAG_DE, 2)
    assert backspace_safe("\U0001F600", 1)  # one code point, one cluster
    assert backspace_safe("", 0)


def test_revision() -> None:
    r = Revision(3, "The invoice from the printing company.",
                 "The invoice from the printing company")
    assert r.edit() == (1, "")
    assert r.backspace_safe
    assert not Revision(4, "ok " + FAMILY, "ok").backspace_safe
    with pytest.raises(AttributeError):
        r.new = "x"  # type: ignore[misc]


def test_megabyte_edit_is_linear() -> None:
    # A common prefix of a megabyte: one pass over it (no quadratic slicing).
    old = "a" * 1_000_000 + "."
    assert edit(old, old[:-1]) == (1, "")
    assert backspace_safe(old, len(old))


def test_one_word_key_compares_words_case_and_punctuation_aside() -> None:
    assert word_key("The,") == word_key("the") == "the"
    assert word_key("new-line") == word_key("Newline.") == "newline"
    assert word_key("él") != word_key("el")  # accents are kept here...
    assert key("à") == key("a")  # ...and dropped only where commands are matched
    assert shared_words(["Send", "it,", "now"], ["send", "it", "now", "please"], word_key) == 3
    assert shared_words(["Send", "it"], ["send", "it"]) == 0  # no key: as written
