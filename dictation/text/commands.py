"""Spoken commands: "comma", "new line", "scratch that"… in one utterance's transcript become
punctuation, line breaks, or a request to take back the previous utterance.

Matching ignores the model's case and punctuation ("Dear Sam, Comma, New Line."). Where a
command counts is the rule ``RULE``, "boundary": a run of command words is a command when it
is the whole utterance, ends it, or follows a clause boundary the model marked with its own
punctuation ("the photos, period."), or starts the utterance and the model marked a boundary
after it ("New paragraph. The one…"); not after a determiner ("only a comma") or in a
compound ("the trial period"), unless the model put punctuation between. Elsewhere command
words stay words ("the trial period ends on Friday"). "Scratch that" takes back text already
delivered, so it counts only as an utterance of its own.

Measured with tiny.en and the command phrases in the prompt (bench/commands.md: a letter in
four voices, 168 commands, and 48 sentences using command words as words): commands only as
whole utterances rendered 57 % and typed 127 command words literally; at the end too, 90 %
and 29; "boundary", 95 % and 5; anywhere, 95 % and none, but 39 ordinary words became
commands where "boundary" makes none (12 without its determiners and compounds).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from dictation.text.cmdbuild import (
    ACTIONS,
    MAX_LITERAL,
    MAX_PHRASE_WORDS,
    CommandConfig,
    CommandTable,
    bias_phrases,
    build_table,
    key,
)
from dictation.text.revise import word_key

__all__ = ["ACTIONS", "CLAUSE_PUNCT", "MAX_LITERAL", "MAX_PHRASE_WORDS", "OPENING", "RULE",
           "SENTENCE_END", "CommandConfig", "CommandTable", "Op", "Rendered", "apply",
           "bias_phrases", "build_table", "parse", "render"]

Kind = Literal["text", "punct", "newline", "paragraph", "scratch"]
Rule = Literal["whole", "end", "boundary", "anywhere"]
RULES: tuple[Rule, ...] = ("whole", "end", "boundary", "anywhere")
RULE: Rule = "boundary"
"""Each rule includes the ones before it; see the module docstring and bench/commands.md."""

_BREAKS: Mapping[str, tuple[Kind, str]] = {"newline": ("newline", "\n"),
                                           "paragraph": ("paragraph", "\n\n"),
                                           ".\n\n": ("paragraph", ".\n\n")}
"""Line breaks; ".\\n\\n" (a sentence end and a paragraph: Spanish "punto y aparte") only in
built-in tables, as a config's value cannot hold a line break."""

CLAUSE_PUNCT = ",.;:!?…"
SENTENCE_END = ".?!…"
OPENING = "([{“‘«¿¡"
"""Punctuation commands with this text open: a space before them and none after."""


@dataclass(frozen=True)
class Op:
    kind: Kind
    text: str
    """Words for ``text``; the character(s) for ``punct``, "\\n", "\\n\\n", "" for scratch."""
    said: str = ""
    """The words heard, for a command."""


@dataclass(frozen=True)
class Rendered:
    text: str
    retract: bool = False
    """The utterance was "scratch that": take back the previous utterance (``text`` is "")."""
    attach: bool = False
    """``text`` starts with punctuation or a line break that follows the previous utterance
    directly, with no space in between."""


@dataclass(frozen=True)
class _Match:
    start: int
    end: int
    action: str


def _find(keys: Sequence[str], table: CommandTable) -> list[_Match]:
    """Command phrases among the words, longest first, left to right, not overlapping."""
    found, i = [], 0
    while i < len(keys):
        for n in range(min(table.longest, len(keys) - i), 0, -1):
            action = table.phrases.get(tuple(keys[i:i + n]))
            if action is not None and all(keys[i:i + n]):
                found.append(_Match(i, i + n, action))
                i += n
                break
        else:
            i += 1
    return found


def _runs(found: list[_Match]) -> list[list[_Match]]:
    """Adjacent matches grouped: "comma new line" is decided as one run."""
    runs: list[list[_Match]] = []
    for m in found:
        if runs and runs[-1][-1].end == m.start:
            runs[-1].append(m)
        else:
            runs.append([m])
    return runs


def _counting(run: list[_Match], keys: Sequence[str], plains: Sequence[str],
              words: Sequence[str], rule: Rule, guards: frozenset[str],
              compounds: Mapping[tuple[str, ...], frozenset[str]]) -> list[_Match]:
    """The matches of a run that are commands; ``keys`` and ``plains`` are the words as
    phrases and as guard words are compared (cmdbuild.key and revise.word_key)."""
    start, end = run[0].start, run[-1].end
    if rule == "anywhere" or (start == 0 and end == len(words)):
        return run
    if rule == "whole":
        return []
    before = words[start - 1] if start > 0 else ""
    nouns = guards | compounds.get(tuple(keys[start:run[0].end]), frozenset())
    if start > 0 and plains[start - 1] in nouns and not before.endswith(tuple(CLAUSE_PUNCT)):
        # "a comma, new line": the guard makes a noun of the next phrase only.
        return (_counting(run[1:], keys, plains, words, rule, guards, compounds)
                if len(run) > 1 else [])
    if end == len(words):
        return run
    if rule == "end":
        return []
    if _unmistakable(run):
        return run
    # A clause boundary the model wrote: punctuation just before the run ("photos, period"),
    # or, at the start of the utterance, just after it ("New paragraph. The one…").
    marked = start > 0 and before.endswith(tuple(CLAUSE_PUNCT))
    after = start == 0 and (words[end - 1].endswith(tuple(CLAUSE_PUNCT))
                            or run[-1].action in OPENING)  # an opening mark starts a clause
    return run if marked or after else []


