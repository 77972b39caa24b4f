"""bench/formatting.py, the benchmark's formatted-text measure: pure, no audio."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from formatting import Formatting, measure, words

REF = ["The invoice from the printing company still has the wrong billing address on it.",
       "I was thinking that maybe we should move the launch to the second week of March."]


def test_the_issue_example_counts_two_false_ends_and_two_false_capitals() -> None:
    out = ["The invoice from the printing company.",
           "Still has the wrong billing address on it.",
           "I was thinking that maybe.",
           "We should move the launch to the second week on March."]
    f = measure(REF, out)
    assert (f.false_ends, f.false_capitals) == (2, 2)
    assert (f.missed_ends, f.missed_capitals) == (0, 0)
    assert f.examples == ["false end: from the printing company | still",
                          "false end: was thinking that maybe | we",
                          "false capital: the printing company Still has",
                          "false capital: thinking that maybe We should"]


def test_one_line_per_sentence_is_clean() -> None:
    f = measure(REF, REF)
    assert (f.false_ends, f.false_capitals, f.missed_ends, f.missed_capitals) == (0, 0, 0, 0)
    # A misheard word changes neither count: "lunch" for "launch".
    f = measure(REF, [REF[0], REF[1].replace("launch", "lunch")])
    assert (f.false_ends, f.false_capitals) == (0, 0)


def test_a_line_break_alone_is_a_sentence_end() -> None:
    f = measure(REF, ["The invoice from the printing company",
                      "still has the wrong billing address on it.", REF[1]])
    assert (f.false_ends, f.false_capitals) == (1, 0)


def test_run_on_sentences_are_missed_ends_and_capitals() -> None:
    f = measure(REF, [REF[0][:-1] + " i was thinking that maybe we should move the launch to "
                      "the second week of march."])
    assert (f.false_ends, f.false_capitals) == (0, 0)
    assert (f.missed_ends, f.missed_capitals) == (1, 2)


def test_an_ellipsis_inside_a_line_is_no_end_but_a_question_mark_is() -> None:
    f = measure(REF, ["The invoice from the printing company... still has the wrong "
                      "billing address on it.", REF[1]])
    assert f.false_ends == 0
    f = measure(REF, ["The invoice from the printing company? still has the wrong "
                      "billing address on it.", REF[1]])
    assert f.false_ends == 1


def test_an_end_after_an_inserted_word_or_before_a_lost_one() -> None:
    # "um." inserted after "company": the end falls in the gap after "company".
    f = measure(REF, ["The invoice from the printing company um.",
                      "still has the wrong billing address on it.", REF[1]])
    assert f.false_ends == 1
    # The last words lost: the line's end still stands for the sentence's end.
    f = measure(REF, ["The invoice from the printing company still has the wrong billing.",
                      REF[1]])
    assert (f.false_ends, f.missed_ends) == (0, 0)


def test_capital_i_and_names_are_not_false() -> None:
    f = measure(["Then I asked Sarah."], ["Then I asked Sarah."])
    assert f.false_capitals == 0
    f = measure(["then i asked sarah."], ["Then I asked Sarah."])
    assert f.false_capitals == 3


def test_words() -> None:
    ws = words(['He said "no." Then left', "ok ."])
    assert [(w.norm, w.capital, w.end) for w in ws] == [
        ("he", True, False), ("said", False, False), ("no", False, True),
        ("then", True, False), ("left", False, True), ("ok", False, True)]
    assert words(["", "  ", "— …"]) == []


def test_empty_sides() -> None:
    assert measure([], []) == Formatting()
    f = measure(REF, [])
    assert (f.false_ends, f.missed_ends) == (0, 2)
    f = measure([], ["Hello.", "There."])
    assert f.false_ends == 1  # the ends of unpaired words fall before any reference word
    assert (Formatting(1, 0, 2, 0) + Formatting(0, 1, 1, 1)) == Formatting(1, 1, 3, 1)
