"""Which language an utterance is in: decided once, at the engine, and carried by its text.

A multilingual model says how likely each language is (its detector reads the start of the
audio). Restricted to the user's languages (``--languages``), the likeliest of those wins when
it is sure. When it is not, the text is decoded in the detector's first two and the one the
model finds likelier wins (:func:`pick`, :func:`better`): on the alternating sessions of
bench/languages.md the detector alone was right on 4 of its 9 unsure pieces, the decodes' own
scores on 8. A short utterance ("OK.", a name) keeps the language of the piece before, so a
speaker who stays in one language is not thrown into another by a word.

Pure, but for the names table: an OpenAI server answers ``"language": "english"``, a
faster-whisper server ``"en"``; :func:`code_of` reads both.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from dictation.transcribe import Transcript

SURE = 0.9
"""A detection at least this likely (among the allowed languages: the most of their weight)
is taken as it is; a weaker one is decoded in the runner-up too. At 0.8, bench/languages.md's
neural session put a Spanish piece the detector gave 0.894 to Italian, where the Spanish
text scored likelier (-0.28 against -0.47); at 0.9 that piece and five other pieces between
0.8 and 0.9 in the three sessions were decoded twice and all came out in the right language,
and no piece changed language for the worse (same clips, in turn). At 0.97 a third of the
pieces were decoded twice and a right Catalan piece at 0.94 went to Spanish."""
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
    """The detector leaned elsewhere, but on too little audio: the language before was kept."""
    rival: str | None = None
    """The detector was unsure: its runner-up, to decode in as well (:func:`better`)."""
    shares: tuple[tuple[str, float], ...] = ()
    """The allowed languages' shares of the detector's weight, likeliest first (for the log)."""

    def __str__(self) -> str:
        odds = " ".join(f"{code} {share:.3f}" for code, share in self.shares[:4])
        return f"{self.language} ({odds}{', kept from before' if self.kept else ''})"


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
    shares = tuple(sorted(((c, p / total) for c, p in among), key=lambda cp: -cp[1]))
    best, share = shares[0]
    if previous and previous != best and (allowed is None or previous in allowed) and (
            audio_s < short_s):
        return Picked(previous, dict(shares).get(previous, 0.0), kept=True, shares=shares)
    rival = shares[1][0] if share < sure and len(shares) > 1 else None
    return Picked(best, share, rival=rival, shares=shares)


@dataclass(frozen=True)
class Scored:
    """A decode's own verdict on its text."""

    avg_logprob: float
    """The mean over its segments of the tokens' average log probability."""
    broken: bool
    """It failed Whisper's quality checks (a repetition loop or a very unlikely text)."""

    def __str__(self) -> str:
        return f"{self.avg_logprob:.2f}{' (broken)' if self.broken else ''}"


def better(rival: Scored, first: Scored) -> bool:
    """Whether the runner-up's decode beats the likeliest language's: a sound text beats a
    broken one, else the likelier text wins. A decode in the wrong language is a translation
    or a guess at sounds, mostly less likely than the text in the right one. No margin for
    the detector's choice: on bench/languages.md its odds, added to the score at any weight,
    moved as many pieces wrong as right."""
    if rival.broken != first.broken:
        return first.broken
    return rival.avg_logprob > first.avg_logprob


def scored(result: Transcript, broken: bool) -> Scored:
    """A decode's verdict: its segments' mean log probability (no text: none at all)."""
    probs = [s.avg_logprob for s in result.segments if s.avg_logprob is not None and s.text]
    return Scored(sum(probs) / len(probs) if probs else float("-inf"), broken)
