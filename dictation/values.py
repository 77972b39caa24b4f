"""argparse ``type=`` functions that parse one option value and check its range.

The config file and the environment go through the same functions as the command line, so a
bad value is caught once and reported with where it came from.
"""

from __future__ import annotations

from argparse import ArgumentTypeError


def _number(text: str, kind: type[int] | type[float]) -> float:
    try:
        return kind(text)
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise ArgumentTypeError(f"expected {what}, got {text!r}") from None


def temperature(text: str) -> float:
    value = _number(text, float)
    if not 0.0 <= value <= 1.0:
        raise ArgumentTypeError(f"must be between 0 and 1, got {value}")
    return value


def language(text: str) -> str:
    if not (text.isalpha() and 2 <= len(text) <= 3):
        raise ArgumentTypeError(f"takes an ISO-639-1 code such as 'en', got {text!r}")
    return text


def threads(text: str) -> int:
    value = int(_number(text, int))
    if value < 0:
        raise ArgumentTypeError(f"must be ≥ 0 (0 = one per core), got {value}")
    return value


def beam_size(text: str) -> int:
    value = int(_number(text, int))
    if value < 1:
        raise ArgumentTypeError(f"must be ≥ 1, got {value}")
    return value


def speculate(text: str) -> float:
    value = _number(text, float)
    if not 0 <= value <= 5:
        raise ArgumentTypeError(f"takes 0 (off) to 5 seconds, got {value}")
    return value


def interim(text: str) -> float:
    value = _number(text, float)
    if value != 0 and not 0.2 <= value <= 10:
        raise ArgumentTypeError(f"takes 0 (off) or 0.2 to 10 seconds, got {value}")
    return value


def max_utterance(text: str) -> float:
    value = _number(text, float)
    if not value <= 600:
        raise ArgumentTypeError(f"must be at most 600 s, got {value}")
    return value


def speech_floor(text: str) -> float:
    value = _number(text, float)
    if not 0 <= value <= 40:
        raise ArgumentTypeError(f"takes 0 (send everything) to 40 dB, got {value}")
    return value


def silence_phrase(text: str) -> str:
    if not any(c.isalnum() for c in text):
        raise ArgumentTypeError(f"needs a word, got {text!r}")
    return text


def type_delay(text: str) -> int:
    value = int(_number(text, int))
    if not 0 <= value <= 1000:
        raise ArgumentTypeError(f"takes 0 to 1000 ms, got {value}")
    return value


def timeout(text: str) -> float:
    value = _number(text, float)
    if not 0 < value <= 3600:
        raise ArgumentTypeError(f"takes more than 0 and at most 3600 seconds, got {value}")
    return value


def give_up(text: str) -> float:
    value = _number(text, float)
    if not 0 <= value <= 7 * 86400:
        raise ArgumentTypeError(f"takes 0 to 604800 seconds, got {value}")
    return value


def megabytes(text: str) -> float:
    value = _number(text, float)
    if not 0 < value <= 1_000_000:
        raise ArgumentTypeError(f"takes more than 0 and at most 1000000 MB, got {value}")
    return value
