"""Scoring spoken commands: what the product made of each utterance's transcript against the
text written by hand for it.

- **rendered right**: each expected punctuation mark or line break (and each retraction) that is
  in the output at its place. Output and expectation are cut into words, marks and line
  breaks and aligned (difflib); a mark counts where it lines up with the same mark. The
  model's own extra punctuation is not counted against anything.
- **typed literally**: command phrases among the output's words beyond those the expectation
  has ("comma" typed as a word).
- **ordinary words turned into commands**: command operations (or a retraction) made from a
  sentence that uses the command words as words.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from dataclasses import dataclass, field

from cmdcorpus import PHRASES, Item

from dictation.text import commands

MARKS = {".", ",", "?", "!", ":", ";", "\n", "\n\n"}
_TOKEN = re.compile(r"\n\n|\n|[.,?!:;]|[\w']+")
_PHRASE_WORDS = [tuple(p.split()) for p in PHRASES] + [(p.replace(" ", ""),) for p in PHRASES
                                                         if " " in p]


def tokens(text: str) -> list[str]:
    return [t.lower() for t in _TOKEN.findall(text)]


def marks_right(expect: str, out: str) -> tuple[int, int]:
    """(marks of ``expect`` found in place in ``out``, marks of ``expect``)."""
    a, b = tokens(expect), tokens(out)
    right = 0
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            right += sum(t in MARKS for t in a[i1:i2])
        elif op == "replace":
            have = Counter(t for t in b[j1:j2] if t in MARKS)
            right += sum(min(n, have[t]) for t, n in Counter(
                t for t in a[i1:i2] if t in MARKS).items())
    return right, sum(t in MARKS for t in a)


def phrase_count(text: str) -> int:
    words = re.findall(r"[\w']+", text.lower())
    count = 0
    for phrase in _PHRASE_WORDS:
        n = len(phrase)
        count += sum(tuple(words[i:i + n]) == phrase for i in range(len(words) - n + 1))
    return count


@dataclass
class Score:
    expected: int = 0
    right: int = 0
    literal: int = 0
    false: int = 0
    calm_false: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def percent(self) -> float:
        return 100 * self.right / self.expected if self.expected else 100.0


def _commands_in(ops: tuple[commands.Op, ...]) -> int:
    return sum(op.kind != "text" for op in ops)


def score_item(s: Score, item: Item, transcript: str, table: commands.CommandTable,
               rule: commands.Rule, guard: bool, label: str) -> None:
    ops = commands.parse(transcript, table, rule, guard)
    out = commands.render(ops)
    if item.ordinary:
        made = _commands_in(ops)
        s.false += made
        if made:
            s.misses.append(f"{label}: {transcript!r} → {out.text!r} (ordinary words)")
        return
    if item.retract:
        right, expected = int(out.retract), 1
    else:
        right, expected = marks_right(item.expect, out.text)
        if out.retract:
            right = 0  # the utterance was thrown away
    literal = max(0, phrase_count(out.text) - phrase_count(item.expect))
    s.expected += expected
    s.right += right
    s.literal += literal
    if right < expected or literal:
        s.misses.append(f"{label}: {transcript!r} → {out.text!r}, want {item.expect!r}"
                        + (" (retract)" if item.retract else ""))


def score(results: list[tuple[str, str, Item, str]], calm: list[str],
          table: commands.CommandTable, rule: commands.Rule, guard: bool = True) -> Score:
    """``results``: (voice, style, item, transcript); ``calm``: transcripts of ordinary
    dictation, where any command made is a false one."""
    s = Score()
    for voice, style, item, transcript in results:
        score_item(s, item, transcript, table, rule, guard, f"{voice} {style} {item.name}")
    s.calm_false = sum(_commands_in(commands.parse(t, table, rule, guard)) for t in calm)
    return s
