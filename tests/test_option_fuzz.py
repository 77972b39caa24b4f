"""Odd values for every numeric option: each is refused with one clear line, never a traceback.

The options are read off the real parser, so a numeric option added later is fuzzed too. The
values go through the real entry point, ``dictation.cli.main``, in this process (a hundred
and more cases would take minutes as processes); one case runs as a real process as well.
"""

from __future__ import annotations

import argparse
import os
import subprocess
from collections.abc import Iterator

import pytest
from conftest import SAMPLE, dictation_cmd, one_clear_line

from dictation.cli import main as cli
from dictation.cli.options import build_parser

ODD = ("inf", "nan", "-1", "1e12", "")


def _commands(parser: argparse.ArgumentParser) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            yield from action.choices.items()


def _takes_a_value(a: argparse.Action) -> bool:
    return bool(a.option_strings) and a.nargs != 0


def numeric_options() -> list[tuple[str, str]]:
    """(command, option) for every option of every command whose value is a number."""
    found = []
    for command, sub in _commands(build_parser()):
        for a in sub._actions:
            if _takes_a_value(a) and getattr(a.type, "numeric", False):
                found.append((command, a.option_strings[-1]))
    return found


def _parsed(a: argparse.Action, text: str) -> object:
    try:
        return a.type(text)  # type: ignore[misc]
    except (argparse.ArgumentTypeError, ValueError):
        return None


def test_every_option_that_reads_a_number_is_checked_as_one() -> None:
    # An option typed plain int or float would take inf and nan unchecked: every number goes
    # through a checked type of dictation.cli.values, marked numeric, and so into the fuzz below.
    for command, sub in _commands(build_parser()):
        for a in sub._actions:
            if not _takes_a_value(a) or not callable(a.type):
                continue
            assert a.type not in (int, float), (command, a.option_strings)
            reads_a_number = any(isinstance(_parsed(a, probe), int | float)
                                 for probe in ("1", "10", "0.5"))
            assert reads_a_number == getattr(a.type, "numeric", False), (command, a.dest)
    found = numeric_options()
    assert ("run", "--pre-roll") in found and ("transcribe", "--max-utterance") in found
    assert ("run", "--stop-grace") in found and len(found) > 30


@pytest.fixture
def nothing_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """A value that passed the checks would start a daemon: that is a failure here."""
    def accepted(*args: object, **kwargs: object) -> None:
        raise AssertionError("an odd value was accepted")

    monkeypatch.setattr(cli, "run_pipeline", accepted)
    monkeypatch.setattr(cli, "transcribe_files", accepted)


def _main(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    try:
        code = cli.main(argv)
    except SystemExit as stop:  # argparse ends a usage error this way
        code = stop.code if isinstance(stop.code, int) else 1
    return code, capsys.readouterr().err


@pytest.mark.parametrize(("command", "option"), numeric_options())
def test_odd_values_are_one_clear_line(command: str, option: str, nothing_runs: None,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    files = [str(SAMPLE)] if command == "transcribe" else []
    for value in ODD:
        code, err = _main([command, *files, option, value], capsys)
        line = one_clear_line(err)
        assert code == 2, (value, err)
        assert f"argument {option}" in line and "error" in line, line


@pytest.mark.parametrize("value", ODD)
def test_odd_values_from_the_environment_are_one_clear_line(
        value: str, nothing_runs: None, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    if value == "":
        value = " "  # an empty variable counts as unset
    for name in ("DICTATION_PRE_ROLL", "DICTATION_STOP_GRACE", "DICTATION_SPOOL_MAX"):
        monkeypatch.setenv(name, value)
        code, err = _main(["run"], capsys)
        assert code == 2 and f"environment variable {name}" in one_clear_line(err)
        monkeypatch.delenv(name)


def test_infinite_pre_roll_as_a_real_process() -> None:
    # Once through a real process: its stderr is exactly what a user sees.
    p = subprocess.run(dictation_cmd("run", "--input", str(SAMPLE), "--pre-roll", "inf"),
                       capture_output=True, text=True, timeout=60, env=dict(os.environ))
    assert p.returncode == 2 and p.stdout == ""
    assert one_clear_line(p.stderr) == (
        "dictation run: error: argument --pre-roll: expected a finite number, got 'inf'")
