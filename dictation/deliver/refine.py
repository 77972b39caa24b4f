"""Two passes: the fast model's text is shown at once, and a better model, the refiner, hears
each piece again, its prompt the text before the piece as refined so far. Where its text
differs, the piece is revised through the same path as a join or "scratch that"; the outputs
that show only final text (stdout) wait for it, a bounded while.

It never sits on the fast path, and it never becomes a backlog:

- a piece is offered to the refiner only while nothing else needs the engines: no speech is
  heard and no utterance waits for its text (a quick talker's next sentence, the next breath
  of a monologue); such a piece stays as the fast model wrote it (``busy``);
- one piece at a time, the newest: a newer piece, a join or an extension makes a refinement
  stale, and it is discarded (``late``);
- a piece shown while the refiner's model still loads waits for it, within the same bound,
  and is refined once it is ready;
- stdout waits for it at most ``wait_s`` after the piece was shown; a refinement back later
  is discarded too (``late``): the piece is final as it was.

Every piece offered or passed over is counted (:class:`RefineStats`), for the log and the
benchmark.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dictation.deliver.guarded import MadeUp
from dictation.errors import DictationError
from dictation.records import Kind

if TYPE_CHECKING:
    from dictation.deliver.guarded import Guarded
    from dictation.deliver.requestprompt import Prompt
    from dictation.records import Speech
    from dictation.text.revise import Revision
    from dictation.text.stage import TextStage
    from dictation.transcribe import Transcript
    from dictation.transcribe.scheduler import Call, Scheduler

log = logging.getLogger("dictation")

WAIT_S = 1.2
"""How long after a piece was shown stdout waits for its refinement. A sentence followed by
silence is final about 1.1 s after its last word anyway (the thinking-pause band), and the
fast text shows about 0.4 s after it: so a refinement back within 1.2 s of the showing
costs stdout nothing more than 0.5 s at most."""


@dataclass(frozen=True)
class RefineConfig:
    wait_s: float = WAIT_S
    """stdout waits at most this long after a piece was shown for its refinement."""


@dataclass
class RefineStats:
    offered: int = 0  # pieces sent to the refiner
    revised: int = 0  # its text differed, and the piece was revised to it
    same: int = 0  # its text was the piece's own
    busy: int = 0  # not offered: speech was heard, or an utterance waited for its text
    late: int = 0  # back after the piece changed or went final: the piece stayed as it was
    failed: int = 0  # the refiner failed, or the guard dropped its text

    def line(self) -> str:
        return (f"refined {self.offered} piece(s): {self.revised} revised, {self.same} the "
                f"same, {self.late} late, {self.failed} failed; {self.busy} not refined "
                "while speech or text was waiting")


@dataclass(frozen=True)
class Offer:
    """A piece offered to the refiner."""

    seq: int
    piece: str  # the piece as it was offered, lead included: it must still read so
    speech: Speech  # its audio, as sent
    prompt: Prompt
    shown_at: float  # monotonic time the piece was shown, or last changed


@dataclass(frozen=True)
class Refining(Offer):
    """One piece's refinement under way."""

    call: Call


async def revision(r: Refining, result: Transcript, guarded: Guarded, stage: TextStage,
                   stats: RefineStats) -> Revision | None:
    """The newest piece revised to the refiner's text, ``result``, as the guard lets it
    through and the text stage renders it in the piece's language; None when it cannot
    change (counted): the guard dropped it, it renders as no text, or it reads the same."""
    lang = r.prompt.hint.language if r.prompt.hint else None
    try:
        verdict = await guarded.judge(r.speech, result, r.prompt.echo, lang)
    except MadeUp:
        verdict = None
    if verdict is None or verdict.reason or not verdict.text:
        stats.failed += 1
        return None
    rendered = await stage.render(verdict.text, recent=False, language=lang)
    if rendered.retract or rendered.attach or not rendered.text.strip(" "):
        stats.failed += 1
        return None
    rev = stage.revise_last(rendered, language=lang)
    if rev is None:
        stats.same += 1
    else:
        stats.revised += 1
    return rev


