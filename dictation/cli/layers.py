"""Option values read from the config file or the environment, through the same functions as
the command line (each option's own ``type`` and ``choices``, cli/values.py), so a bad value is
caught once and reported with where it came from."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

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
