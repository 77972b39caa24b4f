"""Revisions typed for real: xdotool presses the BackSpaces and types the text that
``dictation.text.revise.edit`` computes, into a Tk text field under Xvfb, and the field must
then show the new text. This pins down what one BackSpace deletes there (one code point),
which ``edit`` counts on."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator

import pytest
from conftest import _need
from test_typer import TextWindow

from dictation.text.revise import edit

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
    xdotool(env, "type", "--delay", "10", "--file", "-", text=old)
    assert window.wait_for(old) == old
    count, text = edit(old, new)
    if count:
        xdotool(env, "key", "--delay", "10", *["BackSpace"] * count)
    if text:
        xdotool(env, "type", "--delay", "10", "--file", "-", text=text)
    assert window.wait_for(new) == new
