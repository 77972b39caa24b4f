"""Spoken commands: transcripts in, operations and final text out. Pure, no audio; the
transcripts are ones tiny.en wrote for the command corpus (bench/commands.md) or close to them.
"""

from __future__ import annotations

import pytest

from dictation.errors import ConfigError
from dictation.text.commands import (
    CommandConfig,
    Op,
    apply,
    bias_phrases,
    build_table,
    parse,
    render,
)

EN = build_table(CommandConfig())


def text(transcript: str) -> str:
    return apply(transcript, EN).text


def test_the_letter_from_the_issue() -> None:
    assert text("Dear Sam, comma, new line.") == "Dear Sam,\n"
    assert text("Thank you for the photos from the trip, period.") == (
        "Thank you for the photos from the trip.")
    assert text("New paragraph.") == "\n\n"
    assert text("The one from the lake is my favorite exclamation mark.") == (
        "The one from the lake is my favorite!")


def test_operations_name_what_was_heard() -> None:
    assert parse("Dear Sam, comma, new line.", EN) == (
        Op("text", "Dear Sam,"), Op("punct", ",", "comma,"), Op("newline", "\n", "new line."))


@pytest.mark.parametrize("transcript, want", [
    ("Is it done question mark", "Is it done?"),
    ("We need three things: Colon.", "We need three things:"),
    ("Bring the map, semicolon.", "Bring the map;"),
    ("That is all. Full stop.", "That is all."),
    ("Wow, exclamation point!", "Wow!"),
    ("Newline", "\n"),
    ("new-line", "\n"),
    ("New paragraph, new paragraph.", "\n\n\n\n"),
])
def test_each_built_in_command(transcript: str, want: str) -> None:
    assert text(transcript) == want


@pytest.mark.parametrize("sentence", [
    "the trial period ends on Friday",
    "A comma splice joins two sentences",
    "She launched a new line of garden furniture.",
    "There is a question mark over the budget.",
    "Period costumes are expensive to make.",
])
def test_command_words_inside_a_sentence_stay_words(sentence: str) -> None:
    assert parse(sentence, EN) == (Op("text", sentence),)
    assert text(sentence) == sentence


def test_a_clause_boundary_the_model_marked_makes_a_command_mid_utterance() -> None:
    assert text("Did you go, question mark, and did you like it?") == (
        "Did you go? And did you like it?")
    assert text("The weather was lovely, comma, but the hotel was noisy, period.") == (
        "The weather was lovely, but the hotel was noisy.")


def test_a_command_at_the_start_needs_the_models_boundary_after_it() -> None:
    assert text("New paragraph. the one from the lake") == "\n\nThe one from the lake"
    assert text("New line of products is out") == "New line of products is out"


def test_a_mark_and_a_line_break_said_together_count_mid_utterance() -> None:
    # The model writes no pause where the speaker runs on; no sentence runs that way.
    assert text("Thanks for your help full stop new line regards") == (
        "Thanks for your help.\nRegards")
    assert text("Dear Sam comma new paragraph the photos are here") == (
        "Dear Sam,\n\nThe photos are here")
    # A line break alone mid-utterance stays words, as does a noun before it.
    assert text("We need new line managers") == "We need new line managers"
    assert text("Take the period new line managers") == "Take the period new line managers"


def test_scratch_that_counts_only_as_an_utterance_of_its_own() -> None:
    for said in ("Scratch that.", "scratch that", "Delete that!", "DELETE THAT"):
        assert apply(said, EN).retract
        assert apply(said, EN).text == ""
    for said in ("Please delete that.", "Scratch that itch.", "comma scratch that"):
        r = apply(said, EN)
        assert not r.retract
        assert "that" in r.text


def test_model_punctuation_before_a_command_is_replaced_not_doubled() -> None:
    assert text("Thanks... period.") == "Thanks."
    assert text("Really?! Question mark.") == "Really?"
    assert text("Stop, comma, comma.") == "Stop,,"  # two dictated commas are both kept


def test_capitals_after_a_sentence_end_and_a_line_break() -> None:
    assert text("hello, period, the end") == "hello. The end"
    assert text("hello, comma, the end") == "hello, the end"
    assert text("hi, new line, there") == "hi,\nThere"


def test_what_follows_the_previous_utterance_directly_is_flagged() -> None:
    assert apply("comma", EN) == apply("Comma.", EN)
    assert apply("comma", EN).attach and apply("comma", EN).text == ","
    assert apply("New line.", EN).attach
    assert not apply("Hello, comma.", EN).attach
    assert render(()).text == ""


def test_config_table_extends_and_overrides_and_removes() -> None:
    cfg = CommandConfig(table={"en": {"full point": ".", "period": "", "next line": "newline",
                                      "open bracket": "(", "undo that": "scratch"}})
    t = build_table(cfg)
    assert apply("It ends, full point.", t).text == "It ends."
    assert apply("the trial, period.", t).text == "the trial, period."  # removed
    assert apply("Hi, next line.", t).text == "Hi,\n"
    assert apply("call me, open bracket, maybe", t).text == "call me (maybe"
    assert apply("Undo that.", t).retract
    assert "period" not in bias_phrases(t) and "full point" in bias_phrases(t)


