"""Which language's rules a piece of text gets. The language is decided once, at the
transcriber, and handed to the text stage with each piece; nothing here guesses one from text.

Each rule set is keyed by an ISO-639-1 code. English, French, Spanish and German have rules of
their own (commands, unfinished words, capitals, the guard's phrases); any other language gets
only what needs no knowledge of it: no words are read as unfinished, no capital is taken away.
"""

from __future__ import annotations

BUILT_IN = ("en", "fr", "es", "de")
"""Languages with rules of their own, English first: the default when none is given."""
DEFAULT = "en"
UNKNOWN = "und"
"""ISO 639's code for an undetermined language: what text that is no language code becomes."""

_NAMES = {"english": "en", "french": "fr", "spanish": "es", "castilian": "es",
          "german": "de"}
"""The names OpenAI's verbose_json (and Whisper's tokenizer) give the built-in languages."""


def code(language: str | None, default: str = DEFAULT) -> str:
    """``language`` as the key of the rules: an ISO-639-1 code in lower case ("de-AT" and
    "de_DE" are "de"; "german", Whisper's name for it, too). None or "" is ``default``; text
    that is no language code at all is :data:`UNKNOWN`, a language without rules."""
    if not language:
        return default
    low = language.strip().lower()
    if low in _NAMES:
        return _NAMES[low]
    base = low.replace("_", "-").split("-", 1)[0]
    return base if base.isascii() and base.isalpha() and 2 <= len(base) <= 3 else UNKNOWN


def built_in(language: str | None) -> bool:
    """Does ``language`` have rules of its own?"""
    return code(language) in BUILT_IN
