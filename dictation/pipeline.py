"""Wires the stages: source → VAD → segmenter → transcriber → sinks, in order, on one loop.

Capture and segmentation never wait on the engine: utterances queue up for a single
transcription worker (delivery.py), which keeps them in order and carries the prompt from one
to the next.

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
from pathlib import Path

import numpy as np

from dictation.audio.levels import dbfs, measure
from dictation.audio.vad import Frame, Vad
from dictation.deliver.retry import RetryPolicy
from dictation.deliver.spool import Adopted, Spool
from dictation.deliver.worker import Delivery
from dictation.errors import DictationError
from dictation.output.sinks import Sink
from dictation.records import GAP, Observer, Quiet, Source, Speculation, Speech, Stats, discard
from dictation.segment.gate import CANCEL, CLOSE, OPEN, Gate
from dictation.segment.interim import Interims
from dictation.segment.pacer import SpeculationPacer
from dictation.segment.segmenter import Segmenter
from dictation.text.guard import GuardConfig, too_weak
from dictation.transcribe import Transcriber

__all__ = ["Observer", "Pipeline", "Source", "Speculation", "Speech", "Stats"]

log = logging.getLogger("dictation")

READ_AHEAD = 2  # utterances of a file segmented and waiting for the engine
RELEASE_TAIL_S = 0.15  # silence kept after the last word when push-to-talk is released


class Pipeline:
    def __init__(self, source: Source, vad: Vad, segmenter: Segmenter[Frame],
                 transcriber: Transcriber, sinks: list[Sink], *, prompt: str,
                 keep_dir: Path, speculate_s: float = 0.0, gate: Gate | None = None,
                 observer: Observer | None = None, guard: GuardConfig | None = None,
                 spool: Spool | None = None, recovered: Sequence[Adopted] = (),
                 retry: RetryPolicy | None = None, interim_s: float = 0.0) -> None:
        self.source = source
        self.guard = guard or GuardConfig()
        self.vad = vad
        self.segmenter = segmenter
        self.transcriber = transcriber
        self.keep_dir = keep_dir
        self.spool = spool  # None: no durable copies (files are their own copy)
        self.recovered = tuple(recovered)
        self.pacer = (SpeculationPacer(speculate_s, segmenter.config.hangover_max_s)
                      if speculate_s else None)
        self.stats = Stats()
        self.delivery = Delivery(transcriber, sinks, prompt=prompt, keep_dir=keep_dir,
                                 guard=self.guard, spool=spool, recovered=self.recovered,
                                 retry=retry or RetryPolicy(), stats=self.stats,
                                 changed=self._changed, stop=self.stop,
                                 final=lambda event: self.observer.final(event))
        self._spec: Speculation | None = None  # for the open utterance
        # Provisional text of the open utterance, for captions; never a final's text.
        self.interims = (Interims(interim_s, segmenter.config.frame_s, transcriber,
                                  self.guard, self.stats, lambda e: self.observer.interim(e))
                         if interim_s else None)
        self.gate = gate or Gate()
        self.observer: Observer = observer or Quiet()
        self._state = ""
        # Audio blocks and gate actions share one queue, so a release lands after exactly
        # the audio captured before it.
        self._audio: asyncio.Queue[np.ndarray | str | None] = asyncio.Queue(maxsize=1000)
        if not self.gate.open:
            segmenter.close(0)

    @property
    def failed(self) -> DictationError | None:
        """What ended the run early."""
        return self.delivery.failed

    @property
    def aborted(self) -> bool:
        return self.delivery.aborted

    @property
    def kept(self) -> list[Path]:
        """Audio set aside because it could not become text."""
        return self.delivery.keeper.kept

    def stop(self, grace_s: float | None = None) -> None:
        """Stop capture; the utterance in progress is still finished and delivered, unless
        the engine is failing, or (``grace_s``) its text takes longer than that: then what
        is pending waits on disk for the next start."""
        self.delivery.stopping.set()
        self.delivery.taken.set()  # a file held back by a full spool is read on at once
        self.source.stop()
        if grace_s is not None:
            asyncio.get_running_loop().call_later(grace_s, self.delivery.expire, grace_s)

    def abort(self) -> None:
        """Stop now: what is not yet text is kept on disk instead of waited for."""
        self.delivery.abort()
        self.source.stop()

    def control(self, command: str) -> dict[str, object]:
        """A control command (see gate.COMMANDS); the status after it."""
        actions = self.gate.command(command)
        try:
            for action in actions:
                self._audio.put_nowait(action)
                if action == CANCEL:  # what was queued or in flight is dropped now
                    self.delivery.cancel()
        except asyncio.QueueFull:
            raise ValueError("the daemon is stalled: its audio queue is full") from None
        for action in actions:
            if action in (OPEN, CLOSE):
                self.observer.gate(action == OPEN)
        return {"status": self.status()}

    def backlog(self) -> int:
        """Utterances not yet delivered."""
        return self.delivery.count()

    def status(self) -> dict[str, object]:
        backlog = self.backlog()
        spool = {} if self.spool is None else {
            "spool_bytes": self.spool.bytes, "spool_seconds": round(self.spool.seconds, 1),
            "spool_max_bytes": self.spool.max_bytes}
        if self.delivery.keeper.paused:
            state = "capture stopped: spool full"
        elif source_state := getattr(self.source, "state", None):
            state = source_state  # e.g. waiting for a microphone
        elif self.delivery.outage.since is not None:
            state = "retrying"  # the engine is failing; utterances wait their turn
        elif self.segmenter.active:
            state = "hearing speech"
        elif backlog:
            state = "transcribing"
        else:
            state = "listening" if self.gate.open else "idle"
        return {"mode": self.gate.mode, "state": state, "listening": self.gate.open,
                "engine": self.transcriber.description, "backlog": backlog,
                "delivered": self.delivery.delivered,
                "last_error": self.delivery.last_error, **spool}

    def _changed(self) -> None:
        status = self.status()
        key = f"{status['state']} {status['backlog']} {status['last_error']}"
        if key != self._state:
            self._state = key
            self.observer.state(status)

    async def run(self) -> int:
        # 30–50 s of blocks: a stalled pipeline loses audio only after that, and says so.
        audio, delivery = self._audio, self.delivery
        delivery.keeper.recovered(self.recovered)
        delivery.keeper.check_bound()
        delivery.prepare()  # capture won't wait
        capture = asyncio.create_task(self.source.run(audio))
        segment = asyncio.create_task(self._segment(audio))
        worker = asyncio.create_task(delivery.run())
        try:
            await capture
        except DictationError as err:
            delivery.error(str(err))
            delivery.failed = delivery.failed or err
        await segment
        await worker
        left = delivery.keeper.report(delivery.expired)
        if rest := self.source.unread():
            log.warning("%s", rest)
        st = self.stats
        log.debug("%d utterances, %d transcriptions (%d speculative used, %d discarded, "
                  "%d interim)", st.utterances, st.requests, st.speculations_used,
                  st.speculations_discarded, st.interims)
        if self.aborted:
            return 130
        if self.failed:
            return self.failed.exit_code
        return 1 if self.kept or left else 0

    async def _segment(self, audio: asyncio.Queue[np.ndarray | str | None]) -> None:
        delivery = self.delivery
        out = delivery.queue
        seq = 0
        # Moves on at the CANCEL in the queue, so audio heard before a cancel but segmented
        # after it is dropped too.
        generation = delivery.generation
        seg = self.segmenter
        frame_s = seg.config.frame_s

        def emit(frame: Frame | None, release: bool = False) -> None:
            nonlocal seq
            if frame is not None and frame.is_speech and self._spec and seg.listening:
                discard(self._spec, self.stats)  # speech resumed: that text would be stale
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
                    discard(spec, self.stats)
            if utt is not None and (weak := too_weak(measure(utt.payloads), self.guard)):
                # Noise the VAD let through: no request, no CPU, nothing typed.
                log.debug("%.2f-%.2f s: not transcribed: %s", utt.start * frame_s,
                          utt.end * frame_s, weak)
                if attached:
                    discard(attached, self.stats)
            elif utt is not None:
                if self.pacer and utt.reason == "pause":
                    self.pacer.ended()
                seq += 1
                if self.interims:
                    self.interims.queued()  # the final's request goes first; no late interim
                delivery.put(speech_of(seq, utt.start, utt.payloads, frame_s, attached,
                                       generation))
                log.debug("utterance %d: %.2f-%.2f s, ended by %s%s", seq,
                          utt.start * frame_s, utt.end * frame_s, utt.reason,
                          ", speculated" if attached else "")
            elif (self.pacer and self._spec is None and not self.failed
                  and seg.trailing_silence_s >= self.pacer.wait_s - 1e-9 and out.empty()
                  and not delivery.busy
                  and (held := seg.if_silence_holds()) is not None
                  and not too_weak(measure(held), self.guard)):
                # Only with nothing queued: then the prompt is final and the engine is free.
                if self.interims:
                    self.interims.cancel()  # the speculation may become the final: it goes first
                self._spec = self._speculate(seg.open_start or 0, held)
            if self.interims and not self.failed:
                self.interims.tick(seq + 1, seg, delivery.idle and self._spec is None
                                   and delivery.outage.since is None, delivery.next_prompt)

        while (block := await audio.get()) is not None:
            if isinstance(block, str):
                if block == OPEN:
                    seg.open()
                elif block == CLOSE:
                    emit(None, release=True)
                elif block == CANCEL:
                    generation += 1  # in step with Delivery.cancel, one per CANCEL queued
                    seg.cancel()
                    if self._spec:
                        discard(self._spec, self.stats)
                        self._spec = None
                elif block == GAP:  # capture broke off: what was heard so far is an utterance
                    for frame in self.vad.flush():
                        emit(frame)
                    emit(None)
                    self.observer.block()  # the source is alive, waiting for its device
                self._changed()
                continue
            if delivery.keeper.paused and not self.source.can_wait:
                self.observer.block()  # the microphone is alive; its audio is not kept
                continue
            frames = list(self.vad.push(block))
            for frame in frames:
                emit(frame)
            self.observer.block()
            if frames:  # a block shorter than a frame waits for the next one
                self.observer.level(dbfs(frames))
            self._changed()
            # A file read ahead goes one block per loop turn, no further ahead of the engine than
            # a few utterances (Ctrl-C stops near what was transcribed), none while spool is full.
            if audio.qsize():
                await asyncio.sleep(0)
            while self.source.can_wait and (out.qsize() >= READ_AHEAD or (
                    delivery.keeper.paused and not self.failed
                    and not delivery.stopping.is_set())):
                delivery.taken.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(delivery.taken.wait(), 0.5)
        for frame in self.vad.flush():
            emit(frame)
        emit(None)
        if self._spec:
            discard(self._spec, self.stats)
            self._spec = None
        if self.interims:
            self.interims.dropped()
        out.put_nowait(None)

    def _speculate(self, start: int, frames: tuple[Frame, ...]) -> Speculation:
        prompt = self.delivery.next_prompt()
        self.stats.requests += 1
        return Speculation(start, len(frames), prompt, asyncio.create_task(
            self.transcriber.transcribe(np.concatenate([f.pcm for f in frames]), prompt)))


def speech_of(seq: int, start: int, frames: Sequence[Frame], frame_s: float,
              speculation: Speculation | None, generation: int) -> Speech:
    """Utterance ``seq``: ``frames``, the first of them frame number ``start``."""
    spoken = [i for i, f in enumerate(frames) if f.is_speech] or [0]
    return Speech(seq, start * frame_s, (start + len(frames)) * frame_s,
                  np.concatenate([f.pcm for f in frames]), time.monotonic(), measure(frames),
                  (start + spoken[0]) * frame_s, (start + spoken[-1] + 1) * frame_s,
                  speculation, generation)
