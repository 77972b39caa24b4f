"""The guard's stock phrases per language: what Whisper writes on silence when it transcribes
French, German or Spanish is dropped on weak audio or when the model was unsure, never on the
text alone; the user's --silence-phrase list applies to every language. No audio."""

from __future__ import annotations

import pytest

from dictation.records import Heard
from dictation.text.guard import GuardConfig, drop_reason, judge
from dictation.transcribe import Segment

WEAK, LOUD = 8.0, 30.0  # dB above the background

CREDITS = [
    ("fr", "Sous-titres réalisés par la communauté d'Amara.org"),
    ("fr", "Sous-titres réalisés par la communauté d’Amara.org."),  # a typographic apostrophe
    ("fr", "Merci d'avoir regardé !"),
    ("fr", "Sous-titrage Société Radio-Canada"),
    ("de", "Untertitel im Auftrag des ZDF, 2017"),  # any year
    ("de", "Untertitel der Amara.org-Community"),
    ("de", "Vielen Dank fürs Zuschauen!"),
    ("de", "Bis zum nächsten Mal."),
    ("es", "Subtítulos realizados por la comunidad de Amara.org"),
    ("es", "Gracias por ver."),
    ("es", "¡Suscríbete!"),
    ("it", "Sottotitoli creati dalla comunità Amara.org"),
    ("pt", "Legendas pela comunidade Amara.org"),
]


def seg(logprob: float = -0.3, no_speech: float = 0.1) -> Segment:
    return Segment(0.0, 1.0, "x", logprob, no_speech)


@pytest.mark.parametrize(("language", "text"), CREDITS)
def test_each_languages_stock_phrases_are_dropped_on_weak_audio(language: str,
                                                                 text: str) -> None:
    reason = drop_reason(text, "", WEAK, language=language)
    assert reason is not None and "stock phrase" in reason


@pytest.mark.parametrize(("language", "text"), CREDITS)
def test_and_kept_when_clearly_said(language: str, text: str) -> None:
    assert drop_reason(text, "", LOUD, [seg()], language=language) is None


def test_dropped_on_loud_audio_when_the_model_was_unsure() -> None:
    reason = drop_reason("Merci d'avoir regardé.", "", LOUD, [seg(-1.4, 0.4)], language="fr")
    assert reason is not None and "unsure" in reason


def test_the_phrases_are_those_of_the_texts_language() -> None:
    # A French credit in an English piece is no English stock phrase, and the other way
    # round: a real "Thank you." in a French piece is text.
    assert drop_reason("Merci d'avoir regardé.", "", WEAK) is None
    assert drop_reason("Merci d'avoir regardé.", "", WEAK, language="en") is None
    assert drop_reason("Thank you.", "", WEAK, language="fr") is None
    assert drop_reason("Thank you.", "", WEAK) is not None
    assert drop_reason("Gracias por ver.", "", WEAK, language="de") is None
    # A language without a list of its own: only the user's phrases.
    assert drop_reason("Thank you.", "", WEAK, language="ja") is None


def test_the_users_phrases_apply_to_every_language() -> None:
    mine = GuardConfig.with_phrases(["Copyright ACME Corp."])
    for language in (None, "en", "fr", "de", "ja"):
        assert drop_reason("Copyright ACME Corp.", "", WEAK, config=mine, language=language)
    assert drop_reason("Gracias por ver.", "", WEAK, config=mine, language="es")
    only = GuardConfig.with_phrases(["Copyright ACME Corp."], defaults=False)
    assert drop_reason("Gracias por ver.", "", WEAK, config=only, language="es") is None
    assert drop_reason("Copyright ACME Corp.", "", WEAK, config=only, language="es")


def test_judge_passes_the_language_on() -> None:
    heard = Heard(WEAK, 0.5)
    assert judge("Vielen Dank fürs Zuschauen!", "", heard, language="de").reason
    assert judge("Vielen Dank fürs Zuschauen!", "", heard).reason is None
    assert judge("Vielen Dank fürs Zuschauen!", "", Heard(LOUD, 0.9), [seg()],
                 language="de").reason is None
    looped = judge("Merci. Merci. Merci. Merci. Merci.", "", Heard(LOUD, 0.9), language="fr",
                   audio_s=1.0)
    assert looped.reason == "a stock phrase over and over"


def test_ordinary_sentences_with_those_words_are_kept() -> None:
    for language, text in (("fr", "Merci pour le rapport d'hier."),
                           ("de", "Danke für die schnelle Antwort."),
                           ("es", "Gracias por ver el informe tan rápido.")):
        assert drop_reason(text, "", WEAK, language=language) is None
