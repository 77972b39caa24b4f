"""Wires the stages: source → VAD → segmenter → transcriber → sinks, in order, on one loop.

Capture and segmentation never wait on the engine: utterances queue up for a single
transcription worker, which keeps them in order and carries the prompt from one to the next.

Speculative endpointing: once an open utterance has been silent for a moment (``speculate_s``
at first, well before the hangover ends it; see SpeculationPacer), the utterance it will be if
the silence holds is sent for transcription at once: the same frames, so the same text. If the
silence holds, the utterance ends with its text already there or on the way; any speech frame
before the end discards the speculation, and a discarded result is never read.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

import numpy as np

from dictation.errors import DictationError, SinkError, TranscriptionError
from dictation.gate import CANCEL, CLOSE, OPEN, Gate
from dictation.mic import GAP
from dictation.retry import Outage, RetryPolicy
from dictation.segmenter import Segmenter, SpeculationPacer
from dictation.sinks import Sink, Transcribed
from dictation.spool import Adopted, Spool, keep_audio, load
from dictation.transcribe import Transcriber, Transcript
from dictation.transcribe.guard import GuardConfig, Heard, judge, measure, too_weak
from dictation.transcribe.prompt import History, build_prompt
from dictation.vad import SAMPLE_RATE, Frame, Vad

log = logging.getLogger("dictation")

READ_AHEAD = 2  # utterances of a file segmented and waiting for the engine
RELEASE_TAIL_S = 0.15  # silence kept after the last word when push-to-talk is released
RESUME_FRACTION = 0.75  # a full spool resumes capture once drained below this share of it


class Observer(Protocol):
    """Who hears about the daemon's life: the service manager, the start and stop cues."""

    def block(self) -> None:
        """An audio block went through: the capture is alive (the watchdog's ping)."""

    def state(self, status: dict[str, object]) -> None:
        """The state shown by ``status`` changed."""

    def gate(self, listening: bool) -> None:
        """A command started or stopped dictation."""


class _Quiet:
    def block(self) -> None: ...

    def state(self, status: dict[str, object]) -> None: ...

    def gate(self, listening: bool) -> None: ...


class Source(Protocol):
    description: str
    can_wait: bool
    """True for a file read at full speed: it may be held back until the engine catches up.
    A microphone cannot wait; its audio is never held back."""

    def stop(self) -> None: ...

    def unread(self) -> str | None:
        """What input was never processed after an early stop (a file's rest), or None."""
        ...

    async def run(self, out: asyncio.Queue[np.ndarray | None]) -> None: ...


@dataclass(frozen=True)
class Speculation:
    """A transcription started before the utterance ended."""

    start: int  # frame index of the utterance it belongs to
    frames: int  # how many frames it transcribed: all of the utterance if silence holds
    prompt: str
    task: asyncio.Task[Transcript]


@dataclass
class Stats:
    utterances: int = 0
    requests: int = 0  # transcriber calls, speculative ones included
    speculations_used: int = 0
    speculations_discarded: int = 0


@dataclass(frozen=True)
class Speech:
    """One utterance on its way to text; times are seconds since capture started."""

    seq: int
    start_s: float
    end_s: float
    pcm: np.ndarray
    ended_at: float  # monotonic time the segmenter closed it
    heard: Heard  # how far its speech stood above the background, how much was speech
    speech_start_s: float  # first and last frame called speech
    speech_end_s: float
    speculation: Speculation | None = None  # holds all of its speech, if set
    generation: int = 0  # a cancel since it was spoken drops it
    spooled: Path | None = None  # its durable copy, removed once delivered
    recovered: bool = False  # left over by a run that died


class _Postponed(Exception):
    """Stopping while the engine fails: the utterance waits in the spool for the next start."""