def test_a_language_without_a_built_in_table_has_commands_only_if_configured() -> None:
    assert apply("Ciao, virgola.", build_table(CommandConfig(language="it"))).text == (
        "Ciao, virgola.")
    it = build_table(CommandConfig(language="it", table={"it": {"virgola": ",",
                                                                 "a capo": "newline"}}))
    assert apply("Ciao, virgola, a capo.", it).text == "Ciao,\n"
    assert bias_phrases(it) == ("virgola", "a capo")


@pytest.mark.parametrize("table, message", [
    ({"en": {"beep": 3}}, "commands.en: 'beep' must be a string"),
    ({"en": {"beep": "x" * 40}}, "commands.en: 'beep': "),
    ({"en": {"beep": "\x1b[2J"}}, "commands.en: 'beep': "),
    ({"en": {"...": "."}}, "commands.en: '...' must be 1 to 6 words"),
])
def test_bad_table_entries_are_one_line_naming_the_entry(table: dict, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        build_table(CommandConfig(table=table))
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)


def test_bias_phrases_are_the_table_phrases() -> None:
    phrases = bias_phrases(EN)
    assert {"comma", "period", "new line", "scratch that"} <= set(phrases)
    assert len(phrases) == len(set(phrases))


def test_long_transcripts_take_linear_time() -> None:
    # Untrusted text: matching looks at most a phrase's length ahead from each word.
    long = "comma " * 20000
    ops = parse(long, EN)
    assert len(ops) == 20000
    assert apply(long, EN).text == "," * 20000


@pytest.mark.parametrize("sentence", [
    "A comma splice joins two sentences with only a comma.",
    "My favourite punctuation mark is the colon.",
    "Is there a full stop?",
    # Said after a pause, a phrase of its own; also what tiny.en wrote for "Ana full stop"
    # (bench/commands.md): the words cannot tell the two apart, so they stay words.
    "And a full stop.",
])
def test_a_command_word_after_a_determiner_is_a_noun(sentence: str) -> None:
    assert text(sentence) == sentence
    # The benchmark's comparison: without the guard words they became commands.
    assert parse(sentence, EN, guard=False) != (Op("text", sentence),)


def test_the_guard_gives_way_to_the_models_punctuation() -> None:
    assert text("Bring this, period.") == "Bring this."
    assert text("I said that period.") == "I said that."
    assert text("the comma") == ("the comma")


def test_rules_from_narrow_to_wide() -> None:
    said = "Thanks, period, see you soon comma"
    assert [apply(said, EN, rule).text for rule in ("whole", "end", "boundary", "anywhere")] == [
        "Thanks, period, see you soon comma",
        "Thanks, period, see you soon,",
        "Thanks. See you soon,",
        "Thanks. See you soon,",
    ]
    assert apply("the trial period ends", EN, "anywhere").text == "the trial. Ends"


def test_the_guard_makes_a_noun_of_the_next_phrase_only() -> None:
    assert text("There's a comma, new line,") == "There's a comma,\n"


def test_commands_off_leave_the_text_and_bias_nothing() -> None:
    off = build_table(CommandConfig(enabled=False))
    assert apply("Dear Sam, comma, new line.", off).text == "Dear Sam, comma, new line."
    assert not apply("Scratch that.", off).retract
    assert bias_phrases(off) == ()


def test_misheard_retractions_count_but_are_never_asked_for() -> None:
    # What tiny.en wrote for "scratch that" and "delete that" in the corpus' voices.
    for said in ("scratch mark,", "Scratch mark", "Delete mark."):
        assert apply(said, EN).retract, said
    assert not {"scratch mark", "delete mark"} & set(bias_phrases(EN))
    assert text("There is a scratch mark on the door.") == "There is a scratch mark on the door."
    # Removing the phrase removes its mishearing too.
    t = build_table(CommandConfig(table={"en": {"scratch that": ""}}))
    assert not apply("Scratch mark.", t).retract and apply("Delete mark.", t).retract


def test_a_retraction_the_model_wrote_twice_takes_back_one_utterance() -> None:
    ops = parse("scratch that, scratch that,", EN)
    assert ops == (Op("scratch", "", "scratch that, scratch that,"),)
    assert apply("Delete that. Scratch that.", EN).retract
    # Anything else in the utterance, and it is not a retraction.
    for said in ("scratch that, comma", "scratch that, the rest scratch that"):
        assert not apply(said, EN).retract


@pytest.mark.parametrize(("said", "want"), [
    ("We are still in the trial period.", "We are still in the trial period."),
    ("It has a grace period", "It has a grace period"),
    ("He is on trial, period.", "He is on trial."),  # the model's comma: a command
    ("We are still in the trial period period", "We are still in the trial period."),
    ("Thank you for the photos from the trip period.", "Thank you for the photos from the trip."),
    ("Give me notice full stop", "Give me notice."),  # only "period" makes the compound
])
def test_a_compound_noun_keeps_its_command_word(said: str, want: str) -> None:
    assert text(said) == want
