"""The text stage with each piece's language: commands, bias words, boundaries and capitals
follow the language given with each call; None is the run's language. No audio."""

from __future__ import annotations

import asyncio

from dictation.text.boundary import BoundaryConfig
from dictation.text.commands import CommandConfig, Rendered
from dictation.text.config import TextConfig
from dictation.text.languages import UNKNOWN, code
from dictation.text.stage import TextStage


def render(stage: TextStage, transcript: str, language: str | None = None) -> Rendered:
    return asyncio.run(stage.render(transcript, language=language))


def test_each_piece_gets_its_languages_commands_in_one_session() -> None:
    stage = TextStage(TextConfig())
    assert render(stage, "Cher Paul virgule à la ligne", "fr").text == "Cher Paul,\n"
    assert render(stage, "Dear Sam comma new line").text == "Dear Sam,\n"  # None: English
    assert render(stage, "Dear Sam comma new line", "fr").text == "Dear Sam comma new line"
    assert render(stage, "Lieber Paul Komma", "de").text == "Lieber Paul,"
    assert render(stage, "Querido Pablo coma", "es").text == "Querido Pablo,"
    assert render(stage, "Caro Paolo virgola", "it").text == "Caro Paolo virgola"
    assert render(stage, "Annule ça.", "fr") == Rendered("", retract=True)
    assert not render(stage, "Scratch that.", "de").retract


def test_none_is_the_runs_language() -> None:
    stage = TextStage(TextConfig(commands=CommandConfig(language="de")))
    assert render(stage, "Hallo Komma").text == "Hallo,"
    assert render(stage, "Hello comma", "en").text == "Hello,"
    assert not stage.complete("Ich habe einen.")
    assert stage.complete("The meeting is at.")  # English words mean nothing in German
    assert not stage.complete("The meeting is at.", language="en")


def test_the_language_may_come_as_whisper_names_it_or_with_a_region() -> None:
    stage = TextStage(TextConfig())
    assert render(stage, "Hallo Komma", "german").text == "Hallo,"
    assert render(stage, "Hola coma", "es-MX").text == "Hola,"
    assert render(stage, "Hola coma", "not a language!").text == "Hola coma"


def test_the_prompts_bias_words_are_the_pieces_languages() -> None:
    stage = TextStage(TextConfig(vocabulary=("Xiomara",)))
    fr = stage.bias_for("fr")
    assert fr[0] == "Xiomara" and {"virgule", "à la ligne"} <= set(fr)
    assert not {"comma", "period", "Komma"} & set(fr)
    assert stage.bias == stage.bias_for() == stage.bias_for("en")
    assert "comma" in stage.bias
    assert stage.bias_for("ja") == ("Xiomara",)
    off = TextStage(TextConfig(commands=CommandConfig(enabled=False), vocabulary=("Xiomara",)))
    assert off.bias_for("fr") == ("Xiomara",)
    assert render(off, "Bonjour virgule", "fr").text == "Bonjour virgule"


def test_the_users_table_for_a_language_in_the_stage() -> None:
    config = CommandConfig(table={"fr": {"virgule": "", "guillemet ouvrant": "«"},
                                  "it": {"virgola": ","}})
    stage = TextStage(TextConfig(commands=config))
    assert render(stage, "Bonjour virgule", "fr").text == "Bonjour virgule"
    assert render(stage, "Il dit, guillemet ouvrant, salut", "fr").text == "Il dit «salut"
    assert render(stage, "Ciao virgola", "it").text == "Ciao,"
    assert "virgola" in stage.bias_for("it") and "virgule" not in stage.bias_for("fr")


def test_a_retraction_at_the_end_in_each_language() -> None:
    stage = TextStage(TextConfig())
    assert stage.ends_with_retract("Rendez-vous à, efface ça.", language="fr")
    assert stage.ends_with_retract("Das Treffen ist um, lösche das.", language="de")
    assert not stage.ends_with_retract("Das Treffen ist um, lösche das.")
    assert stage.ends_with_retract("The meeting is at, scratch that.")


def test_boundaries_in_each_language_and_none_guessed_in_others() -> None:
    stage = TextStage(TextConfig())
    assert not stage.complete("Je pense que.", language="fr")
    assert not stage.complete("Creo que.", language="es")
    assert not stage.complete("Ich habe einen.", language="de")
    assert stage.complete("Penso che.", language="it")
    assert stage.complete("Penso che", language="it")  # no end mark asked for
    assert stage.continues("et demain aussi.", language="fr")
    assert stage.continues("Und morgen auch.", language="de")
    assert not stage.continues("e domani.", language="it")
    assert not stage.continues("and tomorrow.", language="pt")
    assert stage.continues("and tomorrow.")


def test_capitals_follow_the_pieces_language() -> None:
    stage = TextStage(TextConfig(boundary=BoundaryConfig()))
    stage.add(1, render(stage, "Das Treffen ist.", "de"), language="de")
    rev = stage.extend_last(render(stage, "Um drei Uhr im Büro.", "de"), language="de")
    assert rev is not None and rev.new == "Das Treffen ist um drei Uhr im Büro."
    stage.add(2, render(stage, "Nous partons en.", "fr"), language="fr")
    rev = stage.extend_last(render(stage, "Mars prochain.", "fr"), language="fr")
    assert rev is not None and rev.new == " Nous partons en mars prochain."
    rev = stage.revise_last(render(stage, "Nous partons en Mars, virgule", "fr"), language="fr")
    assert rev is not None and rev.new == " Nous partons en Mars,"
    stage.add(3, Rendered("Wir brauchen noch"), language="de")
    _, piece = stage.add(4, Rendered("Unterlagen."), language="de")
    assert piece == " Unterlagen."
    stage.add(5, Rendered("Penso che"), language="it")
    _, piece = stage.add(6, Rendered("Domani piove."), language="it")
    assert piece == " Domani piove."  # no rule of Italian's says it may be lower-cased


def test_language_codes() -> None:
    assert [code(x) for x in (None, "", "en", "FR", "de-AT", "es_MX", "german", "Spanish",
                              "pt", "yue")] == [
        "en", "en", "en", "fr", "de", "es", "de", "es", "pt", "yue"]
    assert code(None, "fr") == "fr" and code("", "de") == "de"
    assert code("not a language") == code("12") == code("ελ") == UNKNOWN
