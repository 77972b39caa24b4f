"""Speculation: the open utterance transcribed before its end is certain, and what that text
says about where the utterance ends.

A pause is transcribed once it lasts ``speculate_s`` (paced, see SpeculationPacer); in speech
longer than ``SegmenterConfig.long_s``, every breath is. The text then decides with the
silence (``dictation.text.boundary``):

- **Complete** (the words end a sentence): the utterance ends at once, after exactly the
  frames transcribed, so the text is already there and no second request is made.
- **Complete, but the speaker went on** (a breath in long speech): most of a sentence reads
  as a sentence too ("I left my glasses on the table." + "next to the bowl"), so the breath is
  only a candidate. A later speculation, which hears more, confirms it when its text ends a
  sentence on the same word; then the utterance is cut back at that breath, the candidate's
  text attached, and what followed stays open. Which texts confirm, leave standing or refute
  a candidate, and how long a refuted one may still be confirmed: segment/candidate.py. With
  an engine that takes requests at once (a server), up to ``AHEAD`` breaths are at the
  engine together, so a breath at a sentence end is transcribed even while the one before it
  is still out.
- **Incomplete** (a thinking pause): the pause needs ``BoundaryConfig.hold_s`` more silence
  before it ends the utterance; if the speaker goes on, the sentence stays one utterance.
- **Not back yet** when the hangover would end the utterance: the same hold bounds the wait.

Any speech after a short utterance's speculation discards it, as before: its text would be
stale. The text is read only from the tail (``boundary.TAIL_CHARS``): nothing heavy on the loop.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np

from dictation.records import EngineCall, Kind, Speculation
from dictation.segment.candidate import Candidates, Reading
from dictation.segment.pacer import AHEAD, APART_S, BreathBudget, SpeculationPacer
from dictation.text import boundary
from dictation.text.boundary import BoundaryConfig

if TYPE_CHECKING:
    from collections.abc import Callable

    from dictation.audio.vad import Frame
    from dictation.segment.outlet import Outlet
    from dictation.segment.segmenter import Segmenter, Utterance
    from dictation.transcribe.scheduler import Call, Scheduler
    from dictation.transcript import Transcript

log = logging.getLogger("dictation")


class Speculator:
    """The speculations of the open utterance, from :meth:`due` and :meth:`launch` to
    :meth:`verdict` and :meth:`settle`: one at a time, or at breaths up to ``AHEAD`` at once,
    read in the order they were made."""

    def __init__(self, segmenter: Segmenter[Frame], engine: Scheduler, outlet: Outlet,
                 speculate_s: float, config: BoundaryConfig) -> None:
        self.segmenter = segmenter
        self.engine = engine
        self.outlet = outlet
        self.config = config
        self.pacer = SpeculationPacer(speculate_s, segmenter.config.hangover_max_s)
        self.flight: list[Speculation] = []  # about the open utterance, oldest first
        self._ahead = AHEAD if engine.lane.slots is None else 1
        self.budget = BreathBudget(self._ahead)
        # Its text, once back: a decode of the open utterance so far (interims use it).
        self.on_text: Callable[[Speculation, tuple[Frame, ...], Transcript], None] = \
            lambda spec, held, result: None
        self.candidates = Candidates()  # breaths whose text ended a sentence
        self.opening: tuple[str, ...] = ()  # the last confirming text's words after the end
        self._judged: Speculation | None = None  # its text was read and did not end it
        self._breath = False  # the oldest in flight is a breath of long speech (all others are)
        # The silence had lasted the hangover when the speaker went on: the oldest one's
        # pause would have ended the utterance had its text not been awaited.
        self._overdue = False

    @property
    def pending(self) -> Speculation | None:
        """The oldest speculation of the open utterance not yet read to its end."""
        return self.flight[0] if self.flight else None

    def due(self) -> tuple[Frame, ...] | None:
        """The frames to transcribe now, if this pause (or, in long speech, this breath) is
        long enough and the engine has room for it; only with nothing queued: then the
        prompt is final and the engine is free."""
        seg, c = self.segmenter, self.segmenter.config
        if self.outlet.failed or not self.outlet.free or (self.flight and not self._room()):
            return None
        silent_s = seg.trailing_silence_s
        if self._breathing():
            return seg.at_breath() if silent_s >= c.breath_s - 1e-9 else None
        return seg.if_silence_holds() if silent_s >= self.pacer.wait_s - 1e-9 else None

    def _room(self) -> bool:
        """Room for this breath beside those in flight: all of them breaths of the open
        utterance, fewer than ``AHEAD``, the newest ``APART_S`` before this pause; or, at a
        server, whatever is out, a pause as long as one that is speculated in short speech,
        which may be the utterance's end (its text must not wait for a breath's)."""
        seg = self.segmenter
        apart = seg.pause_start - self.flight[-1].frames
        pause = (self._ahead > 1 and apart > 0
                 and seg.trailing_silence_s >= self.pacer.wait_s - 1e-9)
        return (self._breath and all(s.start == seg.open_start for s in self.flight)
                and (pause or (len(self.flight) < self._ahead
                               and apart >= seg.config.frames(APART_S))))

    def launch(self, held: tuple[Frame, ...]) -> None:
        """Transcribe ``held``; the hangover waits for its text, for ``hold_s`` at most."""
        seg = self.segmenter
        prompt = self.outlet.next_prompt()
        call = self.engine.start(Kind.SPECULATION, np.concatenate([f.pcm for f in held]),
                                 prompt, hint=self.outlet.next_hint())
        spec = Speculation(seg.open_start or 0, len(held), prompt, call)
        if not self.flight:
            self._breath, self._overdue = self._breathing(), False
        self.flight.append(spec)
        call.then(lambda c: self._answered(c, spec, held))
        seg.hold_s = self.config.hold_s

    def _answered(self, call: Call, spec: Speculation, held: tuple[Frame, ...]) -> None:
        if call.elapsed_s is not None:
            self.budget.answered(call.elapsed_s)
        # The speaker went on: its text is one of the speech going on. (While silence holds
        # it may yet be the utterance's final text, shown as such.)
        if (result := call.value()) is not None and self.segmenter.trailing_silence_s == 0:
            self.on_text(spec, held, result)

    def resumed(self) -> None:
        """Speech came back during the pending speculation: stale, unless its text may yet
        end the utterance there: a breath of long speech, or a pause that outlasted the
        hangover while its text was awaited (a slow engine must not cost the end the
        silence alone would have made)."""
        spec = self.pending
        if spec is None:
            return
        if spec is not self._judged:
            self._overdue = self._overdue or self.segmenter.pause_over
            if self._breath or self._overdue:
                return
        breath = self._breath
        self.drop()
        if not breath:
            self.pacer.resumed()

    def verdict(self) -> tuple[int, str] | None:
        """Once the pending speculation's text is back, read it once: where to end or cut the
        utterance (frames, reason), or None (held, a new candidate, or discarded)."""
        spec, seg = self.pending, self.segmenter
        if (spec is None or spec is self._judged or not spec.call.done()
                or spec.start != seg.open_start):  # settle() discards one of no open utterance
            return None
        covers = spec.frames >= seg.pause_start  # nothing but silence after it
        text = _text(spec.call)
        cfg = self._boundary(_language(spec.call))
        finished = text is not None and boundary.incomplete(text, cfg) is None
        if covers and finished and seg.trailing_silence_s < seg.config.hangover_min_s - 1e-9:
            return None  # no shorter pause than any that ends an utterance: read it again
        self._judged = spec
        if self._overdue:  # the silence ended it; a sentence that goes on keeps it open
            if text is None or finished:
                return spec.frames, "pause"
            self.drop()
            return None
        if text is None:  # failed: the silence alone decides
            seg.hold_s = 0.0
            if not covers:
                self.drop()
            return None
        if covers and finished:
            return spec.frames, "sentence"
        cand = self.candidates.standing
        confirmed, reading = self.candidates.judge(text, self._speech, spec.frames)
        if confirmed is not None:
            self._note("breath at %.2f s confirmed by the text to %.2f s", confirmed, spec)
            self.opening = self.candidates.opening(confirmed, text)
            return confirmed.frames, "breath"  # settle() discards this one: it heard past it
        if cand is not None and reading is Reading.TOO_CLOSE and not covers:
            self._note("breath at %.2f s: the text to %.2f s heard no word past it", cand, spec)
            self.drop()
            return None
        if cand is not None:
            self._note("breath at %.2f s not confirmed by the text to %.2f s", cand, spec)
        if covers:
            seg.hold_s = boundary.hold_for(text, cfg)
        elif finished and self._breath:  # confirmed or not by the next one
            self.candidates.add(self._pop(), text)
            self._note("breath at %.2f s ends a sentence: a candidate", spec)
        else:  # the speaker went on, and the text does not end there
            self._note("breath at %.2f s: no sentence end", spec)
            self.drop()
        return None

    def _speech(self, frames: int) -> int:
        """Speech frames among the open utterance's first ``frames``."""
        return sum(f.is_speech for f in (self.segmenter.so_far() or ())[:frames])

    def _note(self, message: str, *specs: Speculation) -> None:
        if log.isEnabledFor(logging.DEBUG):
            frame_s = self.segmenter.config.frame_s
            log.debug(message, *((s.start + s.frames) * frame_s for s in specs))

    def within(self, frames: int) -> tuple[int, str] | None:
        """Where a breath of the open utterance's last ``frames`` was transcribed (the
        candidate's first), to cut there with its text."""
        seg = self.segmenter
        for spec in (self.candidates.standing, *self.flight):
            if (spec and seg.open_start == spec.start
                    and seg.open_frames - frames <= spec.frames <= seg.open_frames):
                return spec.frames, "soft_length"
        return None

    def heard_past(self, frames: int) -> bool:
        """A text of the open utterance that heard past its first ``frames`` is still unread."""
        seg = self.segmenter
        return any(s.start == seg.open_start and s.frames > frames and s is not self._judged
                   for s in self.flight)

    def settle(self, utt: Utterance[Frame] | None) -> Speculation | None:
        """The speculation that holds all of ``utt`` (nothing but silence after its frames),
        or None; those still about the open utterance are kept, any other discarded."""
        attached = None
        for spec in (*self.candidates.all(), *self.flight):
            if (spec and utt and attached is None and utt.start == spec.start
                    and len(utt.payloads) >= spec.frames
                    and not any(f.is_speech for f in utt.payloads[spec.frames:])):
                attached = spec
            elif spec and self.segmenter.open_start != spec.start:
                spec.call.discard()  # its utterance was dropped or cut elsewhere
            else:
                continue
            if spec in self.flight:
                self._pop(spec)
            else:
                self.candidates.remove(spec)
        return attached

    def _pop(self, spec: Speculation | None = None) -> Speculation:
        """``spec`` (the oldest by default) leaves the flight, read or dropped; any after it
        are breaths."""
        spec = spec or self.flight[0]
        self.flight.remove(spec)
        if self.flight:
            self._breath, self._overdue = True, False
        return spec

    def drop(self) -> None:
        """The oldest in flight is discarded."""
        if self.flight:
            self._pop().call.discard()

    def drop_all(self) -> None:
        while self.flight:
            self.drop()
        self.candidates.clear()

    def _long(self, times: float = 1.0) -> bool:
        """The open utterance's speech before this pause is ``times`` ``long_s`` or longer:
        at once, speculate at breaths."""
        c = self.segmenter.config
        return self.segmenter.pause_start * c.frame_s >= times * c.long_s - 1e-9

    def _breathing(self) -> bool:
        """Speculate at every breath: long speech, and an engine quick enough for it; or,
        whatever the engine, speech twice that long, where no sentence end was found yet and
        a late one is better than waiting for the cut past ``soft_max_s``."""
        return self._long() and (self.budget.quick or self._long(2.0))

    def _boundary(self, language: str | None) -> BoundaryConfig:
        """The rules as delivery applies them, in the text's language: the end-mark rule only
        while the engine punctuates (bench/boundary.md: after an unpunctuated prompt tiny.en
        stops, and the rule would then hold every utterance)."""
        return boundary.in_effect(boundary.for_language(self.config, language),
                                  self.outlet.punctuates)

    def overtaken(self) -> int | None:
        """The frames of a pause that outlasted the hangover while its text was awaited, if
        that text is still not back when the next silent frame would end the utterance at a
        later pause: the silence decides the first pause, as it would have without
        speculation. Waiting on would make one utterance of all a slow engine's pauses."""
        spec, seg = self.pending, self.segmenter
        if (spec is None or not self._overdue or spec.call.done()
                or spec.start != seg.open_start or seg.pause_start <= spec.frames
                or not seg.ends_next):
            return None
        return spec.frames


def _language(call: EngineCall) -> str | None:
    """The language a finished call's text is in, as the engine said."""
    result = call.value()
    return None if result is None else result.language


def _text(call: EngineCall) -> str | None:
    """A finished call's text; None if it failed or was cancelled."""
    result = call.value()
    return None if result is None else result.text

