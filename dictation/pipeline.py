"""Wires the stages: source → VAD → segmenter → transcriber → sinks, in order, on one loop.

Capture and segmentation never wait on the network: utterances queue up for a single
transcription worker, which keeps them in order and carries the prompt from one to the next.
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
from dictation.segmenter import Segmenter
from dictation.sinks import Sink
from dictation.spool import keep_audio
from dictation.transcribe import Transcriber
from dictation.transcribe.guard import drop_reason, snr_db
from dictation.transcribe.prompt import History, build_prompt
from dictation.vad import SAMPLE_RATE, Frame, Vad

log = logging.getLogger("dictation")


class Source(Protocol):
    description: str

    def stop(self) -> None: ...

    def unread(self) -> str | None:
        """What input was never processed after an early stop (a file's rest), or None."""
        ...

    async def run(self, out: asyncio.Queue[np.ndarray | None]) -> None: ...


@dataclass(frozen=True)
class Speech:
    """One utterance on its way to text; times are seconds since capture started."""

    seq: int
    start_s: float
    end_s: float
    pcm: np.ndarray
    ended_at: float  # monotonic time the segmenter closed it
    snr_db: float  # how far its speech stood above the background


class Pipeline:
    def __init__(self, source: Source, vad: Vad, segmenter: Segmenter[Frame],
                 transcriber: Transcriber, sinks: list[Sink], *, prompt: str,
                 keep_dir: Path) -> None:
        self.source = source
        self.vad = vad
        self.segmenter = segmenter
        self.transcriber = transcriber
        self.sinks = sinks
        self.prompt = prompt
        self.keep_dir = keep_dir
        self.history = History()
        self.delivered = 0
        self.kept: list[Path] = []
        self.failed: DictationError | None = None  # what ended the run early
        self.aborted = False
        self._inflight: asyncio.Task[None] | None = None

    def stop(self) -> None:
        """Stop capture; the utterance in progress is still finished and delivered."""
        self.source.stop()

    def abort(self) -> None:
        """Stop now: what is not yet text is kept on disk instead of waited for."""
        self.aborted = True
        self.failed = self.failed or DictationError("interrupted")
        self.source.stop()
        if self._inflight:
            self._inflight.cancel()

    async def run(self) -> int:
        # 30–50 s of blocks: a stalled pipeline loses audio only after that, and says so.
        audio: asyncio.Queue[np.ndarray | None] = asyncio.Queue(maxsize=1000)
        speech: asyncio.Queue[Speech | None] = asyncio.Queue()
        capture = asyncio.create_task(self.source.run(audio))
        segment = asyncio.create_task(self._segment(audio, speech))
        worker = asyncio.create_task(self._deliver_all(speech))
        try:
            await capture
        except DictationError as err:
            log.error("%s", err)
            self.failed = self.failed or err
        await segment
        await worker
        if self.kept:
            log.warning("%d utterance(s) not transcribed; their audio is kept in %s",
                        len(self.kept), self.keep_dir)
        if rest := self.source.unread():
            log.warning("%s", rest)
        if self.aborted:
            return 130
        return 1 if self.failed or self.kept else 0

    async def _segment(self, audio: asyncio.Queue[np.ndarray | None],
                       out: asyncio.Queue[Speech | None]) -> None:
        seq = 0

        def emit(frame: Frame | None) -> None:
            nonlocal seq
            utt = (self.segmenter.push(frame.is_speech, frame.level, frame) if frame
                   else self.segmenter.flush())
            if utt is None:
                return
            seq += 1
            frame_s = self.segmenter.config.frame_s
            frames = utt.payloads
            out.put_nowait(Speech(seq, utt.start * frame_s, utt.end * frame_s,
                                  np.concatenate([f.pcm for f in frames]), time.monotonic(),
                                  snr_db(frames)))
            log.debug("utterance %d: %.2f-%.2f s, ended by %s", seq, utt.start * frame_s,
                      utt.end * frame_s, utt.reason)

        while (block := await audio.get()) is not None:
            for frame in self.vad.push(block):
                emit(frame)
        for frame in self.vad.flush():
            emit(frame)
        emit(None)
        out.put_nowait(None)

    async def _deliver_all(self, queue: asyncio.Queue[Speech | None]) -> None:
        while (item := await queue.get()) is not None:
            if self.failed:
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
                log.error("%s%s", err, where)
                if err.fatal:
                    self.failed = err
                    self.stop()
            except SinkError as err:
                log.error("%s", err)
                self.failed = err
                self.stop()

    async def _deliver(self, item: Speech) -> None:
        prompt = build_prompt(self.prompt, str(self.history))
        began = time.monotonic()
        result = await self.transcriber.transcribe(item.pcm, prompt)
        text = result.text
        log.debug("utterance %d: %.2f s of audio transcribed in %.2f s (%.2f s after its end)",
                  item.seq, len(item.pcm) / SAMPLE_RATE, time.monotonic() - began,
                  time.monotonic() - item.ended_at)
        if not text:
            return
        if reason := drop_reason(text, prompt, item.snr_db):
            log.debug("utterance %d: dropped %r: %s", item.seq, text, reason)
            return
        self.history.add(text)
        errors = []
        for sink in self.sinks:
            try:
                await sink.deliver(text)
            except SinkError as err:
                if sink.name == "stdout":
                    raise
                errors.append(f"{err} (text: {text!r})")
        self.delivered += 1
        for e in errors:
            log.error("%s", e)

    def _keep(self, item: Speech) -> Path | None:
        try:
            path = keep_audio(item.pcm, self.keep_dir)
        except OSError as err:
            log.error("could not keep the audio of utterance %d in %s: %s", item.seq,
                      self.keep_dir, err.strerror or err)
            return None
        self.kept.append(path)
        return path
