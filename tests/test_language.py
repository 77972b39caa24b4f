"""Which language an utterance is in, decided at the engine: the detector's probabilities
restricted to the user's languages, a short utterance keeping the language before, an unsure
one decoded in the runner-up too and the better-scored text winning,
what a server is asked and how its answer's language is read, and the prompt per language.
Pure: no audio, no model."""

from __future__ import annotations

import pytest

from dictation.deliver.requestprompt import Prompter
from dictation.records import Transcribed
from dictation.text.config import TextConfig
from dictation.text.stage import TextStage
from dictation.transcribe import Hint, Segment, Transcript
from dictation.transcribe.language import (
    Scored,
    better,
    code_of,
    known,
    pick,
    scored,
    to_ask,
)
from dictation.transcribe.response import parse

# What a multilingual base gave a Spanish sentence said by an English voice: Portuguese and
# Galician lead, Spanish third.
PROBS = [("pt", 0.40), ("gl", 0.22), ("es", 0.20), ("en", 0.10), ("fr", 0.05)]
ALLOWED = frozenset({"en", "fr", "es"})


def test_detection_picks_among_the_users_languages_only() -> None:
    got = pick(PROBS, ALLOWED, None, 3.0)
    assert got.language == "es" and got.probability == pytest.approx(0.20 / 0.35)
    assert pick(PROBS, None, None, 3.0).language == "pt"  # no set: anything goes
    # None of them weighed at all: the language before, or the set's first.
    assert pick([("ja", 1.0)], ALLOWED, "fr", 3.0).language == "fr"
    assert pick([("ja", 1.0)], ALLOWED, None, 3.0).language == "en"


def test_a_short_utterance_keeps_the_language_before_and_a_sure_one_switches() -> None:
    sure = [("fr", 0.95), ("en", 0.04)]
    got = pick(sure, ALLOWED, "en", 3.0)
    assert (got.language, got.rival, got.kept) == ("fr", None, False)  # confident: it switches
    kept = pick(sure, ALLOWED, "en", 0.8)
    assert kept.language == "en" and kept.kept  # one word: too little to hear
    assert kept.rival is None  # and not decoded twice
    # A language before that the set no longer holds is not kept.
    assert pick(sure, frozenset({"fr", "es"}), "en", 0.8).language == "fr"


def test_an_unsure_detection_names_its_runner_up_to_decode_as_well() -> None:
    unsure = [("fr", 0.45), ("en", 0.30), ("es", 0.25)]  # the likeliest, but not by much
    got = pick(unsure, ALLOWED, "en", 3.0)
    assert (got.language, got.rival, got.kept) == ("fr", "en", False)
    assert got.probability == pytest.approx(0.45)
    assert pick(unsure, ALLOWED, None, 3.0).rival == "en"  # nothing before: the same two
    # The runner-up among the user's languages, not among all: Portuguese is not theirs.
    assert pick(PROBS, ALLOWED, "en", 3.0).rival == "en"
    assert pick(PROBS, ALLOWED, "en", 3.0).language == "es"
    # Sure enough, or nothing to compare with: one decode.
    assert pick([("fr", 0.92), ("en", 0.08)], ALLOWED, "en", 3.0).rival is None
    assert pick([("fr", 0.85), ("en", 0.15)], ALLOWED, "en", 3.0).rival == "en"  # under 0.9
    assert pick([("fr", 0.45)], ALLOWED, "en", 3.0).rival is None
    assert "fr 0.450 en 0.300" in str(got)  # the log line shows the detector's shares


def test_the_better_scored_decode_wins_and_a_broken_one_never_does() -> None:
    likely, unlikely = Scored(-0.2, broken=False), Scored(-0.9, broken=False)
    assert better(likely, unlikely) and not better(unlikely, likely)
    assert not better(likely, likely)  # a tie keeps the detector's choice
    looped = Scored(-0.1, broken=True)  # likely tokens, but a repetition loop
    assert not better(looped, unlikely) and better(unlikely, looped)
    assert better(Scored(-0.5, True), Scored(-0.9, True))  # both broken: the likelier


