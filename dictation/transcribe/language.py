"""Which language an utterance is in: decided once, at the engine, and carried by its text.

A multilingual model says how likely each language is (its detector reads the start of the
audio). Restricted to the user's languages (``--languages``), the likeliest of those wins, but
only when it is sure: a short utterance ("OK.", a name) or an uncertain one keeps the
language of the piece before, so a speaker who stays in one language is not thrown into
another by a word, while a confident detection switches (:func:`pick`).

Pure, but for the names table: an OpenAI server answers ``"language": "english"``, a
faster-whisper server ``"en"``; :func:`code_of` reads both.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

SURE = 0.5
"""A detection at least this likely (among the allowed languages: the most of their weight)
switches language; a weaker one keeps the language before. On the alternating session of
bench/languages.md, 0.8 kept a third of the switches from happening."""
SHORT_S = 1.5
"""An utterance with less audio than this keeps the language before it, however sure: the
detector reads too little of it (one word)."""

# Whisper's languages, code → English name (what OpenAI's verbose_json answers).
_TABLE = """
en:english zh:chinese de:german es:spanish ru:russian ko:korean fr:french ja:japanese
pt:portuguese tr:turkish pl:polish ca:catalan nl:dutch ar:arabic sv:swedish it:italian
id:indonesian hi:hindi fi:finnish vi:vietnamese he:hebrew uk:ukrainian el:greek ms:malay
cs:czech ro:romanian da:danish hu:hungarian ta:tamil no:norwegian th:thai ur:urdu
hr:croatian bg:bulgarian lt:lithuanian la:latin mi:maori ml:malayalam cy:welsh sk:slovak
te:telugu fa:persian lv:latvian bn:bengali sr:serbian az:azerbaijani sl:slovenian kn:kannada
et:estonian mk:macedonian br:breton eu:basque is:icelandic hy:armenian ne:nepali
mn:mongolian bs:bosnian kk:kazakh sq:albanian sw:swahili gl:galician mr:marathi pa:punjabi
si:sinhala km:khmer sn:shona yo:yoruba so:somali af:afrikaans oc:occitan ka:georgian
be:belarusian tg:tajik sd:sindhi gu:gujarati am:amharic yi:yiddish lo:lao uz:uzbek
fo:faroese ht:haitian_creole ps:pashto tk:turkmen nn:nynorsk mt:maltese sa:sanskrit
lb:luxembourgish my:myanmar bo:tibetan tl:tagalog mg:malagasy as:assamese tt:tatar
haw:hawaiian ln:lingala ha:hausa ba:bashkir jw:javanese su:sundanese yue:cantonese
"""
NAMES = dict(item.split(":") for item in _TABLE.split())
_CODES = {name.replace("_", " "): code for code, name in NAMES.items()}


def code_of(answer: object) -> str | None:
    """A language as a server names it (``en``, ``English``, ``haitian creole``), as a code;
    None for anything else."""
    if not isinstance(answer, str):
        return None
    text = answer.strip().lower().replace("_", " ")
    if text in NAMES:
        return text
    return _CODES.get(text)


def known(codes: Iterable[str]) -> list[str]:
    """The codes that are not Whisper's languages."""
    return [c for c in codes if c not in NAMES]


def to_ask(hint_language: str | None, fixed: str | None, allowed: Sequence[str],
           previous: str | None) -> tuple[str | None, str | None]:
    """For a server that detects by itself: (the language to send, or None to let it
    detect; the language whose prompt to send, the likeliest one)."""
    send = hint_language or fixed or (allowed[0] if len(allowed) == 1 else None)
    return send, send or previous


@dataclass(frozen=True)
class Picked:
    language: str
    probability: float
    """Of the language picked, among the allowed ones."""
    kept: bool = False
    """The detector leaned elsewhere, but too little or on too little audio: the language
    before was kept."""


def pick(probs: Sequence[tuple[str, float]], allowed: frozenset[str] | None,
         previous: str | None, audio_s: float, sure: float = SURE,
         short_s: float = SHORT_S) -> Picked:
    """The language of an utterance of ``audio_s`` seconds, from the detector's ``probs``
    (code, probability), restricted to ``allowed`` (None: any), given the ``previous``
    piece's language."""
    among = [(c, p) for c, p in probs if allowed is None or c in allowed]
    total = sum(p for _, p in among)
    if not among or total <= 0:  # the detector gave none of them any weight
        first = previous or (min(allowed) if allowed else "en")
        return Picked(first, 0.0, kept=previous is not None)
    best, p = max(among, key=lambda cp: cp[1])
    share = p / total
    if previous and previous != best and (allowed is None or previous in allowed) and (
            share < sure or audio_s < short_s):
        return Picked(previous, dict(among).get(previous, 0.0) / total, kept=True)
    return Picked(best, share)
