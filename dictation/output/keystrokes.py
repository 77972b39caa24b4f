"""Typing into the focused window. ``--output type`` sends each piece of text as keystrokes;
``--output paste`` puts it on the clipboard and presses the paste keys. Both press keys with
the tool the session needs (dictation.output.keytools).

Typing with xdotool changes what it typed when the text changes (a fragment joined with its
continuation, "scratch that", ``dictation ctl undo``): BackSpaces, then the new text
(dictation.text.revise), only over what it typed itself, and only while nobody pressed a
key, clicked or moved the focus since (activity.py). Where it cannot tell (wtype and ydotool:
Wayland shows no program the others' keys; no xinput), and for paste, a piece is typed only
once it is final.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from dictation.errors import SinkError
from dictation.output.activity import Activity
from dictation.output.keytools import TOOL_TIMEOUT_S, Chord, KeyTool, TyperConfig, parse_chord
from dictation.output.sinks import ClipboardSink
from dictation.records import Revised, Transcribed
from dictation.text.assemble import join
from dictation.text.revise import backspace_safe, edit
from dictation.text.sanitize import sanitize

log = logging.getLogger("dictation")

RESTORE_AFTER_S = 0.6
"""How long the application gets to read the clipboard after the paste keys."""
MAX_TYPED = 50  # pieces remembered for changing them, newest last (as many as can be undone)


def safe(item: Transcribed) -> str:
    """The piece as keys: sinks trust no input, so no control keys and no escape sequences,
    but the line breaks said as commands stay (each line is sanitised on its own)."""
    body = "\n".join(sanitize(line) for line in item.text.split("\n"))
    # "New paragraph." said alone is a piece of line breaks only: it is typed too.
    return item.lead + body if body.strip(" ") else ""


@dataclass
class _Typed:
    seq: int
    text: str  # as the window shows it: what was typed for the piece
    epoch: int  # the watcher's count of the user's keys when typing it began
    focus: str | None  # the window it went to; None: the focus moved while typing
    locked: bool = False  # text was added to it that can never be changed


class TypeSink:
    """Types each piece into the focused window; with the watcher, changes it later."""

    name = "type"

    def __init__(self, tool: KeyTool, activity: Activity | None = None) -> None:
        self.tool = tool
        self.activity = activity
        self.final_only = activity is None  # see the module docstring
        self._typed: list[_Typed] = []

    async def deliver(self, item: Transcribed) -> None:
        text = safe(item)
        if not text:
            return
        if self.activity is None:
            await self._type(text)
            return
        epoch = self.activity.epoch
        focus = await self.activity.focus(self.tool.path)
        await self._type(text)
        if await self.activity.focus(self.tool.path) != focus:
            focus = None
        self._typed.append(_Typed(item.seq, text, epoch, focus))
        del self._typed[:-MAX_TYPED]

    async def revise(self, rev: Revised) -> None:
        last = self._typed[-1] if self._typed else None
        if last is None or last.seq != rev.seq:
            return  # not the newest piece it typed: it cannot be reached with BackSpaces
        new = "" if rev.retracted else safe(rev.item)
        count, more = edit(last.text, new)
        if await self._may_change(last) and backspace_safe(last.text, count):
            try:
                await self._press(count, more)
            except SinkError as err:
                raise SinkError(f"could not change the typed text: {err}") from None
            if new:
                last.text = new
            else:
                self._typed.pop()
            return
        await self._cannot_change(last, new, rev)

    async def _may_change(self, last: _Typed) -> bool:
        """Nobody typed, clicked or moved the focus since ``last`` was typed."""
        assert self.activity is not None
        return (not last.locked and last.focus is not None
                and await self.activity.settled() == last.epoch
                and await self.activity.focus(self.tool.path) == last.focus)

    async def _cannot_change(self, last: _Typed, new: str, rev: Revised) -> None:
        """The window keeps what it shows. Taken back: it stays. Revised: what the new
        text holds beyond the words typed is typed after them, so no word is lost."""
        self._typed[:-1] = []  # nothing before it can be reached any more either
        if rev.retracted:
            self._typed.clear()
            log.warning("utterance %d stays in the window: a key was pressed or the focus "
                        "moved since it was typed", rev.seq)
            return
        last.locked = True
        if rest := _beyond(last.text, new):
            extra = join(last.text, rest)
            await self._type(extra)
            last.text += extra

    async def _press(self, count: int, text: str) -> None:
        watching = self.activity.typing if self.activity else _nothing
        if count:
            with watching(count):
                await self.tool.backspace(count)
        if text:
            await self._type(text)

    async def _type(self, text: str) -> None:
        watching = self.activity.typing if self.activity else _nothing
        try:
            with watching(len(text)):  # xdotool presses one text key per code point
                await self.tool.type(text)
        except SinkError as err:
            raise SinkError(f"could not type: {err}") from None

    async def aclose(self) -> None:
        await self.tool.aclose()
        if self.activity is not None:
            self.activity.close()


@contextlib.contextmanager
def _nothing(keys: int) -> Iterator[None]:
    yield


def _key(word: str) -> str:
    return "".join(ch for ch in word.casefold() if ch.isalnum())


def _beyond(shown: str, new: str) -> str:
    """The words of ``new`` after those it shares with ``shown`` from the start (case and
    punctuation aside)."""
    old, words = shown.split(), new.split()
    n = 0
    while n < min(len(old), len(words)) and _key(old[n]) == _key(words[n]):
        n += 1
    return " ".join(words[n:])


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


def typing_sink(output: str, cfg: TyperConfig, env: Mapping[str, str]) -> TypeSink | PasteSink:
    """The sink for ``--output type`` or ``--output paste``. Raises SinkError at once when its
    tool, session or daemon is missing."""
    tool = KeyTool(cfg, env)
    if output == "paste":
        return PasteSink(tool, parse_chord(cfg.paste_keys))
    return TypeSink(tool, _watcher(tool, env))


def _watcher(tool: KeyTool, env: Mapping[str, str]) -> Activity | None:
    """The activity watcher for xdotool; None (final text only) where there can be none."""
    if tool.name != "xdotool":
        return None
    try:
        activity = Activity(env)
    except (OSError, subprocess.SubprocessError):
        log.warning("xinput cannot run (Debian package xinput): typing waits until each "
                    "sentence is final instead of correcting it as it goes")
        return None
    activity.load_keymap()
    tool.on_keymap = activity.keymap
    return activity
