"""Formatting across utterance boundaries and the session's delivered text: pure, no audio.
The utterance texts are what tiny.en wrote for the hesitation corpus (bench/boundary.py)."""

from __future__ import annotations

import time

import pytest

from dictation.text.assemble import (
    MAX_PIECES,
    TAIL_CHARS,
    Assembler,
    Revision,
    join,
    proper_nouns,
    unfinish,
)


def test_the_issue_examples_read_as_one_sentence() -> None:
    a = Assembler()
    first = a.add(1, "The invoice from the printing company.")
    assert first == "The invoice from the printing company."
    assert a.unfinish_last() == Revision(1, first, "The invoice from the printing company")
    assert a.add(2, "Still has the wrong billing address on it.") == \
        " still has the wrong billing address on it."
    assert a.text == ("The invoice from the printing company still has the wrong billing "
                      "address on it.")
    a.add(3, "I was thinking that maybe.")
    assert a.unfinish_last() is not None
    assert a.add(4, "We should move the launch to the second week of March.") == \
        " we should move the launch to the second week of March."
    assert a.text.endswith("it. I was thinking that maybe we should move the launch to the "
                           "second week of March.")


def test_new_sentence_after_end_marks() -> None:
    for end in (".", "?", "!", '."', "?)"):
        assert join(f"Done{end}", "next one.") == " Next one."
    assert join("", "hello there.") == "Hello there."
    assert join("Line one\n", "and more") == "And more"


def test_lower_case_continuation() -> None:
    assert join("First,", "Second thing.") == " second thing."
    assert join("The report is", "Finished.") == " finished."
    assert join("I was thinking...", "We should go.") == " we should go."
    assert join("I was thinking…", "We should go.") == " we should go."
    assert join("Send it to", "The whole team.") == " the whole team."
    assert join("Meet Dr.", "Smith today.") == " Smith today."  # an abbreviation's period
    assert join("Red vs.", "Blue today.") == " blue today."


@pytest.mark.parametrize("word", ["I", "I'm", "I'll", "I've", "I'd", "I’m"])
def test_i_keeps_its_capital(word: str) -> None:
    assert join("so", f"{word} said yes.") == f" {word} said yes."


def test_proper_nouns_keep_their_capitals() -> None:
    # Seen capitalised mid-sentence before: a name.
    assert join("Could you ask Sarah to send it? Then", "Sarah can check.") == \
        " Sarah can check."
    # Acronyms and inner capitals, days and months, the user's vocabulary.
    assert join("ask", "NASA about it.") == " NASA about it."
    assert join("ask", "GitHub about it.") == " GitHub about it."
    assert join("see you on", "Friday evening.") == " Friday evening."
    assert join("in", "March.") == " March."
    assert join("flying in from", "Toronto tonight.", frozenset({"toronto"})) == \
        " Toronto tonight."
    # Never seen mid-sentence: lower-cased (the documented price of text alone).
    assert join("flying in from", "Toronto tonight.") == " toronto tonight."
    # A capital at a sentence start is not evidence of a name.
    assert join("Still here. Still there", "Still going.") == " still going."
    # "May" is left out of the months: far more often the verb.
    assert join("we", "May go.") == " may go."


def test_spacing() -> None:
    assert join("", "  hi.  ") == "Hi."
    assert join("one ", "two") == "two"
    assert join("one", ", two") == ", two"
    assert join("one", "... two") == "... two"
    assert join("a\n", "b") == "B"
    assert join("see (", "Toronto)") == "toronto)"
    assert join("He said “", "hello”") == "hello”"


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_empty_text_delivers_nothing(text: str) -> None:
    assert join("Before.", text) == ""


def test_odd_texts() -> None:
    assert join("", "42 apples.") == "42 apples."
    assert join("", '"quoted," she said.') == '"Quoted," she said.'
    assert join("so", "¿Qué?") == " ¿qué?"
    assert join("Done.", "iPhone sales rose.") == " iPhone sales rose."
    assert join("", "...") == "..."
    assert join("", "é") == "É"


