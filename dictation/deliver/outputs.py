"""Where each piece of text goes, and when: every sink and the observer, in order.

Sinks that can change what they show (typing with xdotool, the clipboard, caption files) get
each piece at once and its revisions after; sinks that cannot (stdout, typing on Wayland,
paste: ``final_only``) get a piece once it is **final**, that is once no join can change it:

- it is complete: it ends a sentence, or a line said as a command, and no thinking pause
  can follow it any more: a sentence ending in a period stays open until
  ``BoundaryConfig.rethink_s`` passed after its last word (about a second), as the model
  ends fragments with one too; speech that began by then decides (deliver/send.py);
- a newer piece was delivered (only the newest piece can be joined);
- ``window_s`` passed since it was delivered or last revised and no speech was heard or
  waited for meanwhile (while some was, the decision waits for that utterance);
- the run is ending.

"Scratch that" and ``dictation ctl undo`` may still take back a final piece: they are the
user's own decision, and the outputs that showed it for good keep it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from dictation.errors import SinkError
from dictation.records import Final, Revised, Transcribed

if TYPE_CHECKING:
    from dictation.output.sinks import Sink

log = logging.getLogger("dictation")

JOIN_WINDOW_S = 3.0
"""How long after a fragment was delivered its continuation may begin and still be joined to
it. The speaker paused already for the hangover and the hold that ended the fragment (up to
about 2 s) before it was delivered; thinking pauses measured 0.5-1.1 s. Longer means later
lines on stdout for sentences that end without a period."""
RECHECK_S = 0.25
"""While speech is heard or an utterance waits, finality is looked at again this often."""


class Outputs:
    """The fan-out for the delivery worker. Every method takes :attr:`lock`, so a piece's
    revision never overtakes its delivery, nor a final piece the one before it."""

    def __init__(self, sinks: Sequence[Sink], *, delivered: Callable[[Final], None],
                 revised: Callable[[Revised], None], busy: Callable[[], bool],
                 failed: Callable[[SinkError, Transcribed], None],
                 fatal: Callable[[SinkError], None], window_s: float | None = None) -> None:
        """``delivered``/``revised``: the observer; ``busy``: speech is being heard or an
        utterance waits for text; ``failed``: a sink other than stdout failed later than the
        delivery (the caller says so and keeps what it can); ``fatal``: stdout failed."""
        self.live = [s for s in sinks if not getattr(s, "final_only", False)]
        self.later = [s for s in sinks if getattr(s, "final_only", False)]
        self.lock = asyncio.Lock()
        self.pending: Transcribed | None = None
        """The newest piece while it is not final: a continuation may still join it."""
        self._delivered = delivered
        self._revised = revised
        self._busy = busy
        self._failed = failed
        self._fatal = fatal
        self._window = JOIN_WINDOW_S if window_s is None else window_s
        self._since = 0.0  # when the pending piece was delivered, for the debug line
        self._timer: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def deliver(self, event: Final, final: bool, window: float | None = None
                      ) -> list[SinkError]:
        """A new piece (the piece before it is final now); ``window``: how long it stays
        open, if not the join window. Returns the errors of the sinks that show it at once,
        for the caller to keep its audio; raises stdout's."""
        async with self.lock:
            await self._finalize()
            errors: list[SinkError] = []
            for sink in self.live:
                try:
                    await sink.deliver(event.item)
                except SinkError as err:
                    errors.append(err)
            self._delivered(event)
            self._since = time.monotonic()
            if final:
                await self._to_later(event.item)
            else:
                self._hold(event.item, window)
            return errors

    async def revise(self, rev: Revised, final: bool = False, window: float | None = None
                     ) -> None:
        """A delivered piece changed (``final``: and cannot change any more), or was taken
        back."""
        async with self.lock:
            for sink in self.live:
                if (revise := getattr(sink, "revise", None)) is None:
                    continue
                try:
                    await revise(rev)
                except SinkError as err:
                    self._failed(err, rev.item)
            self._revised(rev)
            if self.pending is None or self.pending.seq != rev.seq:
                return  # a final piece: the final-only sinks keep what they showed
            self._cancel_timer()
            self.pending = None
            self._since = time.monotonic()
            if rev.retracted:
                log.debug("utterance %d: taken back before it was final", rev.seq)
            elif final:
                await self._to_later(rev.item)
            else:
                self._hold(rev.item, window)

    def finalize_soon(self, seq: int) -> None:
        """Piece ``seq``, if still pending when the lock is free, is final now: its window
        passed, or what followed it began too soon or too late to be its continuation."""
        if self.pending is not None and self.pending.seq == seq:
            self._cancel_timer()
        task = asyncio.create_task(self._settle(seq))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def finalize(self) -> None:
        """The pending piece is final now (the run is ending)."""
        async with self.lock:
            await self._finalize()

    async def close(self) -> None:
        """At the end of the run: nothing is pending any more; raises stdout's error."""
        self._cancel_timer()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.finalize()

    # --- inside the lock ----------------------------------------------------------------

    async def _finalize(self) -> None:
        item, self.pending = self.pending, None
        self._cancel_timer()
        if item is not None:
            await self._to_later(item)

    async def _to_later(self, item: Transcribed) -> None:
        # The benchmark reads this: final text (stdout) against text shown at once (typed).
        log.debug("utterance %d: final %.2f s after it was delivered", item.seq,
                  time.monotonic() - self._since)
        for sink in self.later:
            try:
                await sink.deliver(item)
            except SinkError as err:
                if sink.name == "stdout":
                    raise
                self._failed(err, item)

    def _hold(self, item: Transcribed, window: float | None) -> None:
        self.pending = item
        self._arm(self._window if window is None else window)

    # --- the window ---------------------------------------------------------------------

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
        if self._busy():  # that utterance decides: joined to the piece, or a new one
            self._arm(RECHECK_S)
            return
        self.finalize_soon(self.pending.seq)

    async def _settle(self, seq: int) -> None:
        try:
            async with self.lock:
                if self.pending is not None and self.pending.seq == seq:
                    await self._finalize()
        except SinkError as err:
            self._fatal(err)
