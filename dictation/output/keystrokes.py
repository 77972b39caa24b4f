"""Typing into the focused window. ``--output type`` sends each utterance as keystrokes;
``--output paste`` puts it on the clipboard and presses the paste keys. Both press keys with
the tool the session needs (dictation.output.keytools).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import replace

from dictation.errors import SinkError
from dictation.output.keytools import TOOL_TIMEOUT_S, Chord, KeyTool, TyperConfig, parse_chord
from dictation.output.sinks import ClipboardSink
from dictation.records import Transcribed
from dictation.text.sanitize import sanitize

log = logging.getLogger("dictation")

RESTORE_AFTER_S = 0.6
"""How long the application gets to read the clipboard after the paste keys."""


def spaced(previous: str, text: str) -> str:
    """``text`` continuing ``previous`` in the same place: one space between them."""
    if previous and not previous[-1].isspace() and not text[:1].isspace():
        return f" {text}"
    return text


class TypeSink:
    """Types each utterance into the focused window, a space before all but the first."""

    name = "type"

    def __init__(self, tool: KeyTool) -> None:
        self.tool = tool
        self._last = ""

    async def deliver(self, item: Transcribed) -> None:
        text = sanitize(item.text)  # sinks trust no input: no control keys, no escape sequences
        if not text:
            return
        try:
            await self.tool.type(spaced(self._last, text))
        except SinkError as err:
            raise SinkError(f"could not type: {err}") from None
        self._last = text

    async def aclose(self) -> None:
        await self.tool.aclose()


class PasteSink:
    """Pastes each utterance: the text goes on the clipboard, the paste keys are pressed, and
    the clipboard gets its previous text back, unless something else changed it meanwhile."""

    name = "paste"

    def __init__(self, tool: KeyTool, chord: Chord,
                 restore_after_s: float = RESTORE_AFTER_S) -> None:
        self.tool = tool
        self.chord = chord
        self.restore_after_s = restore_after_s
        self._clipboard = ClipboardSink()  # fails now if no clipboard tool can run
        self._last = ""

    async def deliver(self, item: Transcribed) -> None:
        text = sanitize(item.text)
        if not text:
            return
        out = spaced(self._last, text)
        before = await _read_clipboard()
        await self._clipboard.deliver(replace(item, text=out))
        try:
            await self.tool.press(self.chord)
        except SinkError as err:  # the text stays on the clipboard
            raise SinkError(f"could not paste: {err}") from None
        self._last = text
        await asyncio.sleep(self.restore_after_s)  # the application reads it meanwhile
        if before and before != out and await _read_clipboard() == out:
            try:
                await self._clipboard.deliver(replace(item, text=before))
            except SinkError as err:
                log.warning("could not restore the clipboard: %s", err)

    async def aclose(self) -> None:
        await self.tool.aclose()


async def _read_clipboard() -> str | None:
    import pyperclip

    try:
        return await asyncio.wait_for(asyncio.to_thread(pyperclip.paste), TOOL_TIMEOUT_S)
    except (pyperclip.PyperclipException, TimeoutError):
        return None


def typing_sink(output: str, cfg: TyperConfig, env: Mapping[str, str]) -> TypeSink | PasteSink:
    """The sink for ``--output type`` or ``--output paste``. Raises SinkError at once when its
    tool, session or daemon is missing."""
    tool = KeyTool(cfg, env)
    if output == "paste":
        return PasteSink(tool, parse_chord(cfg.paste_keys))
    return TypeSink(tool)
