"""Typing into the focused window. ``--output type`` sends each piece of text as keystrokes;
``--output paste`` (paste.py) puts it on the clipboard and presses the paste keys. Both press
keys with the tool the session needs (dictation.output.keytools).

Typing with xdotool, and with wtype on Sway, changes what it typed when the text changes (a
fragment joined with its continuation, "scratch that", ``dictation ctl undo``): BackSpaces,
then the new text (dictation.text.revise), only over what it typed itself, and only while
nobody pressed a key, clicked or moved the focus since (activity.py, swayactivity.py). It
also types the words of a sentence still spoken (``--live``, deliver/live.py), and corrects
them when the sentence's text is delivered (typedtail.py). Where it cannot tell the user's
keys from its own (ydotool; wtype elsewhere, or with a keyboard Sway shows no program; no
xinput), and for paste, a piece is typed only once it is final, and nothing is typed live.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from dictation.errors import SinkError
from dictation.output.activity import Watcher
from dictation.output.keytools import KeyTool, safe
from dictation.output.typedtail import (
    Plan,
    Typed,
    beyond,
    for_live,
    for_piece,
    for_revision,
    for_settle,
    live_start,
)
from dictation.records import LiveTyped, Revised, Transcribed
from dictation.text.assemble import MAX_PIECES, join
from dictation.text.revise import backspace_safe, edit

log = logging.getLogger("dictation")



class TypeSink:
    """Types each piece into the focused window; with the watcher, changes it later, and
    types the words of an utterance still spoken (``live``)."""

    name = "type"

    def __init__(self, tool: KeyTool, activity: Watcher | None = None,
                 live: bool | None = None) -> None:
        self.tool = tool
        self.activity = activity
        self.final_only = activity is None  # see the module docstring
        self.can_live = activity is not None and live is not False
        """Does it type words during speech? Only where it can correct them."""
        self.report: Callable[[LiveTyped], None] = lambda event: None  # live typing's counts
        self._typed: list[Typed] = []
        self._absorbed: dict[int, None] = {}  # utterances gone to delivery, newest last
        self._lock = asyncio.Lock()  # live typing and delivery take turns at the keys

    async def deliver(self, item: Transcribed) -> None:
        text = safe(item)
        if not text:
            return
        if self.activity is None:
            await self._type(text)
            return
        async with self._lock:
            plan = for_piece(self._typed, item.seq, text)
            if await self._apply(plan, "final"):
                return
            # The user typed after the live words: they stay, and the rest follows them.
            rest = text
            if gone := "".join(e.text for e in self._typed[plan.at:] if e.gone):
                rest = join(gone, words) if (words := beyond(gone, text)) else ""
            self._lock_all()
            if rest:  # every word of it is in the window already otherwise
                epoch, focus = await self._where()
                await self._type(rest)
                self._typed.append(Typed(item.seq, rest, epoch, focus, locked=True))
                del self._typed[:-MAX_PIECES]

    async def revise(self, rev: Revised) -> None:
        async with self._lock:
            new = "" if rev.retracted else safe(rev.item)
            plan = for_revision(self._typed, rev.seq, new)
            if plan is None:
                return  # not the newest piece it typed: it cannot be reached with BackSpaces
            if not await self._apply(plan):
                await self._cannot_change(plan.at, new, rev)

    async def live(self, seq: int, piece: str) -> None:
        """Utterance ``seq``, still spoken, has ``piece`` (lead included) as the words its
        interims agreed on; "" when it ended with no text."""
        if not self.can_live:
            return
        async with self._lock:
            if seq in self._absorbed:  # a step that was under way: its utterance went on
                return
            plan = for_live(self._typed, seq, piece)
            if plan is not None and not await self._apply(plan, "agreed" if piece
                                                         else "withdrawn"):
                self._lock_all()  # the user typed: live typing stops for this utterance
                self.report(LiveTyped(seq, plan.old, 0, 0, "stopped"))

    def absorb(self, seq: int) -> None:
        """Utterance ``seq`` went to delivery: its live text is replaced by the next piece
        or revision (its own text, a join, "scratch that"), and never typed on."""
        self._absorbed[seq] = None
        while len(self._absorbed) > MAX_PIECES:
            del self._absorbed[next(iter(self._absorbed))]
        for e in self._typed[live_start(self._typed):]:
            if e.seq == seq:
                e.gone = True

    async def settle(self, seq: int | None) -> None:
        """Utterance ``seq`` was delivered (None: the run ends): live text of it still in the
        window had no text to become, and is taken back."""
        if not self.can_live:
            return
        async with self._lock:
            plan = for_settle(self._typed, seq)
            if plan is not None and not await self._apply(plan, "withdrawn"):
                self._lock_all()

    async def _apply(self, plan: Plan, why: str = "") -> bool:
        """Press the keys of ``plan``, if nobody typed, clicked or moved the focus since the
        entries it changes were typed; False (nothing pressed) otherwise."""
        assert self.activity is not None
        count, more = edit(plan.old, plan.text)
        changed = self._typed[plan.at:]
        if plan.old and not (await self._may_change(changed)
                             and backspace_safe(plan.old, count)):
            return False
        epoch, focus = await self._where()
        try:
            await self._press(count, more)
        except SinkError as err:
            if not plan.old:  # new text only
                raise
            raise SinkError(f"could not change the typed text: {err}") from None
        if await self.activity.focus(self.tool.path) != focus:
            focus = None
        # A step under way when its utterance went to delivery: its live text is gone too.
        self._typed[plan.at:] = [Typed(seq, text, epoch, focus, live=live,
                                       gone=live and seq in self._absorbed)
                                 for seq, text, live in plan.new]
        del self._typed[:-MAX_PIECES]
        if why and (why != "final" or plan.old):  # a step of live typing: counted
            seq = changed[0].seq if why == "withdrawn" else plan.new[0][0]
            shown = "".join(t for x, t, _ in plan.new if x == seq)
            self.report(LiveTyped(seq, shown, len(more), count, why))
        return True

    async def _where(self) -> tuple[int, str | None]:
        """The watcher's count of the user's keys, and the focused window, before typing."""
        assert self.activity is not None
        return self.activity.epoch, await self.activity.focus(self.tool.path)

    def _lock_all(self) -> None:
        for e in self._typed:
            e.locked = True

    async def _may_change(self, entries: list[Typed]) -> bool:
        """Nobody typed, clicked or moved the focus since ``entries`` were typed (the
        watcher and the focus asked once for all of them)."""
        assert self.activity is not None
        if any(e.locked or e.focus is None for e in entries):
            return False
        settled = await self.activity.settled()
        if any(e.epoch != settled for e in entries):
            return False
        focus = await self.activity.focus(self.tool.path)
        return all(e.focus == focus for e in entries)

    async def _cannot_change(self, at: int, new: str, rev: Revised) -> None:
        """The window keeps what it shows. Taken back: it stays. Revised: what the new
        text holds beyond the words typed (the piece's, and live words of the utterance it
        took in) is typed after them, so no word is lost. Nothing before can be reached any
        more; live words of an utterance still spoken stay, for its final to go on from."""
        self._lock_all()
        last, after = self._typed[at], self._typed[at + 1:]
        shown = last.text + "".join(e.text for e in after if e.gone)
        lives = [e for e in after if not e.gone]
        if rev.retracted:
            self._typed[:] = lives
            log.warning("utterance %d stays in the window: a key was pressed or the focus "
                        "moved since it was typed", rev.seq)
            return
        self._typed[:] = [last, *lives]
        last.text = shown
        if rest := beyond(shown, new):
            extra = join(shown, rest)
            await self._type(extra)
            last.text += extra

    async def _press(self, count: int, text: str) -> None:
        watching = self.activity.typing if self.activity else contextlib.nullcontext
        if count:
            with watching(count):
                await self.tool.backspace(count)
        if text:
            await self._type(text)

    async def _type(self, text: str) -> None:
        watching = self.activity.typing if self.activity else contextlib.nullcontext
        try:
            with watching(len(text)):  # xdotool presses one text key per code point
                await self.tool.type(text)
        except SinkError as err:
            raise SinkError(f"could not type: {err}") from None

    async def aclose(self) -> None:
        await self.tool.aclose()
        if self.activity is not None:
            self.activity.close()
