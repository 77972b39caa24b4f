"""The built-in command tables, per language: the phrases and what they do, what tiny.en
hears for some of them, and the words after which a command word is a noun. Measured in
bench/commands.md; dictation.text.commands uses them.
"""

from __future__ import annotations

from collections.abc import Mapping

ENGLISH: Mapping[str, str] = {
    "period": ".", "full stop": ".", "comma": ",", "question mark": "?",
    "exclamation mark": "!", "exclamation point": "!", "colon": ":", "semicolon": ";",
    "new line": "newline", "new paragraph": "paragraph",
    "scratch that": "scratch", "delete that": "scratch",
}
BUILTIN: Mapping[str, Mapping[str, str]] = {"en": ENGLISH}
ENGLISH_ALIASES: Mapping[str, str] = {"scratch mark": "scratch that",
                                      "delete mark": "delete that"}
"""tiny.en's mishearings of a command, matched as it while it is in the table but never put in
the prompt (that would teach the mishearing); a retraction counts only as an utterance of its
own, and nobody dictates "Scratch mark." alone (bench/commands.md)."""
ALIASES: Mapping[str, Mapping[str, str]] = {"en": ENGLISH_ALIASES}
ENGLISH_GUARDS = frozenset({
    "a", "an", "the", "this", "these", "those", "my", "your", "his", "her", "its", "our",
    "their", "every", "each", "no", "any", "another", "per"})
"""A command word right after one of these, with no punctuation between, is a noun ("only a
comma", "is the colon"): nobody dictates "the" and then a command (bench/commands.md)."""
GUARDS: Mapping[str, frozenset[str]] = {"en": ENGLISH_GUARDS}
ENGLISH_COMPOUNDS: Mapping[str, frozenset[str]] = {"period": frozenset({
    "trial", "grace", "notice", "waiting", "probation", "probationary", "billing",
    "reporting", "transition", "warranty", "incubation", "introductory", "coolingoff"})}
"""Nouns that make a compound with the command word after them: "…in the trial period." reads
exactly like "…from the trip period", the commonest way a command is said; only the noun tells
them apart. Like a guard word, it gives way to the model's punctuation ("on trial, period.")."""
COMPOUNDS: Mapping[str, Mapping[str, frozenset[str]]] = {"en": ENGLISH_COMPOUNDS}
