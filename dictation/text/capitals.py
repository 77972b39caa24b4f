"""Which capitals a language keeps when an utterance continues a sentence (assemble.join):
the engine writes each utterance as a sentence, and its first word's capital must go when
the sentence goes on, but never a capital the language itself requires.

- English: lower-case unless the word is a name (assemble's note on proper nouns), "I", or a
  day or month name.
- French and Spanish: the same without "I"; their day and month names are lower-case
  ("lundi", "marzo"), so they are lower-cased like any word.
- German: every noun has a capital, and text alone cannot tell a noun; only words known to
  be lower-case (articles, pronouns but "Sie", conjunctions, prepositions, common verbs and
  adverbs) are lower-cased.
- Any other language: the capital stays; only rules written for a language take it away.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from dictation.text import languages

I_FORMS = frozenset({"i", "i'm", "i'll", "i've", "i'd", "i’m", "i’ll", "i’ve", "i’d"})
ALWAYS_CAPS = frozenset({
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "january", "february", "march", "april", "june", "july", "august", "september",
    "october", "november", "december"})  # not "may": far more often the verb
TITLES = frozenset({"mr", "mrs", "ms", "dr", "prof", "st"})  # a name follows
ABBREVIATIONS = TITLES | {"jr", "sr", "vs", "eg", "ie", "cf", "approx", "dept", "inc", "ltd",
                          "co", "no", "mme", "mlle", "sra", "srta", "dra"}
"""Words whose period ends no sentence, in any language ("Mme." is French, "Sra." Spanish)."""


@dataclass(frozen=True)
class Capitals:
    lower: Literal["names", "known", "never"]
    """"names": lower-case a first word unless it is a name; "known": only the words of
    :attr:`lower_words`; "never"."""
    i_forms: frozenset[str] = frozenset()
    always: frozenset[str] = frozenset()
    """Words that keep their capital anywhere (English day and month names)."""
    titles: frozenset[str] = frozenset()
    """Words after whose period a name follows ("Dr." + "Smith")."""
    lower_words: frozenset[str] = frozenset()


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


ENGLISH = Capitals("names", I_FORMS, ALWAYS_CAPS, TITLES)
FRENCH = Capitals("names", titles=_set("m mme mlle dr pr me"))
SPANISH = Capitals("names", titles=_set("sr sra srta dr dra d dña"))
GERMAN = Capitals("known", titles=_set("hr fr dr prof"), lower_words=_set(
    # articles and determiners
    "der die das den dem des ein eine einen einem einer eines kein keine keinen keinem "
    "keiner mein meine meinen meinem dein deine deinen sein seine seinen seinem unser "
    "unsere unseren dieser diese dieses diesen diesem jeder jede jedes jeden alle "
    # pronouns: not "sie", "ihr", "ihnen", "ihre": capitalised, they are the polite "you"
    "ich du er es wir man mich mir dich dir ihn ihm uns euch sich "
    # conjunctions and subordinators
    "und oder aber denn sondern dass weil wenn ob als wie falls obwohl damit bevor nachdem "
    "während bis sodass sowie "
    # prepositions
    "in im ins an am ans auf aus bei beim mit nach von vom vor zu zum zur für über unter um "
    "durch gegen ohne seit zwischen hinter neben wegen trotz "
    # verbs and adverbs that are never nouns
    "ist sind war waren bin bist hat haben habe hatte hatten wird werden wurde kann können "
    "konnte muss müssen musste soll sollte will wollte möchte würde wäre gibt geht kommt "
    "macht nicht noch auch schon sehr immer dann da hier dort so nur ganz wieder bald gleich "
    "vielleicht eigentlich heute gestern jetzt doch ja nein zwei drei vier fünf sechs sieben "
    "acht neun zehn"))
OTHER = Capitals("never")

CAPITALS = {"en": ENGLISH, "fr": FRENCH, "es": SPANISH, "de": GERMAN}


def for_language(language: str | None) -> Capitals:
    """The capital rules of ``language`` (None: English)."""
    return CAPITALS.get(languages.code(language), OTHER)