def test_unfinish() -> None:
    assert unfinish("The invoice from the printing company.") == \
        "The invoice from the printing company"
    assert unfinish(" I was thinking that maybe... ") == " I was thinking that maybe"
    assert unfinish("Let me think…") == "Let me think"
    assert unfinish('He said "wait."') == 'He said "wait"'
    assert unfinish("Is it ready?") == "Is it ready?"
    assert unfinish("Wow!") == "Wow!"
    assert unfinish("Call Dr.") == "Call Dr."
    assert unfinish("It is 9 a.m.") == "It is 9 a.m."
    assert unfinish("Neither did I.") == "Neither did I"
    assert unfinish("First,") == "First,"
    assert unfinish("") == "" and unfinish(".") == ""


def test_proper_nouns() -> None:
    assert proper_nouns("Ask Sarah. Then Bob and I go to Paris.") == {"Sarah", "Bob", "Paris"}
    assert proper_nouns("Ask Sarah. Bob and I go.") == {"Sarah"}
    assert proper_nouns("Note: Remember the milk") == set()
    assert proper_nouns("") == set()


def test_assembler_revise_and_undo() -> None:
    a = Assembler()
    a.add(1, "Do you know whether the train leaves at 9?")
    assert a.add(2, "Or at 10?") == " Or at 10?"  # after "?" a new sentence
    rev = a.revise_last("or at 10?")
    assert rev is None  # formatted the same: nothing to change
    rev = a.revise_last("Or at ten?")
    assert rev == Revision(2, " Or at 10?", " Or at ten?")
    assert rev.edit() == (3, "ten?")
    assert a.last == (2, " Or at ten?")
    assert a.undo_last() == Revision(2, " Or at ten?", "")
    assert a.undo_last() == Revision(1, "Do you know whether the train leaves at 9?", "")
    assert a.undo_last() is None and a.unfinish_last() is None and a.last is None
    assert a.add(3, "  ") == "" and a.last is None  # nothing shown, nothing to revise
    assert a.revise_last("x") is None
    assert a.text == ""


def test_assembler_learns_names_for_the_session() -> None:
    a = Assembler(keep_caps=frozenset({"Kubernetes"}))
    a.add(1, "Please tell David that the report.")
    a.unfinish_last()
    a.add(2, "Is finished and waiting for his review.")
    a.add(3, "I asked.")
    a.unfinish_last()
    assert a.add(4, "David agreed.") == " David agreed."
    assert a.add(5, "Kubernetes, too,") == " Kubernetes, too,"
    assert a.add(6, "Kubernetes again,") == " Kubernetes again,"
    assert a.add(7, "The end.") == " the end."


def test_assembler_keeps_a_bounded_tail() -> None:
    a = Assembler()
    for i in range(MAX_PIECES * 3):
        a.add(i, f"Sentence number {i} of many, with some words to fill it up.")
    assert len(a.text) == TAIL_CHARS
    assert a.text.endswith(f"Sentence number {MAX_PIECES * 3 - 1} of many, with some words "
                           "to fill it up.")
    for _ in range(MAX_PIECES):
        assert a.undo_last() is not None
    assert a.undo_last() is None  # older pieces are no longer revisable
    assert a.text.endswith(f"{MAX_PIECES * 2 - 1} of many, with some words to fill it up.")


def test_megabytes_are_handled_in_linear_time() -> None:
    huge = "word " * 200_000
    t0 = time.perf_counter()
    assert join(huge + "and", "Then " + huge).startswith(" then word")
    assert join("x" * 1_000_000 + ".", "y" * 1_000_000).startswith(" Y")
    assert unfinish(huge + ".").endswith("word")
    a = Assembler()
    a.add(1, huge)
    a.add(2, "Ab" * 500_000)
    assert len(a.text) == TAIL_CHARS
    # Generous: each call reads bounded tails and copies the text once; anything quadratic
    # in a megabyte would take minutes.
    assert time.perf_counter() - t0 < 2.0
