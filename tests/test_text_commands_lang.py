"""Spoken commands in French, Spanish and German: each language's built-in table, its words
typed literally where they are ordinary words, its retraction, and the user's table for it.
Pure, no audio; the transcripts are written as Whisper writes those languages."""

from __future__ import annotations

import pytest

from dictation.text.commands import (
    CommandConfig,
    Op,
    Rendered,
    apply,
    bias_phrases,
    build_table,
    parse,
)

FR, ES, DE = (build_table(CommandConfig(), language) for language in ("fr", "es", "de"))
TABLES = {"fr": FR, "es": ES, "de": DE}


def text(transcript: str, language: str) -> str:
    return apply(transcript, TABLES[language]).text


@pytest.mark.parametrize(("language", "said", "want"), [
    ("fr", "Cher Paul virgule à la ligne", "Cher Paul,\n"),
    ("fr", "Cher Paul, virgule, A la ligne.", "Cher Paul,\n"),  # with or without its accent
    ("fr", "Tu viens point d'interrogation", "Tu viens?"),
    ("fr", "Super, point d’exclamation.", "Super!"),
    ("fr", "Voici la liste deux points", "Voici la liste:"),
    ("fr", "Bonjour point-virgule", "Bonjour;"),
    ("fr", "Bonjour point virgule", "Bonjour;"),  # not "." then ","
    ("fr", "C'est fini point à la ligne", "C'est fini.\n"),
    ("fr", "Merci. Nouveau paragraphe.", "Merci.\n\n"),
    ("fr", "Et voilà points de suspension", "Et voilà…"),
    ("es", "Querido Pablo coma nueva línea", "Querido Pablo,\n"),
    ("es", "Hola, nueva linea.", "Hola,\n"),  # the model's comma stays before a break
    ("es", "Vienes mañana signo de interrogación", "Vienes mañana?"),
    ("es", "Abrir signo de interrogación vienes mañana cerrar signo de interrogación",
     "¿vienes mañana?"),
    ("es", "Lo siguiente dos puntos", "Lo siguiente:"),
    ("es", "Hola, punto y coma.", "Hola;"),
    ("es", "Fin del texto punto y aparte", "Fin del texto.\n\n"),
    ("es", "Fin del texto. Punto y aparte.", "Fin del texto.\n\n"),  # one period, not two
    ("es", "Hablé con él punto", "Hablé con él."),  # "él" (he) is no article
    ("de", "Lieber Paul Komma neue Zeile", "Lieber Paul,\n"),
    ("de", "Kommst du morgen Fragezeichen", "Kommst du morgen?"),
    ("de", "Toll, Ausrufezeichen.", "Toll!"),
    ("de", "Folgendes Doppelpunkt", "Folgendes:"),
    ("de", "Erstens Strichpunkt", "Erstens;"),
    ("de", "Hallo neuer Absatz", "Hallo\n\n"),
    ("de", "Ich weiß das Punkt", "Ich weiß das."),  # "das" here is a pronoun
    ("de", "Das kann sein Punkt", "Das kann sein."),
])
def test_each_languages_commands(language: str, said: str, want: str) -> None:
    assert text(said, language) == want


@pytest.mark.parametrize(("language", "sentence"), [
    ("fr", "la virgule est mal placée"),
    ("fr", "C'est un bon point."),
    ("fr", "Je suis d'accord sur ce point."),
    ("fr", "Il a marqué deux points."),
    ("fr", "Il manque une virgule."),
    ("fr", "La nouvelle ligne de métro ouvre demain."),
    ("es", "el punto de venta"),
    ("es", "Nos vemos a las tres en punto."),
    ("es", "Está en coma."),
    ("es", "Ganamos dos puntos."),
    ("es", "Falta una coma."),
    ("es", "Presentamos la nueva línea de productos."),
    ("de", "der Punkt ist"),
    ("de", "Der Punkt ist wichtig."),
    ("de", "Das ist ein wichtiger Punkt."),
    ("de", "Hier fehlt das Komma."),
    ("de", "Komm zum Punkt."),
    ("de", "Wir brauchen eine neue Zeile im Formular."),
])
def test_command_words_that_are_ordinary_words_stay_words(language: str,
                                                          sentence: str) -> None:
    assert parse(sentence, TABLES[language]) == (Op("text", sentence),)


