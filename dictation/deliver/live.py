"""Live typing (``--live``): the words an utterance's interims agreed on are typed while it is
still spoken, by the outputs that can correct them (typing with xdotool: output/keystrokes.py).

- The words two consecutive interims agree on, word for word (local agreement, stricter
  than the captions' ``stable``: marks count), are rendered as the utterance's piece would
  be now: commands, replacements, capitals and the space before it (TextStage.preview).
  Their last word's mark is left for the final: a sentence end an interim writes is often
  the speaker taking a breath.
- Live text grows (words the decodes stop agreeing with are corrected only once the agreed
  words run well past them); the utterance's text, once delivered, takes its place, and
  only the differing tail is typed again.
- When the utterance goes to delivery its live text is ``absorbed``: what the delivery makes
  of it (a piece of its own, a join with the fragment before, "scratch that") replaces it.
  An utterance that ends with no text has its live text taken back.

Steps run one at a time, in order, off the caller's path.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any

from dictation.errors import SinkError
from dictation.output.sinks import typing_live
from dictation.text.revise import shared_words

if TYPE_CHECKING:
    from dictation.records import Interim
    from dictation.text.stage import TextStage

log = logging.getLogger("dictation")

_MARKS = ".,;:?!…"


def agreed_words(previous: str, current: str) -> str:
    """The words two consecutive decodes of an utterance agree on from its start, as typed
    live: word for word, marks and capitals included (a mark the two disagree on is where
    a sentence may end, and a correction there would retype everything after it), and
    without the last word's mark."""
    new = current.split()
    return " ".join(new[:shared_words(previous.split(), new)]).rstrip(_MARKS)


class LiveText:
    def __init__(self, stage: TextStage, sinks: Sequence[object],
                 language: Callable[[], str | None]) -> None:
        """``language``: the newest piece's, for the rules of the words typed."""
        self.sinks = typing_live(sinks)
        self.stage = stage
        self._language = language
        self._last: asyncio.Task[None] | None = None
        self._previous: tuple[int, str] = (0, "")  # the last interim's utterance and text
        self._failing = False  # said once

    def interim(self, event: Interim) -> None:
        """Utterance ``event.seq``'s newest interim: its agreed words are typed; an empty
        one (the utterance ended without text) takes them back."""
        if not self.sinks:
            return
        withdrawn = not event.text
        previous = self._previous[1] if self._previous[0] == event.seq else ""
        self._previous = (event.seq, event.text)
        words = agreed_words(previous, event.text)
        if words or withdrawn:
            self._step(self._show(event.seq, words, withdrawn))

    def absorb(self, seq: int) -> None:
        """Utterance ``seq`` goes to delivery: its live text is replaced by what it becomes,
        and no interim of it is typed any more (the sinks keep which)."""
        for sink in self.sinks:
            sink.absorb(seq)

    def done(self, seq: int) -> None:
        """Utterance ``seq``'s delivery ended: live text it did not replace is taken back."""
        if self.sinks:
            self._step(self._settle(seq))

    async def close(self) -> None:
        """The run ends: every step is done, and live text never delivered is taken back."""
        if self.sinks:
            self._step(self._settle(None))
        if self._last is not None:
            await self._last

    async def _show(self, seq: int, words: str, withdrawn: bool) -> None:
        piece = "" if withdrawn else await self.stage.preview(
            words, language=self._language())
        if not (piece or withdrawn):
            return
        for sink in self.sinks:
            await sink.live(seq, piece)

    async def _settle(self, seq: int | None) -> None:
        for sink in self.sinks:
            await sink.settle(seq)

    def _step(self, work: Coroutine[Any, Any, None]) -> None:
        before = self._last

        async def run() -> None:
            if before is not None:
                await asyncio.wait([before])  # its failure is its own, reported as a bug
            try:
                await work
            except SinkError as err:
                if not self._failing:  # the final text is typed as usual, and says so
                    self._failing = True
                    log.warning("live typing failed: %s", err)

        self._last = asyncio.create_task(run())

