"""What Whisper says to silence, noise and music, per language: the outros and credits of the
subtitled videos it was trained on, and the annotations of its captions. The guard drops one of
these only when the audio did not clearly hold speech or the model was unsure of it (guard.py).

The non-English phrases are the subtitle credits Whisper is known to write on silence when it
transcribes that language (collected in openai/whisper discussion #928), and the sign-offs of
the videos themselves. Phrases are compared after :func:`normalize` (lower case, punctuation
gone), and a trailing year is not part of a phrase: "Untertitel im Auftrag des ZDF, 2018" is
"Untertitel im Auftrag des ZDF".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

DEFAULT_SILENCE_PHRASES = (
    "you", "thank you", "thank you so much", "thank you very much", "thanks",
    "thanks for watching", "thank you for watching", "thanks for listening",
    "thank you for listening", "thank you for watching and see you next time",
    "please subscribe", "like and subscribe", "please like and subscribe",
    "don't forget to like and subscribe", "see you next time", "see you in the next video",
    "bye", "bye bye", "goodbye", "so", "okay", "oh", "hmm", "uh", "um", "the end",
    "subtitles by the amara org community", "subtitles by the amara.org community",
    "transcription by castingwords", "transcribed by https otter ai",
    "www mooji org", "music", "applause", "laughter", "silence", "blank_audio", "no speech",
    "inaudible",
)
"""English, the bundled model's language."""

FRENCH = (
    "sous-titres réalisés par la communauté d'amara.org",
    "sous-titres réalisés para la communauté d'amara.org",
    "sous-titres réalisés pour la communauté d'amara.org",
    "sous-titres réalisés par les soustitres d'amara.org",
    "sous-titres par la communauté d'amara.org", "sous-titres par amara.org",
    "sous-titres fait par la communauté d'amara.org", "sous-titrage société radio-canada",
    "sous-titrage st' 501", "sous-titrage st'501", "merci d'avoir regardé",
    "merci d'avoir regardé cette vidéo", "merci de votre attention", "merci", "merci beaucoup",
    "abonnez-vous", "n'oubliez pas de vous abonner", "à bientôt", "au revoir", "musique",
    "applaudissements", "rires",
)
SPANISH = (
    "subtítulos realizados por la comunidad de amara.org",
    "subtítulos por la comunidad de amara.org", "subtitulado por la comunidad de amara.org",
    "subtítulos creados por la comunidad de amara.org",
    "subtítulos hechos por la comunidad de amara.org", "subtítulos en español de amara.org",
    "gracias por ver", "gracias por ver el video", "gracias por ver el vídeo", "gracias",
    "muchas gracias", "suscríbete", "suscríbete al canal", "no olvides suscribirte",
    "hasta la próxima", "nos vemos en el próximo video", "música", "aplausos", "risas",
)
GERMAN = (
    "untertitel im auftrag des zdf", "untertitel im auftrag des zdf für funk",
    "untertitelung im auftrag des zdf", "untertitelung im auftrag des zdf für funk",
    "untertitel der amara.org-community", "untertitelung aufgrund der amara.org-community",
    "untertitel von stephanie geiges", "copyright wdr", "swr", "vielen dank fürs zuschauen",
    "danke fürs zuschauen", "vielen dank", "danke", "bis zum nächsten mal", "tschüss",
    "abonniert den kanal", "musik", "applaus", "lachen",
)
ITALIAN = (
    "sottotitoli creati dalla comunità amara.org", "sottotitoli a cura di qtss",
    "sottotitoli e revisione a cura di qtss", "grazie per la visione", "grazie",
)
PORTUGUESE = (
    "legendas pela comunidade amara.org", "legendas pela comunidade de amara.org",
    "obrigado por assistir", "obrigado",
)
DUTCH = (
    "ondertitels ingediend door de amara.org gemeenschap",
    "ondertiteld door de amara.org gemeenschap", "bedankt voor het kijken",
)

_NOT_WORD = re.compile(r"[^\w\s']+")
_ASCII_WORDS = bytes(  # lower-case letters and digits, ' and _ kept, anything else a space
    ord(chr(b).lower()) if chr(b).isalnum() or chr(b) in "_'" else ord(" ") for b in range(128)
) + bytes(128)
_YEAR = re.compile(r"(?: (?:19|20)\d\d)+$")


def normalize(text: str) -> str:
    """Lower case, punctuation gone, single spaces: "Thank you." and "thank you!" are one,
    and so are "d’avoir" and "d'avoir"."""
    if text.isascii():  # one byte-table pass instead of a regular expression
        return " ".join(text.encode().translate(_ASCII_WORDS).decode().split())
    return " ".join(_NOT_WORD.sub(" ", text.lower().replace("’", "'")).split())


def phrase_set(phrases: Iterable[str]) -> frozenset[str]:
    return frozenset(n for p in phrases if (n := normalize(p)))


SILENCE_PHRASES: Mapping[str, frozenset[str]] = {
    code: phrase_set(phrases) for code, phrases in (
        ("en", DEFAULT_SILENCE_PHRASES), ("fr", FRENCH), ("es", SPANISH), ("de", GERMAN),
        ("it", ITALIAN), ("pt", PORTUGUESE), ("nl", DUTCH))}
"""Language → its phrases, normalised."""


def is_stock(said: str, phrases: frozenset[str]) -> bool:
    """Is ``said`` (normalised) one of ``phrases``, a credit's trailing year aside?"""
    return said in phrases or _YEAR.sub("", said) in phrases