class Refiner:
    def __init__(self, engine: Scheduler, config: RefineConfig, *, idle: Callable[[], bool],
                 back: Callable[[int], None]) -> None:
        """``idle``: no speech is heard and no utterance waits; ``back``: a refinement of
        piece ``seq`` is back, or given up (delivery applies it in turn)."""
        self.engine = engine
        self.config = config
        self.stats = RefineStats()
        self.current: Refining | None = None
        self.waiting: Offer | None = None  # offered while the model loads
        self.ready = False  # its model loaded: until then a call would hold the cores' turn
        self._loaded = asyncio.Event()  # loaded, or failed to
        self._failing = False  # said once
        self._idle = idle
        self._back = back

    async def prepare(self) -> None:
        """The refiner's model loads beside the fast one; pieces are offered to it once it is
        ready. One that cannot load is said once, and dictation goes on with the fast text."""
        try:
            await self.engine.prepare()
        except DictationError as err:
            log.error("the refining model cannot run (%s); the text stays the fast model's",
                      err)
        else:
            self.ready = True
        finally:
            self._loaded.set()
            self._loading_over()

    def _loading_over(self) -> None:
        """The piece that waited for the model is refined now, if the engines are free; if
        they are not, or the model cannot run, it is given up (``busy``)."""
        w, self.waiting = self.waiting, None
        if w is None:
            return
        if self.ready and self._idle():
            self._start(w)
        else:
            self.stats.busy += 1
            self._back(w.seq)

    @property
    def awaited(self) -> int | None:
        """The piece whose refinement stdout may wait for: under way, or waiting for the
        model."""
        o = self.current or self.waiting
        return o.seq if o else None

    def offer(self, seq: int, piece: str, speech: Speech, prompt: Prompt) -> None:
        """Piece ``seq`` was shown (or changed) as ``piece``: refine it, if the engines are
        free. Any refinement of an earlier version is stale."""
        self.drop()  # an earlier piece's, or this one's before it changed
        if not self._idle() or (self._loaded.is_set() and not self.ready):
            self.stats.busy += 1
            return
        o = Offer(seq, piece, speech, prompt, time.monotonic())
        if self.ready:
            self._start(o)
        else:
            self.waiting = o

    def _start(self, o: Offer) -> None:
        self.stats.offered += 1
        call = self.engine.start(Kind.REFINE, o.speech.pcm, o.prompt.text, hint=o.prompt.hint)
        self.current = Refining(o.seq, o.piece, o.speech, o.prompt, o.shown_at, call)
        call.then(lambda c: self._back(o.seq) if self.current and self.current.call is c
                  else None)

    def left_s(self, seq: int) -> float:
        """How much longer stdout waits for piece ``seq``'s refinement (0: none awaited)."""
        o = self.current or self.waiting
        if o is None or o.seq != seq:
            return 0.0
        return max(0.0, o.shown_at + self.config.wait_s - time.monotonic())

    async def finish(self) -> int | None:
        """The run ends: wait, within its bound, for the refinement awaited (its model
        loading first); the piece it is for, or None."""
        if (seq := self.awaited) is None:
            return None
        with contextlib.suppress(TimeoutError, DictationError):
            async with asyncio.timeout(self.left_s(seq)):
                await self._loaded.wait()
                if self.current is not None:
                    await asyncio.shield(self.current.call.task)
        return seq

    def take(self, seq: int) -> tuple[Refining, Transcript] | None:
        """The refinement of ``seq`` that is back, to apply; None if it is no longer wanted
        or failed (counted)."""
        r = self.current
        if r is None or r.seq != seq or not r.call.done():
            return None
        self.current = None
        result = r.call.value()
        if result is None:
            self.stats.failed += 1
            err = None if r.call.task.cancelled() else r.call.task.exception()
            if err is not None and not self._failing:
                self._failing = True  # once: every piece keeps the fast text the same way
                log.warning("the refining model failed (%s); pieces keep the fast model's "
                            "text", err)
            return None
        self._failing = False
        return r, result

    def drop(self, seq: int | None = None) -> None:
        """The refinement under way or waiting is not wanted (``seq``: if it is that
        piece's): its piece changed, was taken back or went final."""
        if self.waiting is not None and (seq is None or self.waiting.seq == seq):
            self.waiting = None
            self.stats.busy += 1  # never offered: the model was not ready in time
        r = self.current
        if r is None or (seq is not None and r.seq != seq):
            return
        self.current = None
        r.call.discard()
        self.stats.late += 1
        log.debug("utterance %d: its refinement came too late", r.seq)
