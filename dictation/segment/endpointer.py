"""The endpointer: classified frames in, utterances out. One object decides when an utterance
ends (the segmenter, and the text of a speculation), whether it is worth sending (the
weak-audio check), what is transcribed before its end is certain (speculation, see
speculate.py), and what captions show meanwhile (interims).

Speculative endpointing: once an open utterance has been silent for a moment (``speculate_s``
at first, well before the hangover ends it; see SpeculationPacer), the utterance it will be if
the silence holds is sent for transcription at once: the same frames, so the same text. Its
text then moves the end: a finished sentence ends the utterance at once, an unfinished one
holds the pause open longer (speculate.py). Long speech is cut at a breath whose text ends a
sentence, or past ``soft_max_s`` at its quietest point, long before ``max_utterance_s``.

It talks to delivery only through :class:`Outlet`: is the engine free, is it idle, has the run
failed, what is the next prompt, and here is an utterance. It never waits: every call returns
at once, and the transcriptions it asks for are the scheduler's calls (transcribe/scheduler.py),
never tasks of its own.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from dictation.audio.levels import measure
from dictation.records import Heard, Interim, Speculation, Speech
from dictation.segment.interim import Interims
from dictation.segment.outlet import Outlet
from dictation.segment.speculate import Speculator
from dictation.text.boundary import DEFAULT as BOUNDARY
from dictation.text.boundary import BoundaryConfig
from dictation.text.guard import DEFAULT, GuardConfig

if TYPE_CHECKING:
    from dictation.audio.vad import Frame
    from dictation.segment.segmenter import Segmenter, Utterance
    from dictation.transcribe.scheduler import Scheduler

log = logging.getLogger("dictation")

RELEASE_TAIL_S = 0.15  # silence kept after the last word when push-to-talk is released
SOFT_WAIT_S = 1.5
"""Past ``soft_max_s``, a cut at a transcribed breath waits this long at most for a text
still out that heard past it: the breath may come a word past the sentence end, its text
leaving that word out, and only a text that heard past it has the word (text/carry.py)."""


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

    def __init__(self, segmenter: Segmenter[Frame], engine: Scheduler, outlet: Outlet,
                 *, guard: GuardConfig, speculate_s: float = 0.0, interim_s: float = 0.0,
                 boundary: BoundaryConfig = BOUNDARY,
                 on_interim: Callable[[Interim], None] = lambda event: None) -> None:
        """``engine``: where the transcriptions it asks for are started and owned."""
        self.segmenter = segmenter
        self.outlet = outlet
        self.guard = guard
        # Speculation, and with it the text's say in where utterances end; off for files
        # read at full speed, where nobody waits and fewer, longer utterances read better.
        self.specs = (Speculator(segmenter, engine, outlet, speculate_s, boundary)
                      if speculate_s else None)
        # Provisional text of the open utterance, for captions; never a final's text.
        self.interims = (Interims(interim_s, segmenter.config.frame_s, engine, guard,
                                  on_interim) if interim_s else None)
        if self.specs and self.interims:
            interims = self.interims
            self.specs.on_text = lambda spec, held, result: interims.heard(
                self.seq + 1, spec.start, held, spec.prompt, result)
        self.seq = 0  # utterances put so far
        # By where what a cut at a breath left open starts: the confirming text's words there
        # (the next cut may come before that piece is put).
        self._openings: dict[int, tuple[str, ...]] = {}
        # Past soft_max_s: the open utterance's start, and where it is to be cut (None: at
        # its quietest point) unless a text still out confirms an end first.
        self._soft: tuple[int | None, tuple[int, str] | None] | None = None
        self._opened: int | None = None  # start of the open utterance last reported
        # One per cancel: an utterance heard before a cancel but put after it is dropped too
        # (in step with Delivery.cancel, which the same command bumps).
        self.generation = 0

    @property
    def active(self) -> bool:
        """An utterance is open: speech is being heard."""
        return self.segmenter.active

    @property
    def heard_s(self) -> float:
        """Capture time of the audio heard so far."""
        return self.segmenter.position * self.segmenter.config.frame_s

    @property
    def speculation(self) -> Speculation | None:
        """The speculation of the open utterance, if one is pending."""
        return self.specs.pending if self.specs else None

    def frame(self, frame: Frame) -> Speech | None:
        """One classified frame; the utterance it ended, if one was put."""
        seg = self.segmenter
        if self.specs and seg.listening:
            if frame.is_speech:
                self.specs.resumed()  # speech came back: its text is stale, or cuts back
            elif (keep := self.specs.overtaken()) is not None:
                self._ended(seg.cut(keep, "pause"))
        speech = self._ended(seg.push(frame.is_speech, frame.level, frame))
        if (start := seg.open_start) is not None and start != self._opened:
            self._opened = start
            if (first := seg.open_speech) is not None:
                self.outlet.speaking(first * seg.config.frame_s)
        return speech

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
        """After the segmenter spoke: end or cut where the text says, settle the speculation,
        put what ended, or speculate on the pause; then the interims' turn."""
        specs = self.specs
        ended = utt is not None
        if specs and utt is None:
            utt = self._cut(specs)
        attached = specs.settle(utt) if specs else None
        speech = None
        if utt is not None:
            speech = self._put(utt, attached)
        elif specs and not ended and (held := specs.due()) is not None and \
                not too_weak(measure(held), self.guard):
            if self.interims:
                self.interims.cancel()  # the speculation may become the final: it goes first
            specs.launch(held)
        if self.interims and not self.outlet.failed:
            self.interims.tick(self.seq + 1, self.segmenter,
                               self.outlet.idle and self.speculation is None,
                               self.outlet.next_prompt, self.outlet.next_hint)
        return speech

    def _cut(self, specs: Speculator) -> Utterance[Frame] | None:
        """The open utterance cut where speculation found a sentence end; or, past
        ``soft_max_s``, at a recent breath that was transcribed, else at the quietest point;
        or None."""
        seg, c = self.segmenter, self.segmenter.config
        if (verdict := specs.verdict()) is not None:
            utt = seg.cut(*verdict)
            if verdict[1] == "breath" and seg.open_start is not None:
                self._openings[seg.open_start] = specs.opening  # the next piece's
            return utt
        if not c.soft_max_s or seg.open_frames < c.frames(c.soft_max_s):
            return None
        if self._soft is None or self._soft[0] != seg.open_start:
            # Chosen once: a later text that refutes it leaves only newer guesses.
            self._soft = (seg.open_start, specs.within(c.frames(c.split_window_s)))
        at = self._soft[1]
        if at is not None and specs.heard_past(at[0]) and \
                seg.open_frames < c.frames(c.soft_max_s + SOFT_WAIT_S):
            return None  # that text may confirm the end there, and hear how the rest begins
        self._soft = None
        return seg.split("soft_length") if at is None else seg.cut(*at)

    def _put(self, utt: Utterance[Frame], attached: Speculation | None) -> Speech | None:
        frame_s = self.segmenter.config.frame_s
        heard = measure(utt.payloads)
        if weak := too_weak(heard, self.guard):
            # Noise the VAD let through: no request, no CPU, nothing typed.
            log.debug("%.2f-%.2f s: not transcribed: %s", utt.start * frame_s,
                      utt.end * frame_s, weak)
            if attached:
                attached.call.discard()
            return None
        if self.specs and (utt.reason == "pause" or attached):
            self.specs.pacer.ended()  # a pause that ended or cut it: worth transcribing early
        self.seq += 1
        if self.interims:
            # The final's request goes first; no late interim.
            self.interims.queued(self.segmenter.open_start)
        opening = self._openings.pop(utt.start, ())
        self._openings = {at: o for at, o in self._openings.items() if at > utt.start}
        speech = replace(speech_of(self.seq, utt.start, utt.payloads, frame_s, heard, attached,
                                   self.generation, self.segmenter.position), opening=opening)
        self.outlet.put(speech)
        log.debug("utterance %d: %.2f-%.2f s, ended by %s%s", self.seq, utt.start * frame_s,
                  utt.end * frame_s, utt.reason, ", speculated" if attached else "")
        return speech

    def _drop_speculation(self) -> None:
        if self.specs:
            self.specs.drop_all()


def speech_of(seq: int, start: int, frames: Sequence[Frame], frame_s: float, heard: Heard,
              speculation: Speculation | None, generation: int, heard_to: int) -> Speech:
    """Utterance ``seq``: ``frames``, the first of them frame number ``start``; frames up to
    ``heard_to`` have been heard. An utterance cut where a speculation found its end was put
    only when that text came back, frames later: its clock starts at its own last frame."""
    spoken = [i for i, f in enumerate(frames) if f.is_speech] or [0]
    end = start + len(frames)
    return Speech(seq, start * frame_s, end * frame_s, np.concatenate([f.pcm for f in frames]),
                  time.monotonic() - max(0, heard_to - end) * frame_s, heard,
                  (start + spoken[0]) * frame_s, (start + spoken[-1] + 1) * frame_s,
                  speculation, generation)
