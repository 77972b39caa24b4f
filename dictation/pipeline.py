"""Wires the stages: source → VAD → endpointer → delivery → sinks, in order, on one loop.

Capture and segmentation never wait on the engine: utterances queue up for a single
transcription worker (deliver/worker.py), which keeps them in order and carries the prompt
from one to the next. The endpointer (segment/endpointer.py) decides where utterances end and
what is transcribed early; this module only feeds it frames and the gate's actions, reports
the state, and holds a file back while the engine catches up.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from dictation.audio.levels import dbfs
from dictation.audio.vad import Frame, Vad
from dictation.deliver.config import DeliveryConfig
from dictation.deliver.spool import Adopted, Spool
from dictation.deliver.worker import Delivery
from dictation.errors import DictationError
from dictation.output.sinks import Sink, typing_live
from dictation.records import GAP, Interim, Observer, Quiet, Source, Stats
from dictation.segment.endpointer import Endpointer
from dictation.segment.gate import CANCEL, CLOSE, OPEN, UNDO, Gate
from dictation.segment.segmenter import Segmenter
from dictation.text.config import TextConfig
from dictation.text.stage import TextStage
from dictation.transcribe import Transcriber
from dictation.transcribe.scheduler import Lane, Scheduler

log = logging.getLogger("dictation")

READ_AHEAD = 2  # utterances of a file segmented and waiting for the engine


class Pipeline:
    def __init__(self, source: Source, vad: Vad, segmenter: Segmenter[Frame],
                 transcriber: Transcriber, sinks: list[Sink], settings: DeliveryConfig, *,
                 speculate_s: float = 0.0, interim_s: float = 0.0, gate: Gate | None = None,
                 observer: Observer | None = None, spool: Spool | None = None,
                 recovered: Sequence[Adopted] = (), text: TextConfig | None = None,
                 refiner: Transcriber | None = None) -> None:
        """``settings``: delivery's (the prompt, where audio is kept, the guard, retries, the
        second pass's bound); ``refiner``: a second engine that hears each piece again
        (deliver/refine.py)."""
        self.source = source
        self.guard = settings.guard
        self.vad = vad
        self.segmenter = segmenter
        self.transcriber = transcriber
        self.spool = spool  # None: no durable copies (files are their own copy)
        self.recovered = tuple(recovered)
        self.stats = Stats()
        # Every engine call, from every stage, goes through it: one at a time for an engine
        # in this process, as its decodes share the machine's cores, finals first.
        lane = Lane(transcriber.slots)
        self.engine = Scheduler(transcriber, self.stats, lane)
        # A refiner never holds the fast engine's turn: a local engine cannot interrupt a
        # decode, and a final that waited for a refinement was shown up to a second later. So
        # it has a lane of its own, and a local one decodes at a lower CPU priority beside a
        # local fast engine (cli/build.py).
        self.refiner = refiner and Scheduler(refiner, Stats(), Lane(refiner.slots))
        text = text or TextConfig()
        self.text = TextStage(text)
        self.gate = gate or Gate()
        self.observer: Observer = observer or Quiet()
        for sink in typing_live(sinks):  # its counts go out with the events
            sink.report = self.observer.live
        # Delivery asks this pipeline (its Host) what the endpointer hears; the endpointer
        # puts utterances into delivery: the one made first reaches the other through self.
        self.delivery = Delivery(self.engine, sinks, self.text, self, self.observer, settings,
                                 spool=spool, recovered=self.recovered, stats=self.stats,
                                 refiner=self.refiner)
        self.endpointer = Endpointer(segmenter, self.engine, self.delivery, guard=self.guard,
                                     speculate_s=speculate_s, interim_s=interim_s,
                                     boundary=text.boundary,
                                     on_interim=self._interim)
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
        return self.delivery.kept

    def stop(self, grace_s: float | None = None) -> None:
        """Stop capture; the utterance in progress is still finished and delivered, unless
        the engine is failing, or (``grace_s``) its text takes longer than that: then what
        is pending waits on disk for the next start."""
        self.delivery.stop()
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
        if actions:
            self.source.hold(False)  # the audio captured before the action goes first
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

    @property
    def hearing(self) -> bool:
        """An utterance is being spoken (deliver.host.Host)."""
        return self.endpointer.active

    @property
    def heard_s(self) -> float:
        """Capture time of the audio heard so far (deliver.host.Host)."""
        return self.endpointer.heard_s

    def backlog(self) -> int:
        """Utterances not yet delivered."""
        return self.delivery.count()

    def status(self) -> dict[str, object]:
        backlog = self.backlog()
        spool = {} if self.spool is None else {
            "spool_bytes": self.spool.bytes, "spool_seconds": round(self.spool.seconds, 1),
            "spool_max_bytes": self.spool.max_bytes}
        if self.delivery.paused:
            state = "capture stopped: spool full"
        elif source_state := getattr(self.source, "state", None):
            state = source_state  # e.g. waiting for a microphone
        elif self.delivery.retrying:
            state = "retrying"  # the engine is failing; utterances wait their turn
        elif self.endpointer.active:
            state = "hearing speech"
        elif backlog:
            state = "transcribing"
        else:
            state = "listening" if self.gate.open else "idle"
        return {"mode": self.gate.mode, "state": state, "listening": self.gate.open,
                "engine": self.transcriber.description, "backlog": backlog,
                "delivered": self.delivery.delivered,
                "last_error": self.delivery.last_error,
                "language": self.delivery.language, **spool}

    def _interim(self, event: Interim) -> None:
        self.observer.interim(event)
        self.delivery.interim(event)

    def changed(self) -> None:
        """The status may have changed: the observer hears it if it did (deliver.host.Host)."""
        status = self.status()
        key = (f"{status['state']} {status['backlog']} {status['last_error']} "
               f"{status['language']}")
        if key != self._state:
            self._state = key
            self.observer.state(status)

    async def run(self) -> int:
        # 30–50 s of blocks: a stalled pipeline loses audio only after that, and says so.
        audio, delivery = self._audio, self.delivery
        delivery.prepare()  # capture won't wait
        capture = asyncio.create_task(self.source.run(audio))
        segment = asyncio.create_task(self._segment(audio))
        worker = asyncio.create_task(delivery.run())
        try:
            await capture
        except DictationError as err:
            delivery.fail(err)
        await segment
        try:
            await worker
        finally:
            await self.text.aclose()  # the chat model's connection
        left = delivery.report()
        if rest := self.source.unread():
            log.warning("%s", rest)
        st = self.stats
        log.debug("%d utterances, %d transcriptions (%d speculative used, %d discarded, "
                  "%d interim); %d joined to a fragment; %d asked again without the prompt",
                  st.utterances, st.requests, st.speculations_used, st.speculations_discarded,
                  st.interims, st.joined, st.echo_checks)
        if self.delivery.refiner:
            log.debug("%s", self.delivery.refiner.stats.line())
        if self.aborted:
            return 130
        if self.failed:
            return self.failed.exit_code
        return 1 if self.kept or left else 0

    async def _segment(self, audio: asyncio.Queue[np.ndarray | str | None]) -> None:
        """Frames and the gate's actions to the endpointer, in the order they were queued."""
        delivery, ep = self.delivery, self.endpointer
        while (block := await audio.get()) is not None:
            if isinstance(block, str):
                self._act(block)
                self.changed()
            elif delivery.paused and not self.source.can_wait:
                self.observer.block()  # the microphone is alive; its audio is not kept
            else:
                self._hear(block)
                self.changed()
                await self._keep_pace(audio)
        for frame in self.vad.flush():
            ep.frame(frame)
        ep.end()
        delivery.end()

    async def _keep_pace(self, audio: asyncio.Queue[np.ndarray | str | None]) -> None:
        """A file read ahead goes one block per loop turn, no further ahead of the engine than
        a few utterances (Ctrl-C stops near what was transcribed), none while spool is full."""
        if audio.qsize():
            await asyncio.sleep(0)
        if self.source.can_wait:
            await self.delivery.room(READ_AHEAD)

    def _act(self, action: str) -> None:
        """A gate action, or a gap in capture."""
        ep = self.endpointer
        if action == OPEN:
            ep.open()
        elif action == CLOSE:
            ep.release()
        elif action == CANCEL:
            ep.cancel()  # in step with Delivery.cancel, one per CANCEL queued
        elif action == UNDO:  # after the utterances that ended before it
            self.delivery.undo()
        elif action == GAP:  # capture broke off: what was heard so far is an utterance
            for frame in self.vad.flush():
                ep.frame(frame)
            ep.flush()
            self.observer.block()  # the source is alive, waiting for its device

    def _hear(self, block: np.ndarray) -> None:
        """A block of audio through the VAD and the endpointer."""
        frames = list(self.vad.push(block))
        for frame in frames:
            self.endpointer.frame(frame)
        self.observer.block()
        if frames:  # a block shorter than a frame waits for the next one
            self.observer.level(dbfs(frames))
            # Held blocks delay only the start of an utterance, never its end: from the block
            # that opens it on, each block comes at once. Not any speech frame: noise makes
            # them by the second, and then the room was never quiet (docs/idle.md).
            self.source.hold(not self.endpointer.active)
