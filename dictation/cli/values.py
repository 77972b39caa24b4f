"""Option values: the argparse ``type=`` functions that parse one value and check its range,
and the same values read from the config file or the environment.

The config file and the environment go through the same functions as the command line (each
option's own ``type`` and ``choices``), so a bad value is caught once and reported with where
it came from. Every number is checked to be finite first: ``inf`` and ``nan`` parse as floats,
and would otherwise end in an OverflowError deep inside (a frame count) or pass every range
check (``nan`` compares false). Numeric types carry ``numeric = True``, so tests can find every
numeric option.
"""

from __future__ import annotations

import argparse
import math
from argparse import ArgumentTypeError
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

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


# --- values from the config file or the environment ------------------------------------

BOOLS = {"1": True, "true": True, "yes": True, "on": True,
         "0": False, "false": False, "no": False, "off": False}


class BadValue(Exception):
    """A value that does not fit its option; the caller adds where it came from."""


def is_flag(a: argparse.Action) -> bool:
    """An option that takes no value (store_true and the like): true or false in a file."""
    return a.nargs == 0 and not isinstance(a, argparse._CountAction)


def is_list(a: argparse.Action) -> bool:
    return isinstance(a, argparse._AppendAction) or a.nargs in ("+", "*") or (
        isinstance(a.nargs, int) and a.nargs > 1)


def flag_value(a: argparse.Action, on: bool) -> Any:
    """What the option's destination holds when the flag is (not) given."""
    if isinstance(a, argparse.BooleanOptionalAction):
        return on
    return a.const if on else (None if a.default is argparse.SUPPRESS else a.default)


def default_of(a: argparse.Action) -> Any:
    # argparse runs a string default through the type too.
    if isinstance(a.default, str) and callable(a.type):
        return a.type(a.default)
    return list(a.default) if isinstance(a.default, list) else a.default


def from_toml(a: argparse.Action, raw: Any, *, hidden: bool = False) -> Any:
    """A TOML value: a boolean for a flag, a list or one item for a list option, else a
    string or a number. ``hidden``: never repeat the value in an error."""
    if is_flag(a):
        if not isinstance(raw, bool):
            raise BadValue(f"expected true or false, got {_kind(raw)}")
        return flag_value(a, raw)
    if isinstance(a, argparse._CountAction):
        if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
            raise BadValue("expected a whole number ≥ 0")
        return raw
    if is_list(a):
        items = raw if isinstance(raw, list) else [raw]
        return [_convert(a, _scalar(x), hidden) for x in items]
    return _convert(a, _scalar(raw), hidden)


def from_env(a: argparse.Action, text: str, *, hidden: bool = False) -> Any:
    """An environment variable: 1/0, true/false, yes/no or on/off for a flag, a
    comma-separated list for a list option."""
    if is_flag(a):
        word = text.strip().lower()
        if word not in BOOLS:
            raise BadValue(f"expected one of {', '.join(BOOLS)}, got {text!r}")
        return flag_value(a, BOOLS[word])
    if isinstance(a, argparse._CountAction):
        if not text.strip().isdigit():
            raise BadValue(f"expected a whole number ≥ 0, got {text!r}")
        return int(text)
    if is_list(a):
        return [_convert(a, item.strip(), hidden) for item in text.split(",") if item.strip()]
    return _convert(a, text, hidden)


def _convert(a: argparse.Action, text: str, hidden: bool) -> Any:
    """One value through the option's type and choices, as argparse would; a path gets ``~``
    expanded, as no shell did it."""
    try:
        value = a.type(text) if callable(a.type) else text
    except argparse.ArgumentTypeError as err:
        raise BadValue(str(err)) from None
    except (TypeError, ValueError):
        name = getattr(a.type, "__name__", "")
        raise BadValue(f"invalid {name} value" + ("" if hidden else f": {text!r}")) from None
    if a.choices is not None and value not in a.choices:
        shown = "" if hidden else f" {value!r}"
        raise BadValue(f"invalid choice{shown} (choose from {_choices(a.choices)})")
    return value.expanduser() if isinstance(value, Path) else value


def _choices(choices: Any) -> str:
    if isinstance(choices, range) and choices.step == 1 and len(choices):
        return f"{choices.start}-{choices.stop - 1}"
    return ", ".join(repr(c) for c in choices)


def _kind(raw: Any) -> str:
    kinds = {bool: "a boolean", str: "a string", int: "a number", float: "a number",
             list: "a list", dict: "a table"}
    return next((v for k, v in kinds.items() if isinstance(raw, k)), "a date or time")


def _scalar(raw: Any) -> str:
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise BadValue(f"expected a string or a number, got {_kind(raw)}")
    return raw if isinstance(raw, str) else str(raw)