def _unmistakable(run: list[_Match]) -> bool:
    """A mark and a line break said together ("period new line", "punto, nueva línea"), or
    one phrase that is both ("punto y aparte"): words never run that way in a sentence, so
    the run is a command wherever it stands, though the model wrote no pause before it, as
    it seldom does where the speaker runs on ("Gracias por tu ayuda punto nueva línea
    Saludos"). A guard word before it still makes a noun of it ("un punto y aparte")."""
    breaks = [m for m in run if m.action in _BREAKS]
    return bool(breaks) and (len(run) > 1 or breaks[0].action not in ("newline", "paragraph"))


def _tokens(transcript: str) -> list[str]:
    """The words of ``transcript``, a mark standing alone kept with the word before it:
    French sets "?", "!", ":" and ";" apart ("Efface ça !")."""
    words: list[list[str]] = []  # joined once at the end: linear however many marks
    for word in transcript.split():
        if words and not any(ch.isalnum() for ch in word):
            words[-1].append(word)
        else:
            words.append([word])
    return [" ".join(w) for w in words]


def parse(transcript: str, table: CommandTable, rule: Rule = RULE, guard: bool = True
          ) -> tuple[Op, ...]:
    """The utterance as text and command operations; ``guard=False`` ignores the table's
    guard words (for the benchmark)."""
    words = _tokens(transcript)
    plains = [word_key(w) for w in words]
    keys = [key(w) for w in plains]
    found = _find(keys, table)
    # The model may write a short command twice ("scratch that, scratch that," for one): an
    # utterance of nothing but retractions takes back one utterance, never more.
    if found and all(m.action == "scratch" for m in found) and len(_runs(found)) == 1 \
            and (found[0].start, found[-1].end) == (0, len(words)):
        return (Op("scratch", "", " ".join(words)),)
    # Taking back delivered text is not undone by a retyped word: only alone does it count.
    found = [m for m in found if m.action != "scratch"]
    guards, compounds = (table.guards, table.compounds) if guard else (frozenset(), {})
    commands = {m.start: m for run in _runs(found)
                for m in _counting(run, keys, plains, words, rule, guards, compounds)}
    ops: list[Op] = []
    text: list[str] = []
    i = 0
    while i < len(words):
        m = commands.get(i)
        if m is None:
            text.append(words[i])
            i += 1
            continue
        if text:
            ops.append(Op("text", " ".join(text)))
            text = []
        kind, mark = _BREAKS.get(m.action, ("punct", m.action))
        ops.append(Op(kind, mark, " ".join(words[m.start:m.end])))
        i = m.end
    if text:
        ops.append(Op("text", " ".join(text)))
    return tuple(ops)


_TRAILING = re.compile(f" *[{re.escape(CLAUSE_PUNCT)}]+$")


def _capitalize(text: str) -> str:
    for i, ch in enumerate(text):
        if ch.isalpha():
            return text[:i] + ch.upper() + text[i + 1:]
    return text


def render(ops: Sequence[Op]) -> Rendered:
    """The utterance's final text. Punctuation attaches to the word before it, replacing the
    model's own punctuation there (it wrote "photos, period." for "photos period"); a line
    break takes the spaces before it; a sentence end or a line break capitalises what follows.
    """
    if any(op.kind == "scratch" for op in ops):
        return Rendered("", retract=True)
    out, cap, prev = "", False, ""
    for op in ops:
        if op.kind == "text":
            glue = " " if out and not out.endswith(("\n", *OPENING)) else ""
            out += glue + (_capitalize(op.text) if cap else op.text)
            cap = False
        elif op.kind == "punct":
            if prev == "text":
                out = _TRAILING.sub("", out)
            if op.text in OPENING:
                out += " " if out and not out.endswith(("\n", *OPENING)) else ""
            out += op.text
            cap = op.text in SENTENCE_END
        else:
            if prev == "text" and op.text[0] in CLAUSE_PUNCT:  # "punto y aparte"
                out = _TRAILING.sub("", out)
            out = out.rstrip(" ") + op.text
            cap = True
        prev = op.kind
    attach = bool(ops) and ops[0].kind in ("punct", "newline", "paragraph") and \
        not (ops[0].kind == "punct" and ops[0].text in OPENING)
    return Rendered(out, attach=attach)


def apply(transcript: str, table: CommandTable, rule: Rule = RULE) -> Rendered:
    """Parse and render one utterance."""
    return render(parse(transcript, table, rule))