def test_a_decodes_score_is_its_segments_mean_and_no_text_scores_lowest() -> None:
    two = Transcript("a b", (Segment(0, 1, "a", -0.2), Segment(1, 2, "b", -0.6)), "en")
    assert scored(two, False) == Scored(pytest.approx(-0.4), False)
    empty = Transcript("", (Segment(0, 1, "", -0.1),), "fr")
    assert scored(empty, False).avg_logprob == float("-inf")
    assert better(scored(two, False), scored(empty, False))


def test_what_a_server_is_asked() -> None:
    assert to_ask(None, None, ("en", "fr"), "fr") == (None, "fr")  # it detects; fr's prompt
    assert to_ask(None, "de", (), None) == ("de", "de")  # --language de: always sent
    assert to_ask(None, None, ("es",), "en") == ("es", "es")  # a set of one is one language
    assert to_ask("fr", None, ("en", "fr"), "en") == ("fr", "fr")  # a piece heard again


def test_a_servers_answer_names_its_language_as_a_code_or_a_name() -> None:
    assert code_of("english") == code_of("English") == code_of("en") == "en"
    assert code_of("haitian creole") == "ht" and code_of("klingon") is None
    assert code_of(None) is None and code_of(3) is None
    assert parse(b'{"text": "Bonjour.", "language": "french"}', "verbose_json").language == "fr"
    assert parse(b'{"text": "Hi."}', "json").language is None
    assert known(["en", "xx", "fr"]) == ["xx"]


def piece(seq: int, text: str, language: str | None) -> Transcribed:
    return Transcribed(seq, text, 0.0, 1.0, 0.0, 1.0, lead=" " if seq > 1 else "",
                       language=language)


def test_each_languages_prompt_holds_the_text_in_that_language_only() -> None:
    pieces = [piece(1, "Good morning.", "en"), piece(2, "Bonjour à tous.", "fr"),
              piece(3, "Let us start.", "en")]
    stage = TextStage(TextConfig())
    for p in pieces:
        stage.assembler.add(p.seq, p.text, False)
    hint = Prompter(stage, "Minutes:", pieces=lambda: pieces,
                    languages=("en", "fr", "es")).prompt().hint
    assert hint.previous == "en"
    assert hint.prompts["en"].endswith("Good morning. Let us start.")
    assert hint.prompts["fr"].endswith("Bonjour à tous.") and "morning" not in hint.prompts["fr"]
    assert "Good" not in hint.prompts["es"] and hint.prompts["es"].startswith("Minutes:")
    assert hint.prompt_for("de", "plain") == hint.other  # a language never heard: no text
    before = Prompter(stage, pieces=lambda: pieces, languages=("en", "fr")).prompt(
        before_last=True).hint
    assert before.previous == "fr"  # the newest piece heard again: the one before it decides
    one = Prompter(stage, pieces=lambda: pieces, languages=("en",)).prompt().hint
    assert one == Hint(previous="en")  # one language: nothing to decide, the plain prompt


@pytest.mark.parametrize("languages", [(), ("en", "fr")])
def test_a_piece_whose_language_the_engine_left_unsaid_stays_in_every_prompt(
        languages: tuple[str, ...]) -> None:
    # A server that answers without a language (OpenAI's json) still continues the text.
    pieces = [piece(1, "First line.", None), piece(2, "Second line.", None)]
    stage = TextStage(TextConfig())
    for p in pieces:
        stage.assembler.add(p.seq, p.text, False)
    prompt = Prompter(stage, pieces=lambda: pieces, languages=languages).prompt()
    for lang in ("en", "fr", None):
        assert prompt.hint.prompt_for(lang, prompt.text).endswith("First line. Second line.")
    # Beside a piece whose language is known, the unsaid one is in every language's tail.
    mixed = [piece(1, "Bonjour.", "fr"), piece(2, "Second line.", None)]
    hint = Prompter(stage, pieces=lambda: mixed, languages=languages).prompt().hint
    assert hint.prompts["fr"].endswith("Bonjour. Second line.")
    assert hint.other is not None and hint.other.endswith("Second line.")
    assert "Bonjour" not in hint.other
