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
- Every later decode of the utterance (interim, breath, final; the local engine) goes on
  from the words agreed (``prefix``, transcribe.Hint.prefix): the text then only extends
  what the window shows, and live words are not corrected, however long the utterance.
- When the utterance goes to delivery its live text is ``absorbed``: what the delivery makes
  of it (a piece of its own, a join with the fragment before, "scratch that") replaces it.
  An utterance that ends with no text has its live text taken back.

Steps run one at a time, in order, off the caller's path.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dictation.errors import SinkError
from dictation.output.sinks import typing_live
from dictation.text.assemble import MAX_PIECES
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
    without the last word's mark. The word with that mark counts, its mark left off: the
    last word of a sentence spoken on is typed, though one decode ends the sentence there
    and the next does not ("bridge." and "bridge the"), and the mark is the later decodes'
    to choose, each going on from the words typed."""
    old, new = previous.split(), current.split()
    n = shared_words(old, new)
    if n < min(len(old), len(new)) and (word := new[n].rstrip(_MARKS)) and \
            old[n].rstrip(_MARKS) == word:
        n += 1
    return " ".join(new[:n]).rstrip(_MARKS)


def with_mark(words: str, current: str) -> str:
    """``words`` as agreed (their last mark left off), for the decodes that go on from them:
    with the mark ``current`` gives their last word when more words follow it there: a
    sentence end the newest decode placed inside its audio is not left for the next to
    guess again (with the prefix, the monologue's decodes wrote fewer sentence ends:
    bench/live.py, docs/revisions.md)."""
    agreed, new = words.split(), current.split()
    n = len(agreed)
    if 0 < n < len(new) and new[n - 1] != agreed[-1] and \
            new[n - 1].rstrip(_MARKS) == agreed[-1]:
        return " ".join([*agreed[:-1], new[n - 1]])
    return words


@dataclass(frozen=True)
class Agreed:
    seq: int
    words: str  # as the decodes wrote them, before the text stage
    reach: float  # the audio they were heard in ends here (seconds since capture started)


class LiveText:
    def __init__(self, stage: TextStage, sinks: Sequence[object],
                 language: Callable[[], str | None]) -> None:
        """``language``: the newest piece's, for the rules of the words typed."""
        self.sinks = typing_live(sinks)
        self.stage = stage
        self._language = language
        self._last: asyncio.Task[None] | None = None
        self._previous: tuple[int, str, float] = (0, "", 0.0)  # the last interim's
        # utterance, text, and how far its audio reached
        self._agreed: Agreed | None = None  # the words agreed of the utterance spoken
        self._queued: dict[int, Agreed] = {}  # of utterances gone to the worker, by seq
        self._failing = False  # said once

    def interim(self, event: Interim) -> None:
        """Utterance ``event.seq``'s newest interim: its agreed words are typed; an empty
        one (the utterance ended without text) takes them back."""
        if not self.sinks:
            return
        withdrawn = not event.text
        seq, previous, reach = self._previous
        if seq != event.seq:
            previous = ""
        self._previous = (event.seq, event.text, event.end_s)
        words = agreed_words(previous, event.text)
        old = self._agreed
        if words and event.seq not in self._queued and (  # in the previous one's audio
                old is None or old.seq != event.seq
                or len(words.split()) >= len(old.words.split())):  # not a stale decode's
            self._agreed = Agreed(event.seq, with_mark(words, event.text), reach)
        elif withdrawn and self._agreed and self._agreed.seq == event.seq:
            self._agreed = None
        if words or withdrawn:
            self._step(self._show(event.seq, words, withdrawn))

    def prefix(self) -> str:
        """The words every decode of the utterance still spoken begins with: those agreed,
        and so typed ("" while live typing is off, or none were)."""
        return self._agreed.words if self._agreed else ""

    def queued(self, seq: int) -> None:
        """Utterance ``seq`` went to the worker: its agreed words wait for its final."""
        if self._agreed and self._agreed.seq == seq:
            self._queued[seq] = self._agreed
            self._agreed = None
        while len(self._queued) > MAX_PIECES:
            del self._queued[next(iter(self._queued))]

    def prefix_of(self, seq: int, end_s: float) -> str:
        """The words utterance ``seq``'s final begins with, its audio ending at ``end_s``:
        none when it was cut before the audio they were heard in (a cut at a breath)."""
        agreed = self._queued.pop(seq, None)
        return agreed.words if agreed and agreed.reach <= end_s + 1e-6 else ""

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

