"""A language's command table: its built-in phrases (cmdtables.py) extended and changed by the
user's ``[commands.<language>]`` table, in the form dictation.text.commands matches against.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

from dictation.errors import ConfigError
from dictation.text import languages
from dictation.text.cmdtables import ALIASES, BUILTIN, COMPOUNDS, GUARDS
from dictation.text.revise import word_key

ACTIONS = frozenset({"newline", "paragraph", "scratch"})
"""Action names in a command table; any other value is punctuation text, and "" removes a
built-in phrase."""
MAX_PHRASE_WORDS = 6
MAX_LITERAL = 16


@dataclass(frozen=True)
class CommandConfig:
    enabled: bool = True
    language: str | None = None
    """The run's language (--language): the table of a piece whose language is not given;
    None is English, the bundled model's."""
    table: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """language → {phrase: action} from the config; extends and overrides the built-in one."""


@dataclass(frozen=True)
class CommandTable:
    phrases: Mapping[tuple[str, ...], str]
    """Normalised words → action; a multi-word phrase also as one word ("newline")."""
    spoken: tuple[str, ...]
    """The phrases as written in the table, for biasing the recogniser."""
    longest: int = 1
    guards: frozenset[str] = frozenset()
    """Words after which a command word is a word (outside a whole-utterance command)."""
    compounds: Mapping[tuple[str, ...], frozenset[str]] = field(default_factory=dict)
    """The same for one phrase: "trial" before "period"."""


def key(word: str) -> str:
    """A word as command phrases are matched: revise.word_key without accents, so that
    "Line." "line" and "new-line" ("newline") compare by their letters, and "à" as "a", which
    the model writes either way."""
    low = word_key(word)
    if low.isascii():
        return low
    return "".join(ch for ch in unicodedata.normalize("NFKD", low)
                   if not unicodedata.combining(ch))


def _action(language: str, phrase: str, value: object) -> str:
    where = f"commands.{language}: '{phrase}'"
    if not isinstance(value, str):
        raise ConfigError(f"{where} must be a string (punctuation, newline, paragraph or "
                          "scratch)")
    if value in ACTIONS or value == "":
        return value
    if len(value) > MAX_LITERAL or any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ConfigError(f"{where}: '{value[:20]}' is not punctuation text (at most "
                          f"{MAX_LITERAL} characters without control characters), nor "
                          "newline, paragraph or scratch")
    return value


def _words(phrase: str) -> tuple[str, ...]:
    return tuple(k for k in map(key, phrase.split()) if k)


def _variants(phrase: str) -> tuple[tuple[str, ...], ...]:
    """How the model may write ``phrase``: as said, as one word ("newline"), and without its
    hyphens ("point-virgule" as "point virgule")."""
    words = _words(phrase)
    split = _words(phrase.replace("-", " "))
    return (words, ("".join(words),), *([split] if len(split) <= MAX_PHRASE_WORDS else []))


def build_table(config: CommandConfig, language: str | None = None) -> CommandTable:
    """The built-in table of ``language`` (None: the config's), extended by the config's;
    raises a one-line ConfigError naming a bad entry. With commands off the table is empty:
    nothing matches and nothing is asked of the recogniser. A language without a table of
    either kind has no commands."""
    if not config.enabled:
        return CommandTable({}, ())
    code = languages.code(language or config.language)
    merged: dict[str, str] = dict(BUILTIN.get(code, {}))
    for phrase, value in config.table.get(code, {}).items():
        merged[phrase] = _action(code, phrase, value)
    phrases: dict[tuple[str, ...], str] = {}
    spoken = []
    for phrase, action in merged.items():
        words = _words(phrase)
        if not words or len(words) > MAX_PHRASE_WORDS:
            raise ConfigError(f"commands.{code}: '{phrase}' must be 1 to "
                              f"{MAX_PHRASE_WORDS} words")
        if action == "":
            continue
        phrases[words] = action
        for variant in _variants(phrase)[1:]:
            phrases.setdefault(variant, action)
        spoken.append(" ".join(phrase.split()))
    for alias, phrase in ALIASES.get(code, {}).items():
        if merged.get(phrase) and alias not in merged:  # removing the phrase removes it too
            phrases.setdefault(_words(alias), merged[phrase])
    longest = max((len(w) for w in phrases), default=1)
    compounds = {variant: frozenset(map(word_key, nouns))
                 for p, nouns in COMPOUNDS.get(code, {}).items() for variant in _variants(p)}
    guards = frozenset(map(word_key, GUARDS.get(code, frozenset())))
    return CommandTable(phrases, tuple(spoken), longest, guards, compounds)


def bias_phrases(table: CommandTable) -> tuple[str, ...]:
    """The command phrases, for the recogniser's prompt or hotwords while commands are on:
    tiny.en otherwise hears "comma" as "comment" (bench/commands.md)."""
    return table.spoken
