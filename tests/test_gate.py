"""The gate as a pure state machine: commands in, pipeline actions out."""

from __future__ import annotations

import pytest

from dictation.segment.gate import CANCEL, CLOSE, OPEN, Gate


def test_push_to_talk_opens_on_press_and_closes_on_release() -> None:
    g = Gate("push-to-talk")
    assert not g.open
    assert g.command("press") == (OPEN,)
    assert g.command("press") == ()  # key repeat
    assert g.command("release") == (CLOSE,)
    assert g.command("release") == ()  # a stray release
    assert not g.open


def test_holding_during_toggled_dictation_changes_nothing() -> None:
    g = Gate("toggle")
    assert g.command("toggle") == (OPEN,)
    assert g.command("press") == ()
    assert g.command("release") == ()  # still dictating: the toggle key turned it on
    assert g.open
    assert g.command("toggle") == (CLOSE,)


def test_start_stop_are_idempotent_and_continuous_starts_open() -> None:
    g = Gate("continuous")
    assert g.open
    assert g.command("start") == ()
    assert g.command("stop") == (CLOSE,)
    assert g.command("stop") == ()
    assert g.command("start") == (OPEN,)


def test_cancel_ends_a_hold_but_keeps_continuous_listening() -> None:
    g = Gate("push-to-talk")
    g.command("press")
    assert g.command("cancel") == (CANCEL, CLOSE)
    assert not g.open and not g.held
    assert g.command("release") == ()  # the key coming up after a cancel does nothing
    c = Gate("continuous")
    assert c.command("cancel") == (CANCEL,)
    assert c.open


def test_unknown_commands_and_modes_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown command"):
        Gate().command("explode")
    with pytest.raises(ValueError, match="unknown mode"):
        Gate("sometimes")
