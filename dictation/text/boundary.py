"""Does the speaker's sentence go on? The text half of the end-of-utterance decision.

While the speaker pauses, a speculative transcription of the open utterance runs. Its text
says whether the words so far form a sentence: "The meeting is at" does not, whatever the
silence says. An incomplete one is given :attr:`BoundaryConfig.hold_s` more silence before the
utterance ends, so a speaker who stops to think gets one sentence, not two fragments.

The decision reads what the model wrote, not grammar: Whisper (tiny.en above all) ends nearly
everything with a period, so the period says little, and the last words say most. A word that
cannot end an English sentence (an article, a conjunction, most prepositions, an auxiliary
without its verb) is the strong signal. Each list below was tuned on what tiny.en writes for
sentences cut at a thinking pause and for finished ones (bench/boundary.py).

Each language reads its own words (boundwords.py), picked by :func:`for_language` with the
piece's language; one without words of its own is read for its punctuation only.

Only the last :data:`TAIL_CHARS` characters are read, so any input costs the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from dictation.text import languages
from dictation.text.boundwords import (
    ARTICLES,
    AUXILIARIES,
    CONJUNCTIONS,
    HEDGES,
    HESITATIONS,
    OFF,
    OPENERS,
    PREPOSITIONS,
    SUBORDINATORS,
    WORDS,
    Words,
)

TAIL_CHARS = 300
"""The end of a sentence is decided by its last few words; 300 characters holds them and the
start of any sentence short enough for the opener rule."""

_CLOSERS = "\"'”’)]}»"  # after a sentence's mark: `He said "no."` ends with the quote
_PAUSE_MARKS = ",;:-–—"
_SENTENCE_END = re.compile(r"[.?!](?=[\s\"'”’)\]}»]|$)")


@dataclass(frozen=True)
class BoundaryConfig:
    """How the text of the words so far moves the end of an utterance."""

    hold_s: float = 1.3
    """Extra silence an incomplete sentence is given beyond the segmenter's own hangover
    (0.24-0.7 s): 1.5-2 s in all, longer than the thinking pauses measured (0.5-1.1 s) and
    short enough that a speaker who did stop is not kept waiting long."""
    rethink_s: tuple[float, float] = (0.45, 1.1)
    """A pause after words that read as a whole sentence, after which speech that resumes
    may still be the same sentence: a thinking pause. Whisper (tiny.en above all) ends
    nearly every fragment with a period ("The invoice from the printing company."), so only
    the pause tells. Measured (VAD, last word to next word): thinking pauses 0.51-0.99 s;
    between a quick talker's sentences 0.27-0.42 s, a calm one's 1.11-1.95 s. (0, 0): off."""
    require_end_mark: bool = True
    """A text of several words without . ? or ! is incomplete. Turn off for an engine that
    never punctuates, or every utterance would be held."""
    opener_words: int = 6
    """A sentence of at most this many words that starts with "if", "when"... and has no
    comma is the subordinate clause alone ("If the tests pass tonight.")."""
    articles: frozenset[str] = ARTICLES
    conjunctions: frozenset[str] = CONJUNCTIONS
    subordinators: frozenset[str] = SUBORDINATORS
    prepositions: frozenset[str] = PREPOSITIONS
    auxiliaries: frozenset[str] = AUXILIARIES
    hesitations: frozenset[str] = HESITATIONS
    hedges: frozenset[str] = HEDGES
    """Skipped when looking at the last word: "that maybe" is "that" with a hedge after it."""
    openers: frozenset[str] = OPENERS
    language: str = languages.DEFAULT
    """Whose words these are: the rest of that language's rules (boundwords.WORDS) go with
    them. Set by :func:`for_language`."""

    @property
    def words(self) -> Words:
        return WORDS.get(self.language, OFF)

    def __post_init__(self) -> None:
        if not 0 <= self.hold_s <= 10:
            raise ValueError("hold must be between 0 and 10 s")
        lo, hi = self.rethink_s
        if not 0 <= lo <= hi <= 10:
            raise ValueError("the rethink pause must be 0 ≤ low ≤ high ≤ 10 s")
        if self.opener_words < 0:
            raise ValueError("opener words must be ≥ 0")


DEFAULT = BoundaryConfig()


def _split(text: str) -> tuple[str, str]:
    """(the text without trailing closers, its last mark or ""): the sentence's own mark sits
    inside a closing quote or bracket."""
    body = text.rstrip()
    core = body.rstrip(_CLOSERS)
    if core and core[-1] in ".?!…" + _PAUSE_MARKS:
        return core, core[-1]
    return body, ""


def _last_sentence(core: str, whole: bool) -> str | None:
    """The last sentence, or None when its start is not in the tail."""
    ends = [m.end() for m in _SENTENCE_END.finditer(core[:-1])]
    if not ends and not whole:
        return None
    return core[ends[-1] if ends else 0:]


def incomplete(text: str, config: BoundaryConfig = DEFAULT) -> str | None:
    """Why ``text`` (the open utterance transcribed so far) does not end a sentence, or None
    when it does: it ends in . ? or ! and its last word can end a sentence."""
    tail = text[-TAIL_CHARS:]
    core, mark = _split(tail)
    if core.endswith(("…", "...")):
        return "ends with an ellipsis"
    if mark and mark in _PAUSE_MARKS:
        return f"ends with {mark!r}"
    # The last sentence's words: "It works. And." ends with a fragment whose capital is
    # its start, not a name. A sentence longer than the tail is read from the tail's start.
    sentence = _last_sentence(core, len(text) <= TAIL_CHARS)
    words = config.words.pattern.findall(core if sentence is None else sentence)
    if not words:
        return None
    reason = _last_words(words, mark, config, sentence or core)
    if reason:
        return reason
    if mark == "" and len(words) > 1 and config.require_end_mark:
        return "no end mark"
    if mark == "." and sentence and _opener_alone(sentence, config):
        return "a subordinate clause without its main clause"
    return None


def _last_words(words: list[str], mark: str, config: BoundaryConfig, sentence: str
                ) -> str | None:
    """The reason the last words of ``sentence`` cannot end it, if any."""
    w = config.words
    low = [x.lower().replace("’", "'") for x in words]
    n = len(low)
    while n and low[n - 1] in config.hedges:
        n -= 1  # "that maybe": the word that decides is the one before the hedge
    hedged = n < len(low)
    if low[-1] in config.hesitations:
        return f"ends with the hesitation {low[-1]!r}"
    if not n:
        return None
    last, before = low[n - 1], low[n - 2] if n > 1 else ""
    if n > 1 and words[n - 1][:1].isupper() and last not in w.not_names:
        return None  # capitalised mid-sentence: a name ("in May", "ask Will")
    if not hedged and (before in w.ends_after.get(last, ()) or
                       w.ends_near.get(last, frozenset()).intersection(low[max(0, n - 4):n - 1])):
        return None
    if mark == "?" and last in w.question_ends:
        return None
    for kind, group in (("an article", config.articles),
                        ("a conjunction", config.conjunctions),
                        ("a subordinator", config.subordinators),
                        ("a pronoun", w.pronouns)):
        if last in group:
            return f"ends with {kind} ({last!r})"
    if last == w.clause_word and (hedged or before in w.clause_opens_after):
        return f"ends with a clause opened by {last!r}"
    if hedged:
        return None
    if mark == "?":
        return None  # questions strand prepositions and invert auxiliaries: "Is it?"
    if last in config.prepositions and not w.stranders.intersection(low[max(0, n - 7):n - 1]):
        return f"ends with a preposition ({last!r})"
    if "'" in last and last.rsplit("'", 1)[1] in w.contractions:
        return f"ends with a contraction or possessive ({words[n - 1]!r})"
    if last in config.auxiliaries and not _ellipsis(low[:n], w) and not (
            w.verb_final and ("," in sentence or w.verb_final.intersection(low[:n - 1]))):
        return f"ends with an auxiliary ({last!r})"
    return None


def _ellipsis(low: list[str], w: Words) -> bool:
    """PRONOUN + AUXILIARY after a word that makes it a whole clause: "what it is" (object
    pronouns between them skipped: "si tu le veux"; without the pronoun where the language
    drops it: "si puedes"); or a copula closing a clause a wh-word opened a few words
    before: "wherever your cursor is", "what the plan was" (the bundled sample's first
    sentence)."""
    rest = low[:-1]
    for _ in range(4):  # a few object pronouns at most
        if w.bare_ellipsis and (not rest or rest[-1] in w.ellipsis_after):
            return True
        if len(rest) >= 2 and rest[-1] in w.subjects and rest[-2] in w.ellipsis_after:
            return True
        if not rest or rest[-1] not in w.clitics:
            break
        rest = rest[:-1]
    return (low[-1] in w.copulas and len(low) >= 3 and low[-2] not in w.wh_words
            and any(x in w.wh_words for x in low[-6:-2]))


def _opener_alone(sentence: str, config: BoundaryConfig) -> bool:
    """"If the tests pass tonight." as a whole sentence: a short clause opened by a
    subordinator, no comma, and no auxiliary right after the opener (that is a question:
    "When is the meeting.")."""
    words = [w.lower() for w in config.words.pattern.findall(sentence)]
    return (2 <= len(words) <= config.opener_words and words[0] in config.openers
            and words[1] not in config.auxiliaries and "," not in sentence)


def hold_for(text: str, config: BoundaryConfig = DEFAULT) -> float:
    """Extra silence, beyond the segmenter's hangover, to wait before ending an utterance
    whose speculative text is ``text``: :attr:`BoundaryConfig.hold_s` when the sentence is
    incomplete, else 0."""
    return config.hold_s if incomplete(text, config) is not None else 0.0


def band_s(config: BoundaryConfig = DEFAULT) -> float:
    """How long after a complete-looking sentence's last word the thinking-pause band ends;
    0: off, with ``hold_s`` 0 too (the user asked that silence alone ends sentences)."""
    return config.rethink_s[1] if config.hold_s > 0 else 0.0


def rethinks(pause_s: float, config: BoundaryConfig = DEFAULT) -> bool:
    """Is a pause of ``pause_s`` after a complete-looking sentence a thinking pause, so that
    what follows it is heard together with the sentence before the break is taken as said?"""
    hi = band_s(config)
    return hi > 0 and config.rethink_s[0] <= pause_s <= hi


def continues(text: str, config: BoundaryConfig = DEFAULT) -> str | None:
    """Why an utterance's ``text`` reads as the rest of the sentence before it, or None:
    the model wrote its first word lower case (it continued the prompt), or that word
    seldom starts a sentence of its own ("or at ten?"). For a pipeline deciding whether to
    join a new utterance to a fragment it has already delivered. The lower case counts only
    with ``require_end_mark``: an engine that has stopped punctuating (:func:`punctuates`)
    writes lower case starts for new sentences too."""
    words = config.words
    m = words.pattern.search(text[:TAIL_CHARS]) if words.known else None
    if m is None:
        return None  # nor in a language whose words are not known: never guessed
    word = m[0]
    if word[0].islower() and config.require_end_mark:
        return f"starts lower case ({word!r})"
    if word.lower() in words.continuers:
        return f"starts with {word.lower()!r}"
    return None


def for_language(config: BoundaryConfig, language: str | None) -> BoundaryConfig:
    """``config`` with the words of ``language`` (None: English), for a piece in it. Its
    English lists are kept for English; a language without words of its own reads none and
    asks for no end mark (its script may have other marks, or none)."""
    code = languages.code(language)
    if code == config.language:
        return config
    w = WORDS.get(code, OFF)
    return replace(config, language=code, articles=w.articles, conjunctions=w.conjunctions,
                   subordinators=w.subordinators, prepositions=w.prepositions,
                   auxiliaries=w.auxiliaries, hesitations=w.hesitations, hedges=w.hedges,
                   openers=w.openers, require_end_mark=config.require_end_mark and w.known)


def in_effect(config: BoundaryConfig, punctuating: bool) -> BoundaryConfig:
    """``config`` as it applies: without the end-mark rule while the engine does not
    punctuate (:func:`punctuates`)."""
    if config.require_end_mark and not punctuating:
        return replace(config, require_end_mark=False)
    return config


def punctuates(finals: list[str], share: float = 0.5, min_texts: int = 3) -> bool:
    """Do more than ``share`` of ``finals`` (recent final texts of a session, at most a few
    dozen) end in . ? or !? tiny.en copies its prompt's style: once the prompt lacks end
    marks its texts lack them too, and the end-mark rule would then hold every utterance.
    A pipeline turns :attr:`BoundaryConfig.require_end_mark` off while this is False.
    Fewer than ``min_texts`` texts are no evidence: the first fragment of a session has no
    end mark because it is a fragment."""
    marked = [_split(text[-TAIL_CHARS:])[1] in (".", "?", "!") for text in finals
              if text.strip()]
    return len(marked) < min_texts or sum(marked) > share * len(marked)
