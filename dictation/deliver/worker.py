"""The transcription worker: queued utterances become delivered text, one at a time and in
order, each carrying the text before it as its prompt. A failing engine is retried (utterance
N+1 waits for N); the guard drops what was never said; the spool holds each utterance until
its text is at the sinks.

The rest of the daemon sees a small surface: put, end and the commands (cancel, undo, stop,
abort, expire); what the endpointer asks (free, idle, failed, next_prompt); what the status
shows (paused, retrying, count, delivered, last_error); and room, which holds a file back."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from dictation.deliver.ending import Ending
from dictation.deliver.keeper import Keeper
from dictation.deliver.refine import Refiner
from dictation.deliver.retry import Retrying
from dictation.deliver.send import Sender
from dictation.deliver.settle import settle, skip
from dictation.deliver.turns import Back, Turns, Undo
from dictation.errors import DictationError, SinkError
from dictation.records import Interim, Speech, Stats
from dictation.text.stage import TextStage

if TYPE_CHECKING:
    from dictation.deliver.config import DeliveryConfig
    from dictation.deliver.host import Host
    from dictation.deliver.spool import Adopted, Spool
    from dictation.output.sinks import Sink
    from dictation.records import Observer
    from dictation.transcribe import Hint
    from dictation.transcribe.scheduler import Scheduler

log = logging.getLogger("dictation")

class Delivery:
    def __init__(self, engine: Scheduler, sinks: list[Sink], stage: TextStage, host: Host,
                 observer: Observer, config: DeliveryConfig, *, spool: Spool | None,
                 recovered: Sequence[Adopted], stats: Stats,
                 refiner: Scheduler | None = None) -> None:
        """``host``: the pipeline around it; ``observer``: hears each piece and revision;
        ``refiner``: the second pass's engine."""
        self.engine = engine
        self.stats = stats
        self.recovered = tuple(recovered)
        self.last_error: str | None = None
        self._host = host
        self._keeper = Keeper(spool, config.keep_dir, error=self.error, resumed=self._resumed)
        self._queue = Turns()
        self._ending = Ending()
        retrying = Retrying(engine, config.retry, stats, self._ending.stopping, waiting=self.count,
                            spooled=spool is not None, reported=self._reported)
        self.refiner = refiner and Refiner(refiner, config.refine,
                                           idle=self._refinable, back=self._back)
        self._sender = Sender(retrying, sinks, stage, self, observer, prompt=config.prompt,
                              guard=config.guard, stats=stats, refiner=self.refiner)
        self._generation = 0  # bumped by cancel
        self._ready: asyncio.Task[None] | None = None
        self._refining: asyncio.Task[None] | None = None  # the refiner's model loading
        self._inflight: asyncio.Task[None] | None = None

    # --- what the others see ---------------------------------------------------------------

    @property
    def failed(self) -> DictationError | None:
        """What ended the run early."""
        return self._ending.failed

    @property
    def aborted(self) -> bool:
        return self._ending.aborted

    @property
    def kept(self) -> list[Path]:
        """Audio set aside because it could not become text."""
        return self._keeper.kept

    @property
    def paused(self) -> bool:
        """Capture is stopped: the spool is full."""
        return self._keeper.paused

    @property
    def retrying(self) -> bool:
        """The engine is failing; utterances wait their turn."""
        return self._sender.retrying.outage.since is not None

    @property
    def language(self) -> str | None:
        """The newest piece's language, as the engine decided it."""
        return self._sender.language

    @property
    def delivered(self) -> int:
        """Utterances whose text reached the sinks."""
        return self._sender.delivered

    @property
    def free(self) -> bool:
        """Nothing queued or in flight: the next prompt is final and the engine is free."""
        return not self._queue and not self._busy

    @property
    def idle(self) -> bool:
        """Free, the engine ready and answering (no outage): room for an interim."""
        return (self._ready is not None and self._ready.done() and self.free
                and not self.retrying)

    @property
    def busy(self) -> bool:
        """Speech is heard, or an utterance waits for its text (host.Worker)."""
        return not self.free or self._host.hearing

    @property
    def heard_s(self) -> float:
        return self._host.heard_s

    def keep(self, item: Speech) -> Path | None:
        """Set ``item``'s audio aside (host.Worker)."""
        return self._keeper.keep(item)

    @property
    def _busy(self) -> bool:
        """An utterance is being transcribed or delivered."""
        return self._inflight is not None and not self._inflight.done()

    def count(self) -> int:
        """Utterances not yet delivered: those in the spool, or in memory without one."""
        if self._keeper.spool is not None:
            return self._keeper.spool.count
        return len(self._queue) + self._busy

    def next_prompt(self) -> str:
        """The prompt of the next utterance to be transcribed."""
        return self._sender.next_prompt()

    def next_hint(self) -> Hint | None:
        """What is known of the next utterance: its language, and the words it begins with."""
        return self._sender.next_hint()

    @property
    def punctuates(self) -> bool:
        """Does the engine still end its sentences? Read from every text delivered: one
        reading for the endpointer and the text stage."""
        return self._sender.punctuates

    # --- what the others do ----------------------------------------------------------------

    def prepare(self) -> None:
        """At the start: say what a dead run left, check the spool's bound, and start readying
        the engine; utterances queue up meanwhile."""
        self._keeper.recovered(self.recovered)
        self._keeper.check_bound()
        self._ready = asyncio.create_task(self.engine.prepare())
        if self.refiner:
            self._refining = asyncio.create_task(self.refiner.prepare())

    def put(self, item: Speech) -> None:
        """Deliver ``item`` after every utterance put before it; it is spooled first."""
        self._sender.live.queued(item.seq)
        self._queue.put(self._keeper.add(item))

    def speaking(self, start_s: float) -> None:
        """An utterance began (Outlet.speaking)."""
        self._sender.speaking(start_s)

    def interim(self, event: Interim) -> None:
        """The utterance being spoken has an interim: typed live where that is on."""
        self._sender.live.interim(event)

    def undo(self) -> None:
        """Take back the newest piece of text (``dictation ctl undo``) once every utterance
        put before was delivered: the last thing said is what is taken back."""
        self._queue.put(Undo())

    def end(self) -> None:
        """No more utterances: the worker ends once it delivered those put."""
        self._queue.end()

    async def room(self, read_ahead: int) -> None:
        """Return once fewer than ``read_ahead`` utterances wait and the spool has room (or
        the run is stopping): a file is read no further ahead of the engine than that."""
        while len(self._queue) >= read_ahead or (
                self.paused and not self.failed and not self._ending.stopping.is_set()):
            await self._queue.taken_or(0.5)

    def cancel(self) -> None:
        """What is queued or in flight is dropped before delivery."""
        self._generation += 1

    def stop(self) -> None:
        """Capture stops: what is queued is still delivered, but no retry waits any longer."""
        self._ending.stopping.set()
        self._queue.taken.set()  # a file held back by a full spool is read on at once

    def fail(self, err: DictationError) -> None:
        """Capture failed: the run ends with ``err`` (unless something failed first)."""
        self.error(str(err))
        self._ending.fail(err)

    def abort(self) -> None:
        """Stop now: what is not yet text is kept on disk instead of waited for."""
        self._ending.abort()
        self._queue.taken.set()  # capture held back by a full spool goes on, into the spool
        self._cancel_tasks()

    def expire(self, grace_s: float) -> None:
        """Stopping took ``grace_s`` already: what is not yet text stays in the spool for the
        next start instead of being waited for (a server that hangs, an outage)."""
        if self._ending.expire(grace_s):
            self._cancel_tasks()

    def report(self) -> int:
        """At the end: what was kept and what waits in the spool, one line each; how many
        utterances wait."""
        return self._keeper.report(self._ending.expired)

    def error(self, message: str, *args: object) -> None:
        """Log an error; the status shows it too (transcript text, passed as Said, as its
        length only)."""
        log.error(message if args else "%s", *(args or (message,)))
        self.last_error = message % args if args else message
        self._host.changed()

    # --- the worker --------------------------------------------------------------------------

    def _cancel_tasks(self) -> None:
        for task in (self._ready, self._inflight, self._refining):
            if task:
                task.cancel()

    def _resumed(self) -> None:
        self._queue.taken.set()
        self._host.changed()

    def _reported(self, error: str | None) -> None:
        """The engine started failing (its error), or answers again (None)."""
        self.last_error = error
        self._host.changed()

    def fatal(self, err: DictationError) -> None:
        """The run ends with ``err`` (host.Worker)."""
        self.error(str(err))
        self._ending.failed = err
        self._host.stop()

    def _refinable(self) -> bool:
        """No utterance waits and none is spoken: the refiner may take the engines."""
        return not self._queue.waiting and not self._host.hearing

    def _back(self, seq: int) -> None:
        """Piece ``seq``'s refinement is back, or given up: applied in turn."""
        self._queue.put(Back(seq))

    async def run(self) -> None:
        assert self._ready is not None, "prepare() first"
        try:
            await self._ready  # utterances spoken while the model loads wait in the queue
        except asyncio.CancelledError:
            if not self._ending.given_up:
                raise
        except DictationError as err:
            self.fatal(err)
        for session in self.recovered:  # a dead run's utterances come before anything new
            for entry in session.entries:
                if (item := self._keeper.reload(entry.path, entry.seq,
                                                self._generation)) is not None:
                    await self._handle(item)
        while (item := await self._queue.next()) is not None:
            if isinstance(item, Undo):
                await self._sender.undo()
            elif isinstance(item, Back):
                try:
                    await self._sender.refined(item.seq)
                except SinkError as err:
                    self.fatal(err)
            else:
                await self._handle(item)
        try:
            await self._sender.close()  # the last piece is final: stdout shows it
        except SinkError as err:
            if not self.failed:  # stdout closed: said once
                self.fatal(err)

    async def _handle(self, item: Speech) -> None:
        """Transcribe and deliver one utterance, or say where it waits."""
        current = item.generation == self._generation
        if skip(item, current, self._ending.holds(self.retrying), self._keeper):
            if not current:
                self._host.changed()
            return
        self._inflight = asyncio.create_task(
            self._sender.send(item, lambda: item.generation == self._generation))
        await settle(item, self._inflight, self._keeper, self._ending, self)
        self._host.changed()
