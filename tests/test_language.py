"""Which language an utterance is in, decided at the engine: the detector's probabilities
restricted to the user's languages, a short or unsure utterance keeping the language before,
what a server is asked and how its answer's language is read, and the prompt per language.
Pure: no audio, no model."""

from __future__ import annotations

import pytest

from dictation.deliver.requestprompt import Prompter
from dictation.records import Transcribed
from dictation.text.config import TextConfig
from dictation.text.stage import TextStage
from dictation.transcribe import Hint
from dictation.transcribe.language import code_of, known, pick, to_ask
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


def test_a_short_or_unsure_utterance_keeps_the_language_before_and_a_sure_one_switches() -> None:
    sure = [("fr", 0.95), ("en", 0.04)]
    unsure = [("fr", 0.45), ("en", 0.30), ("es", 0.25)]  # the likeliest, but not the most
    assert pick(sure, ALLOWED, "en", 3.0).language == "fr"  # confident: it switches
    kept = pick(unsure, ALLOWED, "en", 3.0)
    assert kept.language == "en" and kept.kept  # leaning, not sure: it stays
    assert pick(sure, ALLOWED, "en", 0.8).language == "en"  # one word: too little to hear
    assert pick(unsure, ALLOWED, None, 3.0).language == "fr"  # nothing before: the likeliest
    # A language before that the set no longer holds is not kept.
    assert pick(unsure, frozenset({"fr", "es"}), "en", 3.0).language == "fr"


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