class Pipeline:
    def __init__(self, source: Source, vad: Vad, segmenter: Segmenter[Frame],
                 transcriber: Transcriber, sinks: list[Sink], *, prompt: str,
                 keep_dir: Path, speculate_s: float = 0.0, gate: Gate | None = None,
                 observer: Observer | None = None, guard: GuardConfig | None = None,
                 spool: Spool | None = None, recovered: Sequence[Adopted] = (),
                 retry: RetryPolicy | None = None) -> None:
        self.source = source
        self.guard = guard or GuardConfig()
        self.vad = vad
        self.segmenter = segmenter
        self.transcriber = transcriber
        self.sinks = sinks
        self.prompt = prompt
        self.keep_dir = keep_dir
        self.spool = spool  # None: no durable copies (files are their own copy)
        self.recovered = tuple(recovered)
        self.retry = retry or RetryPolicy()
        self.outage = Outage()
        self.paused = False  # capture stopped: the spool is full
        self._paused_at = 0.0
        self._stopping = asyncio.Event()  # ends waits between retries
        self.pacer = (SpeculationPacer(speculate_s, segmenter.config.hangover_max_s)
                      if speculate_s else None)
        self.stats = Stats()
        self.history = History()
        self.delivered = 0
        self.kept: list[Path] = []
        self.failed: DictationError | None = None  # what ended the run early
        self.aborted = False
        self._inflight: asyncio.Task[None] | None = None
        self._spec: Speculation | None = None  # for the open utterance
        self._ready: asyncio.Task[None] | None = None
        self._taken = asyncio.Event()  # the worker took an utterance from the queue
        self.gate = gate or Gate()
        self.observer: Observer = observer or _Quiet()
        self.generation = 0  # bumped by cancel
        self.last_error: str | None = None
        self._state = ""
        # Audio blocks and gate actions share one queue, so a release lands after exactly
        # the audio captured before it.
        self._audio: asyncio.Queue[np.ndarray | str | None] = asyncio.Queue(maxsize=1000)
        self._speech: asyncio.Queue[Speech | None] = asyncio.Queue()
        if not self.gate.open:
            segmenter.close(0)

    def stop(self) -> None:
        """Stop capture; the utterance in progress is still finished and delivered, unless
        the engine is failing: then what is pending waits on disk for the next start."""
        self._stopping.set()
        self.source.stop()

    def abort(self) -> None:
        """Stop now: what is not yet text is kept on disk instead of waited for."""
        self.aborted = True
        self.failed = self.failed or DictationError("interrupted")
        self._stopping.set()
        self.source.stop()
        for task in (self._ready, self._inflight):
            if task:
                task.cancel()

    def control(self, command: str) -> dict[str, object]:
        """A control command (see gate.COMMANDS); the status after it."""
        actions = self.gate.command(command)
        try:
            for action in actions:
                self._audio.put_nowait(action)
        except asyncio.QueueFull:
            raise ValueError("the daemon is stalled: its audio queue is full") from None
        for action in actions:
            if action in (OPEN, CLOSE):
                self.observer.gate(action == OPEN)
        if command == "cancel":
            self.generation += 1  # what is queued or in flight is dropped before delivery
        return {"status": self.status()}

    def backlog(self) -> int:
        """Utterances not yet delivered: those in the spool, or in memory without one."""
        if self.spool is not None:
            return self.spool.count
        return self._speech.qsize() + (self._inflight is not None
                                       and not self._inflight.done())

    def status(self) -> dict[str, object]:
        backlog = self.backlog()
        spool = {} if self.spool is None else {
            "spool_bytes": self.spool.bytes, "spool_seconds": round(self.spool.seconds, 1),
            "spool_max_bytes": self.spool.max_bytes}
        if self.paused:
            state = "capture stopped: spool full"
        elif source_state := getattr(self.source, "state", None):
            state = source_state  # e.g. waiting for a microphone
        elif self.segmenter.active:
            state = "hearing speech"
        elif backlog:
            state = "transcribing"
        else:
            state = "listening" if self.gate.open else "idle"
        return {"mode": self.gate.mode, "state": state, "listening": self.gate.open,
                "engine": self.transcriber.description, "backlog": backlog,
                "delivered": self.delivered, "last_error": self.last_error, **spool}

    def _changed(self) -> None:
        status = self.status()
        key = f"{status['state']} {status['backlog']} {status['last_error']}"
        if key != self._state:
            self._state = key
            self.observer.state(status)

    def _error(self, message: str) -> None:
        log.error("%s", message)
        self.last_error = message
        self._changed()

    async def run(self) -> int:
        # 30–50 s of blocks: a stalled pipeline loses audio only after that, and says so.
        audio, speech = self._audio, self._speech
        for session in self.recovered:
            log.warning("recovered %d utterance(s) from a run that ended at %s; delivering "
                        "them first", len(session.entries),
                        time.strftime("%H:%M:%S", time.localtime(session.ended)))
        self._check_bound()
        self._ready = asyncio.create_task(self.transcriber.prepare())  # capture won't wait
        capture = asyncio.create_task(self.source.run(audio))
        segment = asyncio.create_task(self._segment(audio, speech))
        worker = asyncio.create_task(self._deliver_all(speech))
        try:
            await capture
        except DictationError as err:
            self._error(str(err))
            self.failed = self.failed or err
        await segment
        await worker
        if self.kept:
            log.warning("%d utterance(s) not transcribed; their audio is kept in %s",
                        len(self.kept), self.keep_dir)
        left = self.spool.count if self.spool else 0
        if left:
            log.warning("%d utterance(s) wait in the spool %s; they will be transcribed at "
                        "the next start", left, self.spool.root if self.spool else "")
        if rest := self.source.unread():
            log.warning("%s", rest)
        st = self.stats
        log.debug("%d utterances, %d transcriptions (%d speculative used, %d discarded)",
                  st.utterances, st.requests, st.speculations_used, st.speculations_discarded)
        if self.aborted:
            return 130
        if self.failed:
            return self.failed.exit_code
        return 1 if self.kept or left else 0

    async def _segment(self, audio: asyncio.Queue[np.ndarray | str | None],
                       out: asyncio.Queue[Speech | None]) -> None:
        seq = 0
        seg = self.segmenter
        frame_s = seg.config.frame_s

        def emit(frame: Frame | None, release: bool = False) -> None:
            nonlocal seq
            if frame is not None and frame.is_speech and self._spec and seg.listening:
                self._discard(self._spec)  # speech resumed: that text would be stale
                self._spec = None
                if self.pacer:
                    self.pacer.resumed()
            if frame:
                utt = seg.push(frame.is_speech, frame.level, frame)
            else:
                utt = seg.close(RELEASE_TAIL_S) if release else seg.flush()
            spec, self._spec = self._spec, None
            if (spec and utt and utt.start == spec.start and utt.reason != "max_length"
                    and len(utt.payloads) >= spec.frames):
                attached, spec = spec, None  # silence held from the speculation to the end
            else:
                attached = None
            if spec:
                if seg.open_start == spec.start:
                    self._spec = spec
                else:  # its utterance was dropped or split
                    self._discard(spec)
            if utt is not None and (weak := too_weak(measure(utt.payloads), self.guard)):
                # Noise the VAD let through: no request, no CPU, nothing typed.
                log.debug("%.2f-%.2f s: not transcribed: %s", utt.start * frame_s,
                          utt.end * frame_s, weak)
                if attached:
                    self._discard(attached)
            elif utt is not None:
                if self.pacer and utt.reason == "pause":
                    self.pacer.ended()
                seq += 1
                frames = utt.payloads
                spoken = [i for i, f in enumerate(frames) if f.is_speech] or [0]
                item = Speech(seq, utt.start * frame_s, utt.end * frame_s,
                              np.concatenate([f.pcm for f in frames]), time.monotonic(),
                              measure(frames), (utt.start + spoken[0]) * frame_s,
                              (utt.start + spoken[-1] + 1) * frame_s, attached,
                              self.generation)
                out.put_nowait(self._to_spool(item))
                log.debug("utterance %d: %.2f-%.2f s, ended by %s%s", seq,
                          utt.start * frame_s, utt.end * frame_s, utt.reason,
                          ", speculated" if attached else "")
            elif (self.pacer and self._spec is None and not self.failed
                  and seg.trailing_silence_s >= self.pacer.wait_s - 1e-9 and out.empty()
                  and (self._inflight is None or self._inflight.done())
                  and (held := seg.if_silence_holds()) is not None
                  and not too_weak(measure(held), self.guard)):
                # Only with nothing queued: then the prompt is final and the engine is free.
                self._spec = self._speculate(seg.open_start or 0, held)

        while (block := await audio.get()) is not None:
            if isinstance(block, str):
                if block == OPEN:
                    seg.open()
                elif block == CLOSE:
                    emit(None, release=True)
                elif block == CANCEL:
                    seg.cancel()
                    if self._spec:
                        self._discard(self._spec)
                        self._spec = None
                elif block == GAP:  # capture broke off: what was heard so far is an utterance
                    for frame in self.vad.flush():
                        emit(frame)
                    emit(None)
                    self.observer.block()  # the source is alive, waiting for its device
                self._changed()
                continue
            if self.paused and not self.source.can_wait:
                self.observer.block()  # the microphone is alive; its audio is not kept
                continue
            for frame in self.vad.push(block):
                emit(frame)
            self.observer.block()
            self._changed()
            # A file is read no further ahead of the engine than a few utterances, so Ctrl-C
            # stops it near what has been transcribed, not at its end; and not at all while
            # the spool is full.
            while self.source.can_wait and (out.qsize() >= READ_AHEAD or (
                    self.paused and not self.failed and not self._stopping.is_set())):
                self._taken.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._taken.wait(), 0.5)
        for frame in self.vad.flush():
            emit(frame)
        emit(None)
        if self._spec:
            self._discard(self._spec)
            self._spec = None
        out.put_nowait(None)

    def _speculate(self, start: int, frames: tuple[Frame, ...]) -> Speculation:
        prompt = build_prompt(self.prompt, str(self.history))
        self.stats.requests += 1
        pcm = np.concatenate([f.pcm for f in frames])
        return Speculation(start, len(frames), prompt, asyncio.create_task(
            self.transcriber.transcribe(pcm, prompt)))

    def _discard(self, spec: Speculation) -> None:
        self.stats.speculations_discarded += 1
        spec.task.cancel()
        # Retrieve its outcome so an error in an abandoned call is not reported as unhandled.
        spec.task.add_done_callback(lambda t: t.cancelled() or t.exception())

    async def _deliver_all(self, queue: asyncio.Queue[Speech | None]) -> None:
        try:
            await self._ready  # utterances spoken while the model loads wait in the queue
        except asyncio.CancelledError:
            if not self.aborted:
                raise
        except DictationError as err:
            self._error(str(err))
            self.failed = err
            self.stop()
        for session in self.recovered:  # a dead run's utterances come before anything new
            for entry in session.entries:
                if (item := self._reload(entry.path, entry.seq)) is not None:
                    await self._handle(item)
        while (item := await queue.get()) is not None:
            self._taken.set()
            await self._handle(item)

    async def _handle(self, item: Speech) -> None:
        """Transcribe and deliver one utterance, or say where it waits."""
        if item.generation != self.generation:
            log.debug("utterance %d: cancelled", item.seq)
            if item.speculation:
                self._discard(item.speculation)
            self._unspool(item)
            self._changed()
            return
        if self.failed or (self._stopping.is_set() and self.outage.since is not None):
            if item.speculation:
                self._discard(item.speculation)
            if item.spooled is None:  # no durable copy: keep the audio now
                self._keep(item)
            return  # otherwise it waits in the spool for the next start
        self._inflight = asyncio.create_task(self._deliver(item))
        try:
            await self._inflight
        except asyncio.CancelledError:
            if not self.aborted:
                raise
            if item.spooled is None:
                self._keep(item)
        except _Postponed:
            if item.spooled is None:
                self._keep(item)
        except TranscriptionError as err:
            if err.fatal:
                self._error(str(err))
                self.failed = err
                self.stop()
                if item.spooled is None:
                    self._keep(item)
            else:  # this audio can never become text: a dead letter
                path = self._keep(item)
                self._unspool(item)
                where = f"; audio kept in {path}" if path else ""
                self._error(f"{err}{where}")
        except SinkError as err:
            self._error(str(err))
            self.failed = err
            self.stop()
        else:
            self._unspool(item)
        self._changed()

    async def _transcribe(self, item: Speech, prompt: str) -> Transcript:
        """The text of ``item``, retried per the policy; utterance N+1 waits meanwhile."""
        spec = item.speculation
        task = spec.task if spec and spec.prompt == prompt else None
        if spec and task is None:  # an earlier utterance changed the transcript since
            self._discard(spec)
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
                    log.warning("%s; %d utterance(s) wait%s; retrying", err, self.backlog(),
                                " in the spool" if self.spool else "")
                    self.last_error = str(err)
                    self._changed()
                if self.retry.gives_up(now - first + delay):
                    raise TranscriptionError(
                        f"gave up on utterance {item.seq} after {now - first:.0f} s of "
                        f"failures (--give-up-after): {err}") from None
                log.debug("utterance %d: %s; retry %d in %.1f s", item.seq, err, failures,
                          delay)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), delay)
                if self._stopping.is_set():
                    raise _Postponed from None
                if item.generation != self.generation:
                    return Transcript("")  # cancelled while it waited
                continue
            if (down := self.outage.recovered(time.monotonic())) is not None:
                log.info("the engine answers again after %.1f s of failures; delivering %d "
                         "utterance(s)", down, self.backlog())
                self.last_error = None
                self._changed()
            return result

    async def _deliver(self, item: Speech) -> None:
        prompt = build_prompt(self.prompt, str(self.history))
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
            log.debug("utterance %d: cancelled; dropped %r", item.seq, text)
            return
        verdict = judge(text, prompt, item.heard, result.segments, self.guard)
        if verdict.reason:
            log.debug("utterance %d: dropped %r: %s", item.seq, text, verdict.reason)
            return
        if verdict.cut:
            log.debug("utterance %d: cut a repetition loop: %r", item.seq, text)
            text = verdict.text
        self.history.add(text)
        done = Transcribed(item.seq, text, item.start_s, item.end_s, item.speech_start_s,
                           item.speech_end_s, result.segments)
        errors = []
        for sink in self.sinks:
            try:
                await sink.deliver(done)
            except SinkError as err:
                if sink.name == "stdout":
                    raise
                errors.append(f"{err} (text: {text!r})")
        self.delivered += 1
        for e in errors:
            self._error(e)

    def _to_spool(self, item: Speech) -> Speech:
        """Write a new utterance to the spool before anything is sent; check the bound."""
        if self.spool is None:
            return item
        meta = {"start_s": item.start_s, "end_s": item.end_s, "snr_db": item.heard.snr_db,
                "speech_share": item.heard.speech_share, "speech_start_s": item.speech_start_s,
                "speech_end_s": item.speech_end_s}
        try:
            path = self.spool.add(item.seq, item.pcm.astype("<i2").tobytes(), meta)
        except OSError as err:
            self._error(f"cannot write utterance {item.seq} to the spool {self.spool.root}: "
                        f"{err.strerror or err}; it is held in memory only")
            return item
        self._check_bound()
        return replace(item, spooled=path)

    def _reload(self, path: Path, seq: int) -> Speech | None:
        """A dead run's utterance, read back from its spool file."""
        try:
            pcm, meta = load(path)
        except (OSError, ValueError) as err:
            self._error(f"cannot read spooled utterance {path}: {err}; left where it is")
            return None
        samples = np.frombuffer(pcm, "<i2").astype(np.int16)
        return Speech(seq, meta.get("start_s", 0.0), meta.get("end_s", 0.0), samples,
                      time.monotonic(),
                      Heard(meta.get("snr_db", 99.0), meta.get("speech_share", 1.0)),
                      meta.get("speech_start_s", 0.0), meta.get("speech_end_s", 0.0),
                      generation=self.generation, spooled=path, recovered=True)

    def _unspool(self, item: Speech) -> None:
        if self.spool is not None and item.spooled is not None:
            try:
                self.spool.remove(item.spooled)
            except OSError as err:
                self._error(f"cannot remove {item.spooled} from the spool: "
                            f"{err.strerror or err}")
            self._check_bound()

    def _check_bound(self) -> None:
        """Stop capture when the spool reaches its bound, loudly; resume once it drained."""
        sp = self.spool
        if sp is None or not sp.max_bytes:
            return
        mb = sp.bytes / 1e6
        if not self.paused and sp.bytes >= sp.max_bytes:
            self.paused = True
            self._paused_at = time.monotonic()
            self._error(f"the spool {sp.root} is full ({mb:.1f} MB, --spool-max "
                        f"{sp.max_bytes / 1e6:g}): capture stopped; nothing said now is "
                        "recorded until the backlog drains")
        elif self.paused and sp.bytes < sp.max_bytes * RESUME_FRACTION:
            self.paused = False
            log.warning("capture resumed: the spool is down to %.1f MB (stopped for %.0f s)",
                        mb, time.monotonic() - self._paused_at)
            self._taken.set()
            self._changed()

    def _keep(self, item: Speech) -> Path | None:
        try:
            path = keep_audio(item.pcm, self.keep_dir)
        except OSError as err:
            self._error(f"could not keep the audio of utterance {item.seq} in "
                        f"{self.keep_dir}: {err.strerror or err}")
            return None
        self.kept.append(path)
        return path
