"""The boundary decision in French, Spanish and German, and in a language without words of
its own: pure, no audio. Fragments are sentences cut where a speaker stops to think; the
complete ones end in words that look like the signals."""

from __future__ import annotations

import pytest

from dictation.text.boundary import BoundaryConfig, continues, for_language, incomplete

FRAGMENTS = {
    "fr": ["Je pense que", "Je pense que.", "Il faut acheter du pain et.", "J'ai besoin d'un.",
           "Je suis allé à la.", "Le rendez-vous est à.", "La réunion est.",
           "Je pense qu'il.", "C'est-à-dire.", "Je ne sais pas, euh."],
    "es": ["Creo que", "Creo que.", "Voy a.", "Necesito comprar pan y.", "La reunión es.",
           "Hablé con el.", "Quiero que me.", "Mañana hemos.", "Si mañana llueve."],
    "de": ["Ich habe einen", "Ich habe einen.", "Das Treffen ist.", "Wir treffen uns in der.",
           "Ich glaube, dass.", "Ich brauche Milch und.", "Das Buch ist für.",
           "Morgen kann ich, äh.", "Wenn es morgen regnet."],
}
COMPLETE = {
    "fr": ["Bonjour, je vais bien.", "Ça va.", "J'y vais.", "Je m'en vais.", "Prends-le.",
           "Je ne sais pas où.", "Tu pars quand ?", "C'est qui ?", "Oui, je peux.",
           "J'en ai un.", "Il y a.", "Il y en a une.", "Je crois que si.", "Quand même.",
           "C'est ce que c'est.", "J'ai vu quelqu'un.", "Fais comme tu veux.",
           "Nous partons en mars."],
    "es": ["Así es.", "Eso es.", "No lo es.", "Ya está.", "No lo sé.", "Si puedes, ven.",
           "Hablé con él.", "Nos vemos a las tres.", "Es la una.", "De vez en cuando.",
           "¿Dónde está?", "Lo tengo.", "Ya voy.", "Creo que sí."],
    "de": ["Ich rufe dich an.", "Kommst du mit?", "Ich weiß, dass es funktioniert hat.",
           "Ja, ich kann.", "Das kann sein.", "Kennst du die?", "Ich weiß das.",
           "Ich weiß nicht ob ich kann.", "Das ist ein wichtiger Punkt.", "Steig ein.",
           "Mach die Tür zu.", "Das ist alles, was ich habe."],
}


def config(language: str | None) -> BoundaryConfig:
    return for_language(BoundaryConfig(), language)


@pytest.mark.parametrize(("language", "text"),
                         [(lang, t) for lang, texts in FRAGMENTS.items() for t in texts])
def test_each_languages_fragments_are_incomplete(language: str, text: str) -> None:
    assert incomplete(text, config(language)) is not None


@pytest.mark.parametrize(("language", "text"),
                         [(lang, t) for lang, texts in COMPLETE.items() for t in texts])
def test_each_languages_finished_sentences_are_complete(language: str, text: str) -> None:
    assert incomplete(text, config(language)) is None, incomplete(text, config(language))


def test_the_reason_names_the_signal_in_each_language() -> None:
    assert incomplete("Je pense que.", config("fr")) == "ends with a subordinator ('que')"
    assert incomplete("Ich habe einen.", config("de")) == "ends with an article ('einen')"
    assert incomplete("Creo que", config("es")) == "ends with a subordinator ('que')"
    assert incomplete("Je pense qu'il.", config("fr")) == "ends with a pronoun ('il')"
    assert incomplete("Das Treffen ist.", config("de")) == "ends with an auxiliary ('ist')"


def test_english_words_are_not_read_in_another_language() -> None:
    # "the" and "and" are nothing in French; "que" nothing in English.
    assert incomplete("Je mange the.", config("fr")) is None
    assert incomplete("I said que.", config("en")) is None
    assert incomplete("Ich habe einen.") is None  # None: English
    assert incomplete("The meeting is at.", config(None)) is not None


@pytest.mark.parametrize("language", ["it", "pt", "nl", "ja", "xx-YY", ""])
def test_a_language_without_words_of_its_own_holds_for_no_word(language: str) -> None:
    cfg = config(language) if language else for_language(BoundaryConfig(), "zz")
    for text in ("Penso che", "Eu acho que.", "Ik denk dat", "The meeting is at.",
                 "私は思う"):
        assert incomplete(text, cfg) is None
    # What the model wrote itself still says the sentence goes on: a comma, an ellipsis.
    assert incomplete("Penso che,", cfg) == "ends with ','"
    assert incomplete("Penso che…", cfg) == "ends with an ellipsis"


def test_continuation_by_text_per_language_and_never_guessed() -> None:
    assert continues("et demain aussi.", config("fr")) == "starts lower case ('et')"
    assert continues("Et demain aussi.", config("fr")) == "starts with 'et'"
    assert continues("Und morgen auch.", config("de")) == "starts with 'und'"
    assert continues("Pero no mañana.", config("es")) == "starts with 'pero'"
    assert continues("Demain aussi.", config("fr")) is None
    assert continues("And tomorrow.", config("fr")) is None  # an English word
    for text in ("e domani.", "E domani.", "and tomorrow."):
        assert continues(text, config("it")) is None


def test_the_configs_other_settings_go_with_every_language() -> None:
    base = BoundaryConfig(hold_s=2.0, require_end_mark=False, opener_words=0)
    fr = for_language(base, "fr")
    assert (fr.hold_s, fr.require_end_mark, fr.opener_words) == (2.0, False, 0)
    assert incomplete("Si tu viens ce soir.", fr) is None  # the opener rule is off
    assert incomplete("Si tu viens ce soir.", config("fr")) is not None
    assert for_language(base, "en") is base and for_language(base, None) is base
    assert not for_language(BoundaryConfig(), "it").require_end_mark
