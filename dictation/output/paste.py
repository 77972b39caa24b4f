"""Pasting into the focused window (``--output paste``): each final piece goes on the
clipboard, the paste keys are pressed with the typing tool, and the clipboard gets its
previous text back."""

from __future__ import annotations

import asyncio
import logging

from dictation.errors import SinkError
from dictation.output.keytools import TOOL_TIMEOUT_S, Chord, KeyTool, safe
from dictation.output.sinks import ClipboardSink
from dictation.records import Transcribed

log = logging.getLogger("dictation")

RESTORE_AFTER_S = 0.6
"""How long the application gets to read the clipboard after the paste keys."""


class PasteSink:
    """Pastes each final piece: the text goes on the clipboard, the paste keys are pressed,
    and the clipboard gets its previous text back, unless something else changed it
    meanwhile. A paste cannot be taken back, so it waits for the piece to be final."""

    name = "paste"
    final_only = True

    def __init__(self, tool: KeyTool, chord: Chord,
                 restore_after_s: float = RESTORE_AFTER_S) -> None:
        self.tool = tool
        self.chord = chord
        self.restore_after_s = restore_after_s
        self._clipboard = ClipboardSink()  # fails now if no clipboard tool can run

    async def deliver(self, item: Transcribed) -> None:
        out = safe(item)
        if not out:
            return
        before = await _read_clipboard()
        await self._clipboard.copy(out)
        try:
            await self.tool.press(self.chord)
        except SinkError as err:  # the text stays on the clipboard
            raise SinkError(f"could not paste: {err}") from None
        await asyncio.sleep(self.restore_after_s)  # the application reads it meanwhile
        if before and before != out and await _read_clipboard() == out:
            try:
                await self._clipboard.copy(before)
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
