"""Turns a stream of classified frames into utterances: a pure, synchronous state machine.

It never sees audio, only ``(is_speech, level)`` per frame plus an opaque payload it hands back,
so tests drive it with booleans. "Is this frame speech?" is the VAD's job; "is the utterance
over?" is decided here.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Generic, TypeVar

from dictation.audio.levels import quietest_cut
from dictation.segment.tunables import SegmenterConfig

T = TypeVar("T")


@dataclass(frozen=True)
class Utterance(Generic[T]):
    """A finished utterance: payloads of consecutive frames starting at frame ``start``."""

    start: int
    payloads: tuple[T, ...]
    speech_frames: int
    reason: str  # "pause", "max_length", "flush", or what asked for a cut (Segmenter.cut)

    @property
    def end(self) -> int:
        return self.start + len(self.payloads)


@dataclass
class _Frame(Generic[T]):
    is_speech: bool
    level: float
    payload: T


class Segmenter(Generic[T]):
    """Feed one frame at a time with :meth:`push`; it returns an utterance when one ends."""

    def __init__(self, config: SegmenterConfig | None = None) -> None:
        self.config = c = config or SegmenterConfig()
        self._start_frames = c.frames(c.start_s) if c.start_s > 0 else 1
        self._pre: deque[_Frame[T]] = deque(maxlen=c.frames(c.pre_roll_s) + self._start_frames)
        self._frames: list[_Frame[T]] = []  # the open utterance; empty when idle
        self._start = 0  # frame index of self._frames[0]
        self._index = 0  # frames pushed so far
        self._run = 0  # consecutive speech frames while idle
        self._silence = 0  # trailing non-speech frames of the open utterance
        self.dropped = 0  # utterances under min_speech_s
        self.hold_s = 0.0
        """Extra silence the current pause needs before it ends the utterance, beyond the
        hangover: the endpointer holds a pause open while its text is unfinished or still
        unknown. It lasts for one pause: speech, or the end of the utterance, clears it."""
        self.listening = True
        """False between :meth:`close` and :meth:`open` (push-to-talk released, dictation
        stopped): frames only refill the pre-roll, and no utterance starts."""

    @property
    def active(self) -> bool:
        return bool(self._frames)

    @property
    def trailing_silence_s(self) -> float:
        return self._silence * self.config.frame_s

    @property
    def position(self) -> int:
        """Frames pushed so far: the index of the next one."""
        return self._index

    @property
    def open_start(self) -> int | None:
        """Frame index where the open utterance starts, None when idle."""
        return self._start if self._frames else None

    @property
    def open_speech(self) -> int | None:
        """Frame index of the open utterance's first speech frame, None when idle. It sits
        within the pre-roll of a new utterance, or at the start of what a cut left open."""
        first = next((i for i, f in enumerate(self._frames) if f.is_speech), None)
        return None if first is None else self._start + first

    @property
    def open_frames(self) -> int:
        """Length in frames of the open utterance so far; 0 when idle."""
        return len(self._frames)

    @property
    def pause_over(self) -> bool:
        """The current pause has lasted the hangover: without a hold it would have ended the
        open utterance."""
        return bool(self._silence) and self.trailing_silence_s >= self._hangover_s() - 1e-9

    @property
    def ends_next(self) -> bool:
        """One more silent frame ends the open utterance at this pause."""
        return bool(self._silence) and (self.trailing_silence_s + self.config.frame_s
                                        >= self._hangover_s() + self.hold_s - 1e-9)

    @property
    def pause_start(self) -> int:
        """Frames of the open utterance before its trailing silence: where the pause began."""
        return len(self._frames) - self._silence

    def so_far(self) -> tuple[T, ...] | None:
        """The open utterance's frames up to now, None when idle: what an interim
        transcription of the utterance in progress hears."""
        return tuple(f.payload for f in self._frames) if self._frames else None

    def if_silence_holds(self) -> tuple[T, ...] | None:
        """The exact utterance that ends at this pause if no speech comes before the hangover
        is over (its first half-pause included, as :meth:`push` will cut it), or None while
        the pause is still shorter than that half. Transcribing this early gives the very
        text the finished utterance would get."""
        if not self._frames or not self._silence:
            return None
        ending = math.ceil((self._hangover_s() - 1e-9) / self.config.frame_s)
        keep = len(self._frames) - self._silence + ending - ending // 2  # as _end_at_pause
        if keep > len(self._frames):
            return None
        return tuple(f.payload for f in self._frames[:keep])

    def at_breath(self) -> tuple[T, ...] | None:
        """The open utterance cut inside its current pause, however short, the pause shared as
        :meth:`push` shares one (its first half here); None when no pause is under way."""
        if not self._frames or not self._silence:
            return None
        return tuple(f.payload for f in self._frames[:len(self._frames) - self._silence // 2])

    def needed_silence_s(self, length_s: float) -> float:
        """Silence that ends an utterance of ``length_s``: shrinks as the utterance grows."""
        c = self.config
        grown = 1.0 if c.hangover_shrink_s == 0 else min(1.0, length_s / c.hangover_shrink_s)
        return c.hangover_max_s - (c.hangover_max_s - c.hangover_min_s) * grown

    def _hangover_s(self) -> float:
        """The silence that ends the open utterance, as long as it is so far."""
        return self.needed_silence_s(self.pause_start * self.config.frame_s)

    def push(self, is_speech: bool, level: float = 0.0, payload: T = None) -> Utterance[T] | None:
        frame = _Frame(is_speech, level, payload)
        self._index += 1
        if not self.listening:
            self._pre.append(frame)
            return None
        if not self._frames:
            return self._push_idle(frame)
        self._frames.append(frame)
        self._silence = 0 if is_speech else self._silence + 1
        if is_speech:
            self.hold_s = 0.0
        elif self.trailing_silence_s >= self._hangover_s() + self.hold_s - 1e-9:
            return self._end_at_pause()
        if len(self._frames) >= self.config.frames(self.config.max_utterance_s):
            return self.split("max_length")
        return None

    def cut(self, keep: int, reason: str) -> Utterance[T] | None:
        """End the open utterance after its first ``keep`` frames, now. Speech after them
        stays the open utterance; mere silence after them becomes pre-roll, as after a pause.
        Nothing is lost or heard twice: every frame is in the utterance or what follows."""
        frames, start = self._frames, self._start
        head, rest = frames[:keep], frames[keep:]
        self.hold_s = 0.0
        if any(f.is_speech for f in rest):
            self._frames, self._start = rest, start + keep
        else:
            self._frames, self._silence, self._run = [], 0, 0
            self._pre.clear()
            self._pre.extend(rest)
        return self._emit(start, head, reason)

    def split(self, reason: str) -> Utterance[T]:
        """Cut over-long speech at the quietest point of its last ``split_window_s`` (a frame
        the VAD called silence if there is one); the rest stays open."""
        frames = self._frames
        cut = quietest_cut([f.is_speech for f in frames], [f.level for f in frames],
                           self.config.frames(self.config.split_window_s))
        head, tail = frames[:cut], frames[cut:]
        start = self._start
        self._frames = tail
        self._start = start + cut
        return Utterance(start, tuple(f.payload for f in head),
                         sum(f.is_speech for f in head), reason)

    def flush(self, tail_s: float | None = None) -> Utterance[T] | None:
        """End of stream: hand back the open utterance if it holds enough speech, with at most
        ``tail_s`` of its trailing silence (all of it when None)."""
        if not self._frames:
            return None
        frames, self._frames = self._frames, []
        if tail_s is not None:
            tail = min(self._silence, round(tail_s / self.config.frame_s))
            frames = frames[:len(frames) - self._silence + tail]
        self._silence, self.hold_s = 0, 0.0
        self._pre.clear()
        return self._emit(self._start, frames, "flush")

    def open(self) -> None:
        """Start listening (push-to-talk pressed). Speech already under way in the pre-roll,
        said just before the press, opens the utterance at once and is kept."""
        if self.listening:
            return
        self.listening = True
        pre = list(self._pre)
        run = best = 0
        for f in pre:
            run = run + 1 if f.is_speech else 0
            best = max(best, run)
        if best >= self._start_frames:
            self._frames = pre
            self._start = self._index - len(pre)
            self._pre.clear()
            self._silence = len(pre) - max(i + 1 for i, f in enumerate(pre) if f.is_speech)
            self._run = 0
        else:
            self._run = run

    def close(self, tail_s: float) -> Utterance[T] | None:
        """Stop listening (push-to-talk released): the open utterance ends now, its trailing
        silence trimmed to ``tail_s``; nothing starts until :meth:`open`."""
        self.listening = False
        utt = self.flush(tail_s)
        self._run = 0
        return utt

    def cancel(self) -> None:
        """Forget the open utterance and the pre-roll."""
        self._frames, self._silence, self._run, self.hold_s = [], 0, 0, 0.0
        self._pre.clear()

    def _push_idle(self, frame: _Frame[T]) -> Utterance[T] | None:
        self._pre.append(frame)
        self._run = self._run + 1 if frame.is_speech else 0
        if self._run >= self._start_frames:
            self._frames = list(self._pre)
            self._start = self._index - len(self._frames)
            self._pre.clear()
            self._run = 0
            self._silence = 0
        return None

    def _end_at_pause(self) -> Utterance[T] | None:
        # The pause is shared: its first half closes this utterance, its second half becomes
        # pre-roll for the next one, so quick talkers lose nothing and nothing is sent twice.
        keep = len(self._frames) - self._silence // 2
        frames, rest = self._frames[:keep], self._frames[keep:]
        start = self._start
        self._frames, self._silence, self._run, self.hold_s = [], 0, 0, 0.0
        self._pre.clear()
        self._pre.extend(rest)
        return self._emit(start, frames, "pause")

    def _emit(self, start: int, frames: list[_Frame[T]], reason: str) -> Utterance[T] | None:
        speech = sum(f.is_speech for f in frames)
        if speech < self.config.frames(self.config.min_speech_s):
            self.dropped += 1
            return None
        return Utterance(start, tuple(f.payload for f in frames), speech, reason)
