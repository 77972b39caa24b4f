"""When the newest piece of text is final: the one place that decides it, and the only one
that hands pieces to the outputs that cannot take text back (stdout, typing on Wayland,
paste). Only the newest piece can still change, and it is in one of three states:

- **fragment**: it does not end a sentence. Its audio is held (``held``), and an utterance
  begun within the join window (``JOIN_WINDOW_S`` after it was shown) is transcribed together
  with it (deliver/join.py). The window waits while speech is heard or an utterance waits for
  its text: that utterance decides.
- **sentence**: it ends a sentence, but Whisper ends fragments with a period too, so a
  thinking pause may still follow. It stays open until the band (deliver/band.py) after its
  last word has passed. Speech that begins inside the band is heard together with it; speech
  that begins outside makes it final at once (:meth:`Finality.speaking`).
- **final**: shown for good.

With a refiner (deliver/refine.py), a piece whose window has passed waits, besides, for its
refinement, at most ``RefineConfig.wait_s`` after it was shown: stdout then prints the
refined text. A newer piece does not wait: the one before it is final at once, refined or not.

::

    shown ──not complete──▶ fragment ──window passed, nobody speaking──▶ final
      │ complete, band on      └── joined: revised, a fragment or a sentence
      ▼
    sentence ──band passed / speech outside it / newer piece / run ends──▶ final
      └── speech inside the band: joined (revised)

A line said as a command, a piece with the band off (``--hold 0``) and one recovered from a
dead run are final when shown. "Scratch that" and ``dictation ctl undo`` may take back a final
piece too: the speaker's own decision; what showed it for good keeps it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from dictation.deliver.band import Band
from dictation.deliver.outputs import Outputs
from dictation.errors import SinkError
from dictation.logtext import Said

if TYPE_CHECKING:
    from dictation.deliver.host import Worker
    from dictation.deliver.join import Held
    from dictation.deliver.refine import Refiner
    from dictation.output.sinks import Sink
    from dictation.records import Final, Observer, Revised, Transcribed
    from dictation.text.stage import TextStage

log = logging.getLogger("dictation")

JOIN_WINDOW_S = 3.0
"""How long after a fragment was shown its continuation may begin and still be joined to
it. The speaker paused already for the hangover and the hold that ended the fragment (up to
about 2 s) before it was delivered; thinking pauses measured 0.5-1.1 s. Longer means later
lines on stdout for sentences that end without a period."""
RECHECK_S = 0.25
"""While speech is heard or an utterance waits, finality is looked at again this often."""


class Finality:
    """The newest piece, its audio while it may be joined, and when it is final. Every
    method that shows text takes :attr:`lock`, so a piece's revision never overtakes its
    showing, nor a final piece the one before it."""

    def __init__(self, sinks: Sequence[Sink], observer: Observer, stage: TextStage,
                 worker: Worker, refiner: Refiner | None = None) -> None:
        """``refiner``: the second pass, whose refinement of a piece a final-only output
        waits for."""
        self.outputs = Outputs(sinks, observer, self)
        self.stage = stage
        self.band = Band(stage, worker)
        self.lock = asyncio.Lock()
        self.pending: Transcribed | None = None
        """The newest piece while it is not final."""
        self.held: Held | None = None
        """Its audio while it may be joined (set before the piece is shown)."""
        self._worker = worker
        self._refiner = refiner
        # The pending piece whose window is over, waiting only for its refinement now.
        self._decided: int | None = None
        self._since = 0.0  # when the pending piece was shown, or last changed: for the log
        self._first = 0.0  # when it was first shown, whatever changed it since
        self._timer: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    # --- what happens ------------------------------------------------------------------------

    async def show(self, event: Final, piece: str, held: Held | None) -> list[SinkError]:
        """A new piece, ``piece`` its text with its lead; ``held``: its audio (None: it can
        be joined to nothing). The piece before it is final now. Returns the errors of the
        outputs that show it at once; raises stdout's."""
        self.band.forget(event.item.speech_end_s)
        complete = self.stage.complete(piece, language=event.item.language)
        self.held, window = self._stays_open(piece, held, complete)
        final = event.recovered or (complete and self.held is None)
        async with self.lock:
            await self._finalize()
            errors = await self.outputs.show(event)
            self._since = self._first = time.monotonic()
            await self._final_or_held(event.item, final, window)
            return errors

    async def revise(self, rev: Revised, held: Held | None) -> None:
        """The newest piece changed; ``held``: its audio now, if it may still be joined."""
        complete = self.stage.complete(rev.new, language=rev.item.language)
        self.held, window = self._stays_open(rev.new, held, complete)
        await self._change(rev, complete and self.held is None, window)

    async def retract(self, rev: Revised) -> None:
        """A piece was taken back ("scratch that", undo): final or not."""
        if self.held is not None and self.held.seq == rev.seq:
            self.held = None
        await self._change(rev, False, None)

    def speaking(self, start_s: float) -> None:
        """An utterance began, its first word at ``start_s``. The newest piece, if it reads
        complete, is final at once unless that pause was a thinking pause: the speaker went
        on too soon (a quick talker's next sentence) or too late for one."""
        self.band.began(start_s)
        held = self.held  # the newest piece's, its showing maybe still under way
        if held is None or not held.complete or self.band.next_start(held) != start_s:
            return
        pause = held.pause(start_s)
        log.debug("utterance %d: speech again %.2f s after its last word", held.seq, pause)
        if not self.stage.rethinks(pause):
            self.held = None
            self.finalize_soon(held.seq)

    def failed(self, err: SinkError, item: Transcribed) -> None:
        """A sink failed to show a final piece or a revision: one line, with the text (shown
        with --log-text), and the audio kept while it is still held."""
        held, kept = self.held, None
        if held is not None and held.seq == item.seq:
            kept = self._worker.keep(held.speech)
        where = f"; audio kept in {kept}" if kept else ""
        self._worker.error("%s (text: %s%s)", err, Said(item.text), where)

    @property
    def joinable(self) -> Held | None:
        """The newest piece's audio, while the piece is pending and may be joined."""
        pending, held = self.pending, self.held
        if pending is None or held is None or held.seq != pending.seq:
            return None
        return held

    def finalize_soon(self, seq: int) -> None:
        """Piece ``seq``, if still pending when the lock is free, is final now (once its
        refinement is back, if one is awaited)."""
        if self.pending is not None and self.pending.seq == seq:
            self._cancel_timer()
            if (left := self._refining(seq)) > 0:
                self._decided = seq
                self._arm(left)
                return
        task = asyncio.create_task(self._settle(seq))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def refined(self, seq: int) -> None:
        """Piece ``seq``'s refinement was applied or given up: a piece that waited only for
        it is final now."""
        if self.pending is not None and self.pending.seq == seq and self._decided == seq:
            self.finalize_soon(seq)

    async def close(self) -> None:
        """The run ends: nothing is pending any more; raises stdout's error."""
        self._cancel_timer()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        async with self.lock:
            await self._finalize()
        self.held = None

    # --- the decision ------------------------------------------------------------------------

    def _stays_open(self, piece: str, held: Held | None, complete: bool
                    ) -> tuple[Held | None, float | None]:
        """The audio of the newest piece, ``piece``, to keep while it may still be joined,
        and how long it stays open (None: the join window). A fragment keeps ``held``; one
        that reads complete stays open only to speech after a thinking pause (band.py)."""
        if not complete:
            return held, None
        return self.band.opens(piece, held)

    def _refining(self, seq: int) -> float:
        """How much longer piece ``seq``'s refinement is waited for (0: none is)."""
        return self._refiner.left_s(seq) if self._refiner else 0.0

    # --- inside the lock -------------------------------------------------------------------

    async def _change(self, rev: Revised, final: bool, window: float | None) -> None:
        async with self.lock:
            await self.outputs.change(rev)
            if self.pending is None or self.pending.seq != rev.seq:
                return  # a final piece: the final-only outputs keep what they showed
            self._cancel_timer()
            self.pending = None
            self._since = time.monotonic()
            if rev.retracted:
                log.debug("utterance %d: taken back before it was final", rev.seq)
            else:
                await self._final_or_held(rev.item, final, window)

    async def _final_or_held(self, item: Transcribed, final: bool, window: float | None
                             ) -> None:
        """``item`` is final now, or pending for ``window``; a final one whose refinement is
        awaited waits for it, for what is left of the refiner's bound."""
        if final and (left := self._refining(item.seq)) > 0:
            self._hold(item, left)
            self._decided = item.seq
        elif final:
            await self._to_later(item)
        else:
            self._hold(item, window)

    async def _finalize(self) -> None:
        item, self.pending = self.pending, None
        self._cancel_timer()
        if item is not None:
            await self._to_later(item)

    async def _to_later(self, item: Transcribed) -> None:
        # The benchmark reads this: final text (stdout) against text shown at once (typed).
        now = time.monotonic()
        log.debug("utterance %d: final %.2f s after it was delivered (%.2f s after it was "
                  "first shown)", item.seq, now - self._since, now - self._first)
        if self._refiner:
            self._refiner.drop(item.seq)
        await self.outputs.to_later(item)

    def _hold(self, item: Transcribed, window: float | None) -> None:
        self.pending, self._decided = item, None
        self._arm(JOIN_WINDOW_S if window is None else window)

    async def _settle(self, seq: int) -> None:
        try:
            async with self.lock:
                if self.pending is not None and self.pending.seq == seq:
                    await self._finalize()
        except SinkError as err:
            self._worker.fatal(err)

    # --- the window ------------------------------------------------------------------------

    def _arm(self, delay: float) -> None:
        self._cancel_timer()
        self._timer = asyncio.get_running_loop().call_later(delay, self._due)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = None

    def _due(self) -> None:
        self._timer = None
        if self.pending is None:
            return
        seq = self.pending.seq
        if self._decided != seq and (self._worker.busy or self.band.inside(self.held)):
            self._arm(RECHECK_S)  # what is heard decides: joined, or a new piece
            return
        self.finalize_soon(seq)
