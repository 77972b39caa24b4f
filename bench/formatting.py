"""Formatted-text errors: what a reader must fix by hand that word error rate does not see.

Against a reference that keeps its punctuation and capitals, the output lines are scored for

- **false sentence ends**: a sentence end in the output (. ? ! after a word, or the end of a
  line) where the reference has none;
- **false capitals**: an output word with a capital whose reference word has none
  ("Still has..." after a false end);

and, the other way round, missed sentence ends and missed capitals (run-on sentences, a name
written lower case). Words are aligned after normalising them to lower-case letters, digits
and apostrophes (difflib on the word lists); a substituted word is paired with its reference
word, so a misheard word still counts for its capital. An ellipsis ("..." or "…") inside a
line is not a sentence end: the model writes it for a trailing voice. An end placed after a
word the reference lacks belongs to the gap after the last reference word before it.

Pure, standard library only: tests/test_bench_formatting.py checks it without audio.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

_CLOSERS = "\"'”’)]}»"
_NORM = re.compile(r"[^\w']+")


@dataclass(frozen=True)
class Word:
    norm: str  # the alignment key: lower case, letters, digits and apostrophes
    capital: bool  # written with a capital first letter
    end: bool  # a sentence end follows: . ? ! or the end of its line


def words(lines: list[str]) -> list[Word]:
    """The words of ``lines`` (each a line of output, or a reference sentence)."""
    out: list[Word] = []
    for line in lines:
        first = len(out)
        for token in line.replace("’", "'").split():
            core = token.rstrip(_CLOSERS)
            end = core.endswith((".", "?", "!")) and not core.endswith(("..", "…"))
            norm = _NORM.sub("", token.lower()).strip("'")
            if norm:
                letter = next((c for c in token if c.isalpha()), "")
                out.append(Word(norm, letter.isupper(), end))
            elif end and len(out) > first:  # a mark standing alone: "word ."
                out[-1] = Word(out[-1].norm, out[-1].capital, True)
        if len(out) > first:
            out[-1] = Word(out[-1].norm, out[-1].capital, True)
    return out


@dataclass
class Formatting:
    false_ends: int = 0
    missed_ends: int = 0
    false_capitals: int = 0
    missed_capitals: int = 0
    examples: list[str] = field(default_factory=list)  # each false end and capital, in context

    def __add__(self, other: Formatting) -> Formatting:
        return Formatting(self.false_ends + other.false_ends,
                          self.missed_ends + other.missed_ends,
                          self.false_capitals + other.false_capitals,
                          self.missed_capitals + other.missed_capitals,
                          self.examples + other.examples)


def _pairs(ref: list[Word], hyp: list[Word]) -> dict[int, int]:
    """Output word index → reference word index, for equal and substituted words."""
    matcher = SequenceMatcher(None, [w.norm for w in ref], [w.norm for w in hyp],
                              autojunk=False)
    out = {}
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op in ("equal", "replace"):
            # A replaced run may differ in length: pair from its start, the rest unpaired.
            out.update(zip(range(j1, j2), range(i1, i2), strict=False))
    return out


def _context(hyp: list[Word], j: int, end: bool) -> str:
    """A few words around word ``j``: "company | still" for an end after it, "company
    Still has" for its capital."""
    shown = [w.norm.capitalize() if k == j and not end else w.norm
             for k, w in enumerate(hyp[: j + 2]) if k >= j - 3]
    if end:
        shown.insert(min(j, 3) + 1, "|")
    return " ".join(shown)


def measure(reference: list[str], lines: list[str]) -> Formatting:
    """Formatted-text errors of output ``lines`` against ``reference`` sentences (written
    with their punctuation and capitals)."""
    ref, hyp = words(reference), words(lines)
    pairs = _pairs(ref, hyp)
    f = Formatting()
    # The reference gap (after reference word i) each output end falls in; an end after
    # an inserted word falls after the last paired word before it.
    covered: set[int] = set()
    false_at: set[int] = set()
    last = -1
    paired_refs = sorted(pairs.values())
    for j, w in enumerate(hyp):
        last = pairs.get(j, last)
        if not w.end:
            continue
        # Reference words deleted after ``last`` may hold the end: the gap runs to the next
        # paired reference word.
        nxt = next((i for i in paired_refs if i > last), len(ref))
        gap = [i for i in range(max(last, 0), max(nxt, last + 1)) if ref[i].end] \
            if last >= 0 else []
        if gap:
            covered.add(gap[0])
        elif last not in false_at:
            false_at.add(last)
            f.false_ends += 1
            f.examples.append(f"false end: {_context(hyp, j, True)}")
    f.missed_ends = sum(1 for i, w in enumerate(ref) if w.end and i not in covered)
    for j, i in sorted(pairs.items()):
        if hyp[j].capital and not ref[i].capital:
            f.false_capitals += 1
            f.examples.append(f"false capital: {_context(hyp, j, False)}")
        elif ref[i].capital and not hyp[j].capital:
            f.missed_capitals += 1
    return f
