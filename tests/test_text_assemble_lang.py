"""Capitals across utterance boundaries in each language: which first word is lower-cased when
an utterance continues a sentence. Pure, no audio."""

from __future__ import annotations

import pytest

from dictation.text.assemble import Assembler, join


@pytest.mark.parametrize(("before", "text", "want"), [
    ("Nous partons en", "Mars prochain.", " mars prochain."),  # French months: lower case
    ("Rendez-vous", "Lundi matin.", " lundi matin."),
    ("Je pense que", "Je viendrai.", " je viendrai."),
    ("J'ai vu", "Paris hier.", " paris hier."),  # a name never seen mid-sentence
    ("Ce matin, Paris était calme et", "Paris dormait.", " Paris dormait."),  # seen
    ("Voici M.", "Dupont.", " Dupont."),  # a title's period: a name follows
    ("J'ai dit que", "I am here.", " i am here."),  # "I" is English
])
def test_french(before: str, text: str, want: str) -> None:
    assert join(before, text, language="fr") == want


@pytest.mark.parametrize(("before", "text", "want"), [
    ("Nos vemos en", "Marzo.", " marzo."),
    ("Llego el", "Martes por la tarde.", " martes por la tarde."),
    ("Creo que", "Sí.", " sí."),
    ("Hablé con la Sra.", "García.", " García."),
])
def test_spanish(before: str, text: str, want: str) -> None:
    assert join(before, text, language="es") == want


@pytest.mark.parametrize(("before", "text", "want"), [
    ("Das Treffen ist", "Um drei Uhr.", " um drei Uhr."),
    ("Ich glaube,", "Dass es klappt.", " dass es klappt."),
    ("Wir brauchen noch", "Die Unterlagen.", " die Unterlagen."),
    ("Wir brauchen noch", "Unterlagen.", " Unterlagen."),  # a noun keeps its capital
    ("Ich habe einen", "Termin am Montag.", " Termin am Montag."),
    ("Ich rufe", "Sie morgen an.", " Sie morgen an."),  # the polite "you"
    ("Das ist", "Ihr Buch.", " Ihr Buch."),
])
def test_german_lower_cases_only_words_known_to_be_lower_case(before: str, text: str,
                                                              want: str) -> None:
    assert join(before, text, language="de") == want


@pytest.mark.parametrize("language", ["it", "pt", "nl", "pl"])
def test_another_language_keeps_every_capital(language: str) -> None:
    assert join("Penso che", "Domani piove.", language=language) == " Domani piove."
    # What every language shares: a capital after a sentence end, the spacing.
    assert join("Fatto.", "domani piove.", language=language) == " Domani piove."
    assert join("Fatto", ", poi.", language=language) == ", poi."


def test_english_rules_by_default_and_only_in_english() -> None:
    assert join("We meet on", "Monday at noon.") == " Monday at noon."
    assert join("We meet on", "Monday at noon.", language="en") == " Monday at noon."
    assert join("so", "I said yes.") == " I said yes."
    assert join("Nous partons en", "March.", language="fr") == " march."
    assert join("Wir sehen uns", "Monday.", language="de") == " Monday."  # not known


def test_the_session_revises_and_extends_by_the_pieces_language() -> None:
    a = Assembler()
    a.add(1, "Das Treffen ist.", language="de")
    assert a.unfinish_last() is not None
    assert a.add(2, "Um drei Uhr im Büro.", language="de") == " um drei Uhr im Büro."
    rev = a.revise_last("Nächste Woche.", language="de")
    assert rev is not None and rev.new == " Nächste Woche."  # not known to be lower case
    rev = a.revise_last("Nächste Woche.", language="fr")
    assert rev is not None and rev.new == " nächste Woche."
    b = Assembler()
    b.add(1, "Nous partons en.", language="fr")
    rev = b.extend_last("Juin.", language="fr")
    assert rev is not None and rev.new == "Nous partons en juin."
    c = Assembler()
    c.add(1, "Ich habe einen.", language="de")
    rev = c.extend_last("Termin am Montag.", language="de")
    assert rev is not None and rev.new == "Ich habe einen Termin am Montag."
