"""Revisions typed for real: xdotool presses the BackSpaces and types the text that
``dictation.text.revise.edit`` computes, into a Tk text field under Xvfb, and the field must
then show the new text. This pins down what one BackSpace deletes there (one code point),
which ``edit`` counts on. Then the typing sink itself, watched through the real xinput: it
changes what it typed, and stops once someone else typed or the focus moved."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import _need
from test_typer import TextWindow

from dictation.output.choose import typing_sink
from dictation.output.keystrokes import TypeSink
from dictation.output.keytools import KeyTool, TyperConfig
from dictation.records import Revised, Transcribed
from dictation.text.revise import edit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import typed_lines

FAMILY = "\U0001F468\u200d\U0001F469\u200d\U0001F467"


@pytest.fixture
def field(xdisplay: str) -> Iterator[tuple[TextWindow, dict[str, str]]]:
    for tool in ("xdotool", "Xvfb"):
        _need(tool)
    # xdotool decodes its input by the locale: under C, non-ASCII would not type.
    env = {**os.environ, "DISPLAY": xdisplay, "LC_ALL": "C.UTF-8"}
    w = TextWindow(xdisplay)
    yield w, env
    w.close()


def xdotool(env: dict[str, str], *args: str, text: str | None = None) -> None:
    subprocess.run(["xdotool", *args], input=text, text=True, env=env, check=True,
                   timeout=60)


@pytest.mark.parametrize(("old", "new"), [
    ("The invoice from the printing company.", "The invoice from the printing company"),
    ("Done. Still has it.", "Done. still has it."),
    ("caf\u00e9 x e\u0301", "caf\u00e9 x e\u0300"),  # a combining accent: two code points
    (f"ok {FAMILY}", f"ok {FAMILY[:-1]}\U0001F466"),  # a ZWJ sequence: five
])
def test_backspaces_and_text_turn_old_into_new(field: tuple[TextWindow, dict[str, str]],
                                               old: str, new: str) -> None:
    window, env = field
    # Through the product's xdotool runner: characters no key makes are bound to spare keys
    # first. Typed by xdotool's own remapping, the family's last emoji was lost under load.
    keys = KeyTool(TyperConfig(tool="xdotool", delay_ms=10), env)

    async def typed() -> None:
        try:
            await keys.type(old)
            assert await asyncio.to_thread(window.wait_for, old) == old
            count, text = edit(old, new)
            if count:
                await keys.backspace(count)
            if text:
                await keys.type(text)
        finally:
            await keys.aclose()

    asyncio.run(typed())
    assert window.wait_for(new) == new


# --- the typing sink changes what it typed, and only that --------------------------------

def piece(seq: int, text: str, lead: str = "") -> Transcribed:
    return Transcribed(seq, text, 0.0, 1.0, 0.0, 1.0, lead=lead)


def revised(old: Transcribed, text: str) -> Revised:
    new = piece(old.seq, text, old.lead)
    return Revised(old.seq, old.piece, new.piece if text else "", new if text else old)


@pytest.fixture
def typist(field: tuple[TextWindow, dict[str, str]]) -> Iterator[tuple[TextWindow, TypeSink]]:
    """The real typing sink (xdotool, watched through xinput) and the window it types into."""
    _need("xinput")
    window, env = field
    sink = typing_sink("type", TyperConfig(tool="xdotool"), env)
    assert isinstance(sink, TypeSink) and sink.activity is not None and not sink.final_only
    yield window, sink
    asyncio.run(sink.aclose())


FRAGMENT = piece(1, "The meeting is at.")
JOINED = "The meeting is at three on Friday."


def test_the_typing_sink_revises_and_takes_back_what_it_typed(
        typist: tuple[TextWindow, TypeSink], field: tuple[TextWindow, dict[str, str]]) -> None:
    window, sink = typist
    _, env = field

    async def run() -> None:
        await sink.deliver(FRAGMENT)
        # Keys that change no text (hotkeys, modifiers) do not count as the user's.
        await asyncio.to_thread(xdotool, env, "key", "Pause", "shift", "F7")
        await sink.revise(revised(FRAGMENT, JOINED))
        assert await asyncio.to_thread(window.wait_for, JOINED) == JOINED
        second = piece(2, "Dear Sam,\nsee you.", " ")
        await sink.deliver(second)
        await sink.revise(revised(second, ""))  # scratch that
        assert await asyncio.to_thread(window.wait_for, JOINED) == JOINED
        await sink.revise(revised(piece(1, JOINED), ""))  # and undo
        assert await asyncio.to_thread(window.wait_for, "") == ""

    asyncio.run(run())


def test_a_key_the_user_pressed_is_never_deleted(
        typist: tuple[TextWindow, TypeSink], field: tuple[TextWindow, dict[str, str]]) -> None:
    window, sink = typist
    _, env = field

    async def run() -> None:
        await sink.deliver(FRAGMENT)
        await asyncio.to_thread(xdotool, env, "type", "X")  # the user, after dictation typed
        await asyncio.to_thread(window.wait_for, "The meeting is at.X")
        await sink.revise(revised(FRAGMENT, JOINED))
        # Nothing deleted; the words the revision adds come after what the window shows.
        want = "The meeting is at.X Three on Friday."
        assert await asyncio.to_thread(window.wait_for, want) == want
        await sink.revise(revised(piece(1, JOINED), ""))  # cannot be taken back either
        await sink.deliver(piece(2, "Done.", " "))
        assert await asyncio.to_thread(window.wait_for, want + " Done.") == want + " Done."

    asyncio.run(run())


def test_a_change_of_focus_stops_revision(
        typist: tuple[TextWindow, TypeSink], xdisplay: str) -> None:
    window, sink = typist

    async def run() -> TextWindow:
        await sink.deliver(FRAGMENT)
        other = await asyncio.to_thread(TextWindow, xdisplay)  # takes the focus
        await sink.revise(revised(FRAGMENT, JOINED))
        return other

    other = asyncio.run(run())
    try:
        assert other.wait_for(" Three on Friday.") == " Three on Friday."
        assert window.content() == "The meeting is at."
    finally:
        other.close()


def test_no_character_is_lost_after_line_breaks_with_xdotool(
        typist: tuple[TextWindow, TypeSink]) -> None:
    """Capitals, accents and symbols first on a line, each piece a run of xdotool of its own
    (bench/typed_lines.py types 200, and the same with wtype on Wayland)."""
    window, sink = typist
    pieces = typed_lines.lines(24)
    asyncio.run(typed_lines.type_all(sink, pieces))
    assert window.wait_for("".join(pieces)) == "".join(pieces)
