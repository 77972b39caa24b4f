"""Option values: the argparse ``type=`` functions that parse one value and check its range
(the config file and the environment use them too: cli/layers.py). Every number is checked
to be finite first: ``inf`` and ``nan`` parse as floats, and would otherwise end in an
OverflowError deep inside (a frame count) or pass every range check (``nan`` compares false).
Numeric types carry ``numeric = True``, so tests can find every numeric option.
"""

from __future__ import annotations

import math
from argparse import ArgumentTypeError
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T", bound=Callable[[str], object])


def numeric(fn: T) -> T:
    """Mark an option type that reads a number."""
    fn.numeric = True  # type: ignore[attr-defined]
    return fn


def _number(text: str, kind: type[int] | type[float]) -> float:
    try:
        value = kind(text)
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise ArgumentTypeError(f"expected {what}, got {text!r}") from None
    if not math.isfinite(value):
        raise ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def _seconds(text: str, low: float, high: float, *, off: bool = False) -> float:
    """Seconds from ``low`` to ``high``; ``off``: 0 is allowed too and means off."""
    value = _number(text, float)
    if not (low <= value <= high or (off and value == 0)):
        zero = "0 (off) or " if off and low > 0 else ""
        raise ArgumentTypeError(f"takes {zero}{low:g} to {high:g} seconds, got {value:g}")
    return value


@numeric
def temperature(text: str) -> float:
    value = _number(text, float)
    if not 0.0 <= value <= 1.0:
        raise ArgumentTypeError(f"must be between 0 and 1, got {value}")
    return value


def language(text: str) -> str:
    if text == "auto":
        return text
    if not (text.isalpha() and 2 <= len(text) <= 3):
        raise ArgumentTypeError(f"takes an ISO-639-1 code such as 'en', or auto, got {text!r}")
    from dictation.transcribe.language import known

    if known([text.lower()]):
        raise ArgumentTypeError(f"'{text}' is not a language Whisper knows")
    return text.lower()


def languages(text: str) -> tuple[str, ...]:
    """A comma-separated list of language codes: ``en,fr,es``."""
    codes = tuple(c.strip().lower() for c in text.split(",") if c.strip())
    if not codes:
        raise ArgumentTypeError("takes language codes such as en,fr,es")
    for code in codes:
        language(code)
    return codes


@numeric
def threads(text: str) -> int:
    value = int(_number(text, int))
    if not 0 <= value <= 1024:
        raise ArgumentTypeError(f"takes 0 (one per core) to 1024, got {value}")
    return value


@numeric
def beam_size(text: str) -> int:
    value = int(_number(text, int))
    if not 1 <= value <= 100:
        raise ArgumentTypeError(f"takes 1 to 100, got {value}")
    return value


@numeric
def latency_budget(text: str) -> float:
    return _seconds(text, 0.05, 60)


@numeric
def bench_runs(text: str) -> int:
    value = int(_number(text, int))
    if not 1 <= value <= 100:
        raise ArgumentTypeError(f"takes 1 to 100, got {value}")
    return value


@numeric
def vad_aggressiveness(text: str) -> int:
    value = int(_number(text, int))
    if not 0 <= value <= 3:
        raise ArgumentTypeError(f"takes 0 to 3 (webrtcvad's modes), got {value}")
    return value


@numeric
def speculate(text: str) -> float:
    return _seconds(text, 0, 5)


@numeric
def hold(text: str) -> float:
    return _seconds(text, 0, 10)  # BoundaryConfig's range


@numeric
def interim(text: str) -> float:
    return _seconds(text, 0.2, 10, off=True)


@numeric
def max_utterance(text: str) -> float:
    # At least two of the 3 s windows its split point is looked for in (SegmenterConfig).
    return _seconds(text, 6, 600)


@numeric
def pre_roll(text: str) -> float:
    return _seconds(text, 0, 10)


@numeric
def hangover(text: str) -> float:
    return _seconds(text, 0.03, 10)  # one 30 ms frame at least


@numeric
def min_speech(text: str) -> float:
    return _seconds(text, 0, 60)


@numeric
def speech_floor(text: str) -> float:
    value = _number(text, float)
    if not 0 <= value <= 40:
        raise ArgumentTypeError(f"takes 0 (send everything) to 40 dB, got {value:g}")
    return value


def silence_phrase(text: str) -> str:
    if not any(c.isalnum() for c in text):
        raise ArgumentTypeError(f"needs a word, got {text!r}")
    return text


@numeric
def type_delay(text: str) -> int:
    value = int(_number(text, int))
    if not 0 <= value <= 1000:
        raise ArgumentTypeError(f"takes 0 to 1000 ms, got {value}")
    return value


@numeric
def timeout(text: str) -> float:
    value = _number(text, float)
    if not 0 < value <= 3600:
        raise ArgumentTypeError(f"takes more than 0 and at most 3600 seconds, got {value:g}")
    return value


@numeric
def give_up(text: str) -> float:
    return _seconds(text, 0, 7 * 86400)


@numeric
def stop_grace(text: str) -> float:
    return _seconds(text, 0, 60)


@numeric
def refine_wait(text: str) -> float:
    return _seconds(text, 0, 30)


@numeric
def megabytes(text: str) -> float:
    value = _number(text, float)
    if not 0 < value <= 1_000_000:
        raise ArgumentTypeError(f"takes more than 0 and at most 1000000 MB, got {value:g}")
    return value


@numeric
def post_timeout(text: str) -> float:
    # Each utterance waits for post-processing: minutes would make dictation useless, and a
    # slow local chat model on a CPU still answers a sentence well within two.
    value = _number(text, float)
    if not 0 < value <= 120:
        raise ArgumentTypeError(f"takes more than 0 and at most 120 seconds, got {value:g}")
    return value


def out_path(text: str) -> str:
    """`transcribe --output`: a path kept as written, "~" expanded. A trailing "/" says a
    directory, which pathlib.Path would drop."""
    import os

    return os.path.expanduser(text)
