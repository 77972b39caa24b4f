"""The transcription worker: queued utterances become delivered text, one at a time and in
order, each carrying the text before it as its prompt. A failing engine is retried (utterance
N+1 waits for N); the guard drops what was never said; the spool holds each utterance until
its text is at the sinks."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from dictation.audio.vad import SAMPLE_RATE
from dictation.deliver.keeper import Keeper
from dictation.deliver.retry import Outage, RetryPolicy
from dictation.deliver.spool import Adopted, Spool
from dictation.errors import DictationError, SinkError, TranscriptionError
from dictation.logtext import Said
from dictation.output.sinks import Sink
from dictation.records import Final, Speech, Stats, Transcribed, discard
from dictation.text.guard import GuardConfig, judge
from dictation.transcribe import Transcriber, Transcript
from dictation.transcribe.prompt import History, build_prompt

log = logging.getLogger("dictation")


class _Postponed(Exception):
    """Stopping while the engine fails: the utterance waits in the spool for the next start."""


class _MadeUp(Exception):
    """Far more text than the utterance's audio could hold: a hallucination, dropped."""


class Delivery:
    def __init__(self, transcriber: Transcriber, sinks: list[Sink], *, prompt: str,
                 keep_dir: Path, guard: GuardConfig, spool: Spool | None,
                 recovered: Sequence[Adopted], retry: RetryPolicy, stats: Stats,
                 changed: Callable[[], None], stop: Callable[[], None],
                 final: Callable[[Final], None] = lambda event: None) -> None:
        """``changed``: the status may have changed; ``stop``: end the run (a fatal error);
        ``final``: an utterance's text reached every sink."""
        self.transcriber = transcriber
        self.sinks = sinks
        self.prompt = prompt
        self.guard = guard
        self.retry = retry
        self.outage = Outage()
        self.stats = stats
        self.history = History()
        self.recovered = tuple(recovered)
        self.keeper = Keeper(spool, keep_dir, error=self.error, resumed=self._resumed)
        self.queue: asyncio.Queue[Speech | None] = asyncio.Queue()
        self.taken = asyncio.Event()  # the worker took an utterance, or capture may resume
        self.stopping = asyncio.Event()  # ends waits between retries
        self.delivered = 0
        self.failed: DictationError | None = None  # what ended the run early
        self.aborted = False
        self.expired: float | None = None  # the stop grace that ran out, if one did
        self.generation = 0  # bumped by cancel
        self.last_error: str | None = None
        self._changed = changed
        self._stop = stop
        self._final = final
        self._ready: asyncio.Task[None] | None = None
        self._inflight: asyncio.Task[None] | None = None

    def prepare(self) -> None:
        """Start readying the engine; utterances queue up meanwhile."""
        self._ready = asyncio.create_task(self.transcriber.prepare())

    def next_prompt(self) -> str:
        """The prompt of the next utterance to be transcribed."""
        return build_prompt(self.prompt, str(self.history))

    def put(self, item: Speech) -> None:
        self.queue.put_nowait(self.keeper.add(item))

    @property
    def busy(self) -> bool:
        """An utterance is being transcribed or delivered."""
        return self._inflight is not None and not self._inflight.done()

    @property
    def free(self) -> bool:
        """Nothing queued or in flight: the next prompt is final and the engine is free."""
        return self.queue.empty() and not self.busy

    @property
    def idle(self) -> bool:
        """Free, the engine ready and answering (no outage): room for an interim."""
        return (self._ready is not None and self._ready.done() and self.free
                and self.outage.since is None)

    def count(self) -> int:
        """Utterances not yet delivered: those in the spool, or in memory without one."""
        if self.keeper.spool is not None:
            return self.keeper.spool.count
        return self.queue.qsize() + self.busy

    def cancel(self) -> None:
        """What is queued or in flight is dropped before delivery."""
        self.generation += 1

    def abort(self) -> None:
        """Stop now: what is not yet text is kept on disk instead of waited for."""
        self.aborted = True
        self.failed = self.failed or DictationError("interrupted")
        self.stopping.set()
        self.taken.set()  # capture held back by a full spool goes on, into the spool
        for task in (self._ready, self._inflight):
            if task:
                task.cancel()

    def expire(self, grace_s: float) -> None:
        """Stopping took ``grace_s`` already: what is not yet text stays in the spool for the
        next start instead of being waited for (a server that hangs, an outage)."""
        if self.aborted or self.expired is not None:
            return
        self.expired = grace_s
        self.stopping.set()
        for task in (self._ready, self._inflight):
            if task:
                task.cancel()

    @property
    def _given_up(self) -> bool:
        """No longer waiting for text: aborted, or the stop grace ran out."""
        return self.aborted or self.expired is not None

    def error(self, message: str, *args: object) -> None:
        """Log an error; the status shows it too (transcript text, passed as Said, as its
        length only)."""
        log.error(message if args else "%s", *(args or (message,)))
        self.last_error = message % args if args else message
        self._changed()

    def _resumed(self) -> None:
        self.taken.set()
        self._changed()

    def _fatal(self, err: DictationError) -> None:
        self.error(str(err))
        self.failed = err
        self._stop()

    async def run(self) -> None:
        assert self._ready is not None, "prepare() first"
        try:
            await self._ready  # utterances spoken while the model loads wait in the queue
        except asyncio.CancelledError:
            if not self._given_up:
                raise
        except DictationError as err:
            self._fatal(err)
        for session in self.recovered:  # a dead run's utterances come before anything new
            for entry in session.entries:
                if (item := self.keeper.reload(entry.path, entry.seq,
                                             self.generation)) is not None:
                    await self._handle(item)
        while (item := await self.queue.get()) is not None:
            self.taken.set()
            await self._handle(item)

    async def _handle(self, item: Speech) -> None:
        """Transcribe and deliver one utterance, or say where it waits."""
        keeper = self.keeper
        if item.generation != self.generation:
            log.debug("utterance %d: cancelled", item.seq)
            if item.speculation:
                discard(item.speculation, self.stats)
            keeper.remove(item)
            self._changed()
            return
        if (self.failed or self.expired is not None
                or (self.stopping.is_set() and self.outage.since is not None)):
            if item.speculation:
                discard(item.speculation, self.stats)
            keeper.hold(item)  # it waits in the spool for the next start
            return
        self._inflight = asyncio.create_task(self._deliver(item))
        try:
            with keeper.in_flight(item):  # a run that dies now counts against the utterance
                await self._inflight
        except asyncio.CancelledError:
            if not self._given_up:
                raise
            keeper.hold(item)
        except _Postponed:
            keeper.hold(item)
        except _MadeUp as err:
            # Dropped rather than cut to the bound: nothing tells where the real text in a
            # made-up answer ends, and typed garbage can run as commands in an editor. The
            # audio is kept, so nothing is lost.
            log.warning("%s%s", err, keeper.set_aside(item))
        except TranscriptionError as err:
            if err.fatal:
                self._fatal(err)
                keeper.hold(item)
            else:  # this audio can never become text: a dead letter
                self.error(f"{err}{keeper.set_aside(item)}")
        except SinkError as err:
            self._fatal(err)
        else:
            keeper.remove(item)
        self._changed()

    async def _transcribe(self, item: Speech, prompt: str) -> Transcript:
        """The text of ``item``, retried per the policy; utterance N+1 waits meanwhile."""
        spec = item.speculation
        task = spec.task if spec and spec.prompt == prompt else None
        if spec and task is None:  # an earlier utterance changed the transcript since
            discard(spec, self.stats)
        failures, first = 0, 0.0
        while True:
            try:
                if task is not None:
                    result = await task
                    self.stats.speculations_used += 1
                else:
                    self.stats.requests += 1
                    result = await self.transcriber.transcribe(item.pcm, prompt)
            except TranscriptionError as err:
                task = None
                if not err.retryable:
                    raise
                now = time.monotonic()
                failures += 1
                first = first or now
                delay = self.retry.delay(failures, err.retry_after)
                if self.outage.failed(now):
                    log.warning("%s; %d utterance(s) wait%s; retrying", err, self.count(),
                                " in the spool" if self.keeper.spool else "")
                    self.last_error = str(err)
                    self._changed()
                if self.retry.gives_up(now - first + delay):
                    raise TranscriptionError(
                        f"gave up on utterance {item.seq} after {now - first:.0f} s of "
                        f"failures (--give-up-after): {err}") from None
                log.debug("utterance %d: %s; retry %d in %.1f s", item.seq, err, failures,
                          delay)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stopping.wait(), delay)
                if self.stopping.is_set():
                    raise _Postponed from None
                if item.generation != self.generation:
                    return Transcript("")  # cancelled while it waited
                continue
            if (down := self.outage.recovered(time.monotonic())) is not None:
                log.info("the engine answers again after %.1f s of failures; delivering %d "
                         "utterance(s)", down, self.count())
                self.last_error = None
                self._changed()
            return result

    async def _deliver(self, item: Speech) -> None:
        prompt = self.next_prompt()
        began = time.monotonic()
        self.stats.utterances += 1
        result = await self._transcribe(item, prompt)
        text = result.text
        log.debug("utterance %d%s: %.2f s of audio, text %.2f s after its end (%.2f s waited)",
                  item.seq, " (recovered)" if item.recovered else "",
                  len(item.pcm) / SAMPLE_RATE, time.monotonic() - item.ended_at,
                  time.monotonic() - began)
        if not text:
            return
        if item.generation != self.generation:
            log.debug("utterance %d: cancelled; dropped %s", item.seq, Said(text))
            return
        # Off the loop: the answer may be up to the reader's cap, and the guard's work grows
        # with it (linearly, and it refuses an answer too long for its audio at once).
        verdict = await asyncio.to_thread(judge, text, prompt, item.heard, result.segments,
                                          self.guard, len(item.pcm) / SAMPLE_RATE)
        if verdict.made_up:
            raise _MadeUp(f"utterance {item.seq}: the engine answered {verdict.reason}; "
                          "dropped as made up")
        if verdict.reason:
            log.debug("utterance %d: dropped %s: %s", item.seq, Said(text), verdict.reason)
            return
        if verdict.cut:
            log.debug("utterance %d: cut a repetition loop: %s", item.seq, Said(text))
            text = verdict.text
        self.history.add(text)
        done = Transcribed(item.seq, text, item.start_s, item.end_s, item.speech_start_s,
                           item.speech_end_s, result.segments, item.recovered)
        errors: list[SinkError] = []
        for sink in self.sinks:
            try:
                await sink.deliver(done)
            except SinkError as err:
                if sink.name == "stdout":
                    raise
                errors.append(err)
        self.delivered += 1
        # Speech ended (end_s - speech_end_s) of trailing silence before the utterance closed.
        latency = time.monotonic() - item.ended_at + max(0.0, item.end_s - item.speech_end_s)
        self._final(Final(done, latency, item.recovered))
        if errors:  # the line shows the text only with --log-text: the audio keeps it anyway
            where = f"; audio kept in {kept}" if (kept := self.keeper.keep(item)) else ""
            for e in errors:
                self.error("%s (text: %s%s)", e, Said(text), where)
