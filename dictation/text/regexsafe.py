"""Refusing regular expressions that can take super-linear time, before they ever see text.

Python's ``re`` backtracks and has no time limit, so a pattern such as ``(\\w+\\s?)+$`` can
spend minutes on one line. A user's replacement patterns are checked once, at load:

1. **Shape.** A repetition inside a repetition where both may repeat without bound,
   ``(a+)+`` or ``(\\w+\\s)*``, is refused: it is the shape behind nearly every
   catastrophic pattern. Possessive quantifiers (``a++``) and atomic groups (``(?>…)``),
   which never backtrack, are accepted and are what the error suggests instead.
2. **Growth.** The pattern is searched in probe texts made of its own characters (and word,
   digit and space characters for its classes) that end in a character making it fail, at
   growing lengths up to ``MAX_INPUT``. Searching is quadratic for many sane patterns on such
   text (``(\\d+) ?percent`` tries every start and backtracks over every digit), so the check
   is on the growth: once a search takes ``FLOOR_S``, a time growing faster than the length to
   the power ``MAX_EXPONENT`` refuses the pattern, and so does any search over ``LIMIT_S``
   (CPU time of the thread, so that a busy machine does not refuse a good pattern).
   This catches ambiguous alternation (``(a|ab)*c``), bounded nesting (``(a{1,3})+b``) and
   polynomial blow-ups (``.*.*.*x``) that the shape rule lets through.

At run time patterns only see text up to ``MAX_INPUT`` characters, the longest probed, where
their time is thus at most quadratic and known; an utterance's text is far shorter (Whisper's
30 s window holds about 90 words). The parser used for the shape rule is ``re``'s own
(``re._parser``).
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Iterator

try:
    from re import _parser as _sre
except ImportError:  # pragma: no cover - renamed in some future Python: growth check only
    _sre = None  # type: ignore[assignment]

MAX_INPUT = 1000
"""Characters; longer text is not given to the user's patterns."""
FLOOR_S = 0.002
"""Shorter searches are too noisy to measure growth on."""
MAX_EXPONENT = 3.5
"""Growth faster than this, measured over a doubling of the length, is a blow-up in the
making: exponential patterns show 6 to 9 at a few ms. Quadratic (2) is what searching costs,
and on a busy machine it can measure 3; anything polynomial that grows slower is stopped by
``LIMIT_S`` before the length where it would hurt. A time that would refuse is measured
again, best of three."""
LIMIT_S = 0.1
"""The longest a search may take at any probed length, so at most this on any text a pattern
is given at run time."""


def _items(av: object) -> Iterator[object]:
    """The parsed sub-patterns inside one node's argument (a group's, a branch's…)."""
    if isinstance(av, _sre.SubPattern):
        yield av
    elif isinstance(av, list | tuple):
        for x in av:
            yield from _items(x)


def _nested(pattern: object, inside: bool = False) -> bool:
    """Whether an unbounded repetition that backtracks sits inside another one."""
    for op, av in pattern:  # type: ignore[attr-defined]
        if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT):
            _lo, hi, sub = av
            unbounded = hi == _sre.MAXREPEAT
            if unbounded and inside:
                return True
            if _nested(sub, inside or unbounded):
                return True
        elif op in (_sre.POSSESSIVE_REPEAT, _sre.ATOMIC_GROUP):
            continue  # never backtracks into
        else:
            for sub in _items(av):
                if _nested(sub, inside):
                    return True
    return False


def _alphabet(pattern: object, out: set[str]) -> None:
    """Characters the pattern can match: its literals and one of each class."""
    for op, av in pattern:  # type: ignore[attr-defined]
        if op == _sre.LITERAL:
            out.add(chr(av))
        elif op == _sre.RANGE:
            out.add(chr(av[0]))
        elif op == _sre.CATEGORY:
            out.add({"CATEGORY_DIGIT": "1", "CATEGORY_SPACE": " "}.get(str(av), "a"))
        elif op == _sre.ANY:
            out.add("a")
        elif op == _sre.IN:
            _alphabet(av, out)
        else:
            for sub in _items(av):
                _alphabet(sub, out)


def _probes(compiled: re.Pattern[str]) -> list[str]:
    chars: set[str] = {"a", " ", "1"}
    if _sre is not None:
        _alphabet(_sre.parse(compiled.pattern, compiled.flags), chars)
    alphabet = sorted(c for c in chars if c.isprintable())[:12]
    bases = [*alphabet, "".join(alphabet), "a "]
    return [b * (MAX_INPUT // len(b) + 1) for b in bases]


def _lengths() -> Iterator[int]:
    # Small steps first: an exponential pattern is caught before one search takes long.
    yield from range(4, 34, 2)
    n = 40
    while n < MAX_INPUT:
        yield n
        n = n * 5 // 4
    yield MAX_INPUT


def _time(compiled: re.Pattern[str], text: str, repeats: int = 1) -> float:
    best = float("inf")
    for _ in range(repeats):
        # CPU time of this thread: a busy machine delays a search but does not lengthen it.
        began = time.thread_time()
        compiled.search(text)
        best = min(best, time.thread_time() - began)
    return best


def _verdict(times: dict[int, float], n: int, probe: str) -> str | None:
    took = times[n]
    half = max((m for m in times if m <= n // 2), default=None)
    if half is not None and took > FLOOR_S:
        exponent = math.log(took / max(times[half], 1e-7)) / math.log(n / half)
        if exponent > MAX_EXPONENT:
            return (f"its time grows as the length to the power {exponent:.0f} "
                    f"({took * 1000:.0f} ms on {n} characters of {probe[:4]!r}…)")
    if took > LIMIT_S:
        return f"it took {took * 1000:.0f} ms on {n} characters of {probe[:4]!r}…"
    return None


def _growth(compiled: re.Pattern[str], probe: str) -> str | None:
    times: dict[int, float] = {}
    for n in _lengths():
        text = probe[:n] + "\x00"  # a character no text has: the search fails at the end
        times[n] = _time(compiled, text)
        if _verdict(times, n, probe):  # confirm with the best of three before refusing
            times[n] = _time(compiled, text, 3)
            if reason := _verdict(times, n, probe):
                return reason
    return None


def problem(compiled: re.Pattern[str]) -> str | None:
    """Why the pattern may take super-linear time, or None."""
    if _sre is not None and _nested(_sre.parse(compiled.pattern, compiled.flags)):
        return ("a repetition inside a repetition, such as (a+)+, can take exponential time; "
                "use a possessive quantifier (a++) or an atomic group (?>...)")
    for probe in _probes(compiled):
        reason = _growth(compiled, probe)
        if reason:
            return f"{reason}; it backtracks too much"
    return None