@pytest.mark.parametrize(("language", "said", "want"), [
    ("fr", "Merci pour votre aide point à la ligne cordialement",
     "Merci pour votre aide.\nCordialement"),
    ("es", "Gracias por tu ayuda punto nueva línea saludos", "Gracias por tu ayuda.\nSaludos"),
    ("es", "El informe está listo punto y aparte empezamos mañana",
     "El informe está listo.\n\nEmpezamos mañana"),
    ("es", "Fue un punto y aparte en su vida", "Fue un punto y aparte en su vida"),
    ("de", "Danke für deine Hilfe Punkt neue Zeile viele Grüße",
     "Danke für deine Hilfe.\nViele Grüße"),
    ("de", "Wir brauchen eine neue Zeile im Formular", "Wir brauchen eine neue Zeile im Formular"),
])
def test_a_mark_and_a_line_break_together_count_mid_utterance(language: str, said: str,
                                                             want: str) -> None:
    assert text(said, language) == want


@pytest.mark.parametrize(("language", "said"), [
    ("fr", "Annule ça."), ("fr", "efface ça"), ("fr", "Efface ça !"), ("fr", "Annuler ça."),
    ("es", "Borra eso."), ("es", "borrar eso"), ("es", "Elimina eso."),
    ("de", "Lösche das."), ("de", "Lösch das!"), ("de", "streiche das"),
])
def test_each_languages_retraction(language: str, said: str) -> None:
    assert apply(said, TABLES[language]) == Rendered("", retract=True)


@pytest.mark.parametrize(("language", "said"), [
    ("fr", "Efface ça du tableau."), ("es", "Borra eso de la lista."),
    ("de", "Lösche das alte Foto."), ("fr", "virgule annule ça"),
])
def test_a_retraction_inside_a_sentence_stays_words(language: str, said: str) -> None:
    r = apply(said, TABLES[language])
    assert not r.retract and r.text


def test_the_english_table_is_not_the_others() -> None:
    assert text("Hi, comma.", "fr") == "Hi, comma."
    assert apply("Dear Sam, virgule.", build_table(CommandConfig())).text == (
        "Dear Sam, virgule.")
    assert not apply("Scratch that.", FR).retract


def test_the_user_table_of_each_language_extends_and_changes_it() -> None:
    config = CommandConfig(table={"fr": {"point": "", "point final": ".",
                                         "guillemet ouvrant": "«"},
                                  "de": {"Klammer auf": "(", "lösche das": ""},
                                  "es": {"coma": ";"}})
    fr, de, es = (build_table(config, language) for language in ("fr", "de", "es"))
    assert apply("Il fait beau point", fr).text == "Il fait beau point"  # removed
    assert apply("Il fait beau point final", fr).text == "Il fait beau."
    assert apply("Il dit, guillemet ouvrant, bonjour", fr).text == "Il dit «bonjour"
    assert apply("Hallo, Klammer auf, Welt", de).text == "Hallo (Welt"
    assert not apply("Lösche das.", de).retract and apply("Streiche das.", de).retract
    assert apply("Hola coma", es).text == "Hola;"
    assert "point" not in bias_phrases(fr) and "guillemet ouvrant" in bias_phrases(fr)
    # A language given no table of its own in the config keeps its built-in one.
    assert apply("Hola coma", build_table(CommandConfig(table={"fr": {}}), "es")).text == (
        "Hola,")


def test_the_table_of_the_language_asked_for_else_the_configs() -> None:
    config = CommandConfig(language="de")
    assert apply("Hallo Komma", build_table(config)).text == "Hallo,"
    assert apply("Hallo Komma", build_table(config, "en")).text == "Hallo Komma"
    assert apply("Hallo, comma.", build_table(config, "en")).text == "Hallo,"
    assert apply("Hallo Komma", build_table(config, "de-AT")).text == "Hallo,"


def test_each_languages_bias_phrases_are_its_own() -> None:
    assert {"virgule", "à la ligne", "annule ça"} <= set(bias_phrases(FR))
    assert {"coma", "nueva línea", "borra eso"} <= set(bias_phrases(ES))
    assert {"Komma", "neue Zeile", "lösche das"} <= set(bias_phrases(DE))
    assert not {"comma", "period"} & set(bias_phrases(FR) + bias_phrases(ES) + bias_phrases(DE))
