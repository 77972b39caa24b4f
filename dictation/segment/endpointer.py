"""The endpointer: classified frames in, utterances out. One object decides when an utterance
ends (the segmenter), whether it is worth sending (the weak-audio check), what is transcribed
before its end is certain (speculation, paced), and what captions show meanwhile (interims).

Speculative endpointing: once an open utterance has been silent for a moment (``speculate_s``
at first, well before the hangover ends it; see SpeculationPacer), the utterance it will be if
the silence holds is sent for transcription at once: the same frames, so the same text. If the
silence holds, the utterance ends with its text already there or on the way; any speech frame
before the end discards the speculation, and a discarded result is never read.

It talks to delivery only through :class:`Outlet`: is the engine free, is it idle, has the run
failed, what is the next prompt, and here is an utterance. It never waits: every call returns
at once, and the transcriptions it starts run as tasks.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

import numpy as np

from dictation.audio.levels import measure
from dictation.records import Heard, Interim, Speculation, Speech, Stats, discard
from dictation.segment.interim import Interims
from dictation.segment.pacer import SpeculationPacer
from dictation.text.guard import DEFAULT, GuardConfig

if TYPE_CHECKING:
    from dictation.audio.vad import Frame
    from dictation.errors import DictationError
    from dictation.segment.segmenter import Segmenter, Utterance
    from dictation.transcribe import Transcriber

log = logging.getLogger("dictation")

RELEASE_TAIL_S = 0.15  # silence kept after the last word when push-to-talk is released


class Outlet(Protocol):
    """What the endpointer asks of delivery (deliver.worker.Delivery)."""

    @property
    def failed(self) -> DictationError | None:
        """The run failed: no more speculation or interims."""

    @property
    def free(self) -> bool:
        """Nothing queued or in flight: the next prompt is final and the engine is free."""

    @property
    def idle(self) -> bool:
        """Free, the engine ready and answering: room for an interim."""

    def next_prompt(self) -> str: ...

    def put(self, item: Speech) -> None:
        """Deliver this utterance, after every one put before it."""


def too_weak(heard: Heard, config: GuardConfig = DEFAULT) -> str | None:
    """Why an utterance is not worth sending to the engine, or None to send it."""
    if heard.snr_db < config.min_snr_db:
        return f"its speech rose only {heard.snr_db:.1f} dB above the background"
    if heard.speech_share < config.min_speech_share:
        return f"only {heard.speech_share:.0%} of it sounded like speech"
    return None


class Endpointer:
    """Feed it frames with :meth:`frame`, and the gate's actions with :meth:`open`,
    :meth:`release` and :meth:`cancel`; :meth:`flush` where capture broke off, :meth:`end`
    at the end of the input. Each finished utterance worth sending is put to the outlet and
    returned."""

    def __init__(self, segmenter: Segmenter[Frame], transcriber: Transcriber, outlet: Outlet,
                 *, guard: GuardConfig, stats: Stats, speculate_s: float = 0.0,
                 interim_s: float = 0.0,
                 on_interim: Callable[[Interim], None] = lambda event: None) -> None:
        self.segmenter = segmenter
        self.transcriber = transcriber
        self.outlet = outlet
        self.guard = guard
        self.stats = stats
        self.pacer = (SpeculationPacer(speculate_s, segmenter.config.hangover_max_s)
                      if speculate_s else None)
        # Provisional text of the open utterance, for captions; never a final's text.
        self.interims = (Interims(interim_s, segmenter.config.frame_s, transcriber, guard,
                                  stats, on_interim) if interim_s else None)
        self.seq = 0  # utterances put so far
        # One per cancel: an utterance heard before a cancel but put after it is dropped too
        # (in step with Delivery.cancel, which the same command bumps).
        self.generation = 0
        self.speculation: Speculation | None = None  # for the open utterance

    @property
    def active(self) -> bool:
        """An utterance is open: speech is being heard."""
        return self.segmenter.active

    def frame(self, frame: Frame) -> Speech | None:
        """One classified frame; the utterance it ended, if one was put."""
        seg = self.segmenter
        if frame.is_speech and self.speculation and seg.listening:
            self._drop_speculation()  # speech resumed: that text would be stale
            if self.pacer:
                self.pacer.resumed()
        return self._ended(seg.push(frame.is_speech, frame.level, frame))

    def open(self) -> None:
        """Start listening (push-to-talk pressed, dictation started)."""
        self.segmenter.open()

    def release(self) -> Speech | None:
        """Stop listening: the open utterance ends now, with a short tail of its silence."""
        return self._ended(self.segmenter.close(RELEASE_TAIL_S))

    def flush(self) -> Speech | None:
        """Capture broke off: what was heard so far is an utterance."""
        return self._ended(self.segmenter.flush())

    def cancel(self) -> None:
        """Drop the open utterance and its speculation; what was put before is dropped by
        delivery, and anything put from now on belongs to the next generation."""
        self.generation += 1
        self.segmenter.cancel()
        self._drop_speculation()

    def end(self) -> Speech | None:
        """The input ended: the open utterance is the last one, nothing else is pending."""
        last = self.flush()
        self._drop_speculation()
        if self.interims:
            self.interims.dropped()
        return last

    def _ended(self, utt: Utterance[Frame] | None) -> Speech | None:
        """After the segmenter spoke: settle the speculation, put what ended, or speculate
        on the pause; then the interims' turn."""
        attached = self._settle(utt)
        speech = None
        if utt is not None:
            speech = self._put(utt, attached)
        else:
            self._speculate()
        if self.interims and not self.outlet.failed:
            self.interims.tick(self.seq + 1, self.segmenter,
                               self.outlet.idle and self.speculation is None,
                               self.outlet.next_prompt)
        return speech

    def _settle(self, utt: Utterance[Frame] | None) -> Speculation | None:
        """The speculation that holds all of ``utt`` (silence held from it to the end), or
        None; one still about the open utterance is kept, any other discarded."""
        spec, self.speculation = self.speculation, None
        if (spec and utt and utt.start == spec.start and utt.reason != "max_length"
                and len(utt.payloads) >= spec.frames):
            return spec
        if spec:
            if self.segmenter.open_start == spec.start:
                self.speculation = spec
            else:  # its utterance was dropped or split
                discard(spec, self.stats)
        return None

    def _put(self, utt: Utterance[Frame], attached: Speculation | None) -> Speech | None:
        frame_s = self.segmenter.config.frame_s
        heard = measure(utt.payloads)
        if weak := too_weak(heard, self.guard):
            # Noise the VAD let through: no request, no CPU, nothing typed.
            log.debug("%.2f-%.2f s: not transcribed: %s", utt.start * frame_s,
                      utt.end * frame_s, weak)
            if attached:
                discard(attached, self.stats)
            return None
        if self.pacer and utt.reason == "pause":
            self.pacer.ended()
        self.seq += 1
        if self.interims:
            self.interims.queued()  # the final's request goes first; no late interim
        speech = speech_of(self.seq, utt.start, utt.payloads, frame_s, heard, attached,
                           self.generation)
        self.outlet.put(speech)
        log.debug("utterance %d: %.2f-%.2f s, ended by %s%s", self.seq, utt.start * frame_s,
                  utt.end * frame_s, utt.reason, ", speculated" if attached else "")
        return speech

    def _speculate(self) -> None:
        """Transcribe the open utterance as it will be if this pause holds; only with nothing
        queued: then the prompt is final and the engine is free."""
        seg, pacer = self.segmenter, self.pacer
        if (pacer is None or self.speculation is not None or self.outlet.failed
                or seg.trailing_silence_s < pacer.wait_s - 1e-9 or not self.outlet.free):
            return
        held = seg.if_silence_holds()
        if held is None or too_weak(measure(held), self.guard):
            return
        if self.interims:
            self.interims.cancel()  # the speculation may become the final: it goes first
        prompt = self.outlet.next_prompt()
        self.stats.requests += 1
        task = asyncio.create_task(
            self.transcriber.transcribe(np.concatenate([f.pcm for f in held]), prompt))
        self.speculation = Speculation(seg.open_start or 0, len(held), prompt, task)

    def _drop_speculation(self) -> None:
        if self.speculation:
            discard(self.speculation, self.stats)
            self.speculation = None


def speech_of(seq: int, start: int, frames: Sequence[Frame], frame_s: float, heard: Heard,
              speculation: Speculation | None, generation: int) -> Speech:
    """Utterance ``seq``: ``frames``, the first of them frame number ``start``."""
    spoken = [i for i, f in enumerate(frames) if f.is_speech] or [0]
    return Speech(seq, start * frame_s, (start + len(frames)) * frame_s,
                  np.concatenate([f.pcm for f in frames]), time.monotonic(), heard,
                  (start + spoken[0]) * frame_s, (start + spoken[-1] + 1) * frame_s,
                  speculation, generation)
