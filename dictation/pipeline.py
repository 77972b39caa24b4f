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
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from dictation.errors import DictationError, SinkError, TranscriptionError
from dictation.gate import CANCEL, CLOSE, OPEN, Gate
from dictation.mic import GAP
from dictation.segmenter import Segmenter, SpeculationPacer
from dictation.sinks import Sink, Transcribed
from dictation.spool import keep_audio
from dictation.transcribe import Transcriber, Transcript
from dictation.transcribe.guard import GuardConfig, Heard, judge, measure, too_weak
from dictation.transcribe.prompt import History, build_prompt
from dictation.vad import SAMPLE_RATE, Frame, Vad

log = logging.getLogger("dictation")

READ_AHEAD = 2  # utterances of a file segmented and waiting for the engine
RELEASE_TAIL_S = 0.15  # silence kept after the last word when push-to-talk is released


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


class Pipeline:
    def __init__(self, source: Source, vad: Vad, segmenter: Segmenter[Frame],
                 transcriber: Transcriber, sinks: list[Sink], *, prompt: str,
                 keep_dir: Path, speculate_s: float = 0.0, gate: Gate | None = None,
                 observer: Observer | None = None, guard: GuardConfig | None = None) -> None:
        self.source = source
        self.guard = guard or GuardConfig()
        self.vad = vad
        self.segmenter = segmenter
        self.transcriber = transcriber
        self.sinks = sinks
        self.prompt = prompt
        self.keep_dir = keep_dir
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
        """Stop capture; the utterance in progress is still finished and delivered."""
        self.source.stop()

    def abort(self) -> None:
        """Stop now: what is not yet text is kept on disk instead of waited for."""
        self.aborted = True
        self.failed = self.failed or DictationError("interrupted")
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

    def status(self) -> dict[str, object]:
        backlog = self._speech.qsize() + (self._inflight is not None
                                          and not self._inflight.done())
        if source_state := getattr(self.source, "state", None):
            state = source_state  # e.g. waiting for a microphone
        elif self.segmenter.active:
            state = "hearing speech"
        elif backlog:
            state = "transcribing"
        else:
            state = "listening" if self.gate.open else "idle"
        return {"mode": self.gate.mode, "state": state, "listening": self.gate.open,
                "engine": self.transcriber.description, "backlog": backlog,
                "delivered": self.delivered, "last_error": self.last_error}

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
        if rest := self.source.unread():
            log.warning("%s", rest)
        st = self.stats
        log.debug("%d utterances, %d transcriptions (%d speculative used, %d discarded)",
                  st.utterances, st.requests, st.speculations_used, st.speculations_discarded)
        if self.aborted:
            return 130
        if self.failed:
            return self.failed.exit_code
        return 1 if self.kept else 0

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
                out.put_nowait(Speech(seq, utt.start * frame_s, utt.end * frame_s,
                                      np.concatenate([f.pcm for f in frames]),
                                      time.monotonic(), measure(frames),
                                      (utt.start + spoken[0]) * frame_s,
                                      (utt.start + spoken[-1] + 1) * frame_s, attached,
                                      self.generation))
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
            for frame in self.vad.push(block):
                emit(frame)
            self.observer.block()
            self._changed()
            # A file is read no further ahead of the engine than a few utterances, so Ctrl-C
            # stops it near what has been transcribed, not at its end.
            while self.source.can_wait and out.qsize() >= READ_AHEAD:
                self._taken.clear()
                await self._taken.wait()
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
        while (item := await queue.get()) is not None:
            self._taken.set()
            if item.generation != self.generation:
                log.debug("utterance %d: cancelled", item.seq)
                if item.speculation:
                    self._discard(item.speculation)
                self._changed()
                continue
            if self.failed:
                if item.speculation:
                    self._discard(item.speculation)
                self._keep(item)
                continue
            self._inflight = asyncio.create_task(self._deliver(item))
            try:
                await self._inflight
            except asyncio.CancelledError:
                if not self.aborted:
                    raise
                self._keep(item)
            except TranscriptionError as err:
                path = self._keep(item)
                where = f"; audio kept in {path}" if path else ""
                self._error(f"{err}{where}")
                if err.fatal:
                    self.failed = err
                    self.stop()
            except SinkError as err:
                self._error(str(err))
                self.failed = err
                self.stop()
            self._changed()

    async def _deliver(self, item: Speech) -> None:
        prompt = build_prompt(self.prompt, str(self.history))
        began = time.monotonic()
        self.stats.utterances += 1
        spec = item.speculation
        if spec and spec.prompt == prompt:
            result = await spec.task
            self.stats.speculations_used += 1
        else:
            if spec:  # an earlier utterance changed the transcript since
                self._discard(spec)
            self.stats.requests += 1
            result = await self.transcriber.transcribe(item.pcm, prompt)
        text = result.text
        log.debug("utterance %d: %.2f s of audio, text %.2f s after its end (%.2f s waited%s)",
                  item.seq, len(item.pcm) / SAMPLE_RATE, time.monotonic() - item.ended_at,
                  time.monotonic() - began, ", speculative" if spec and spec.prompt == prompt
                  else "")
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

    def _keep(self, item: Speech) -> Path | None:
        try:
            path = keep_audio(item.pcm, self.keep_dir)
        except OSError as err:
            self._error(f"could not keep the audio of utterance {item.seq} in "
                        f"{self.keep_dir}: {err.strerror or err}")
            return None
        self.kept.append(path)
        return path
