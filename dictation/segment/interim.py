"""Interim results: provisional text of the utterance still being spoken, for captions.

Every ``every_s`` of audio the open utterance's audio so far is transcribed with the prompt
its final will get. Finals come first: an interim starts only while the delivery worker and
speculation are idle, a tick is skipped while the previous interim is still running, and the
interim in flight is cancelled (its text never shown) the moment its utterance is queued for
delivery. An interim is never used as a final's text.

Stability follows the local-agreement policy: the words two consecutive interims of an
utterance agree on from the start are ``stable``; later audio rarely changes them.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from dictation.audio.levels import measure
from dictation.errors import DictationError
from dictation.logtext import Said
from dictation.records import Interim, Kind
from dictation.text.guard import GuardConfig, judge
from dictation.text.revise import shared_words
from dictation.text.verdict import Verdict

if TYPE_CHECKING:
    from dictation.audio.vad import Frame
    from dictation.segment.segmenter import Segmenter
    from dictation.transcribe.scheduler import Call, Scheduler
    from dictation.transcript import Hint, Transcript

log = logging.getLogger("dictation")

_NOT_WORD = re.compile(r"[\W_]+")


def _key(word: str) -> str:
    """A word as compared between interims: case and punctuation do not count."""
    return _NOT_WORD.sub("", word.casefold()) or word


def agreed_prefix(previous: str, current: str) -> str:
    """The longest common word prefix of two interims, in ``current``'s spelling."""
    new = current.split()
    return " ".join(new[:shared_words(previous.split(), new, _key)])


class Interims:
    """Interim transcriptions of the open utterance; the pipeline calls :meth:`tick` after
    each frame and :meth:`queued` when an utterance goes to delivery."""

    def __init__(self, every_s: float, frame_s: float, engine: Scheduler,
                 guard: GuardConfig, emit: Callable[[Interim], None]) -> None:
        self.every = max(1, round(every_s / frame_s))
        self.frame_s = frame_s
        self.engine = engine
        self.guard = guard
        self._emit = emit
        self._start: int | None = None  # frame index of the utterance being followed
        self._at = 0  # its length in frames when the last interim started (or it opened)
        self._last = ""  # the previous interim's text of that utterance
        self._shown: tuple[int, float, float] | None = None  # (seq, start_s, end_s) on screen
        self._call: Call | None = None
        self._took_s = 0.0  # how long the last interim took the engine
        self._tasks: set[asyncio.Task[None]] = set()  # speculations' texts being judged
        self._rest: int | None = None  # the start of what a cut left open

    def _every(self) -> int:
        """Frames between interims: ``every_s``, or twice what the last one took, for an
        engine slower than that (a larger model), whose interims would otherwise keep it
        busy when a final comes."""
        slow = round(2 * self._took_s / self.frame_s)
        return max(self.every, slow)

    @property
    def running(self) -> bool:
        return self._call is not None and not self._call.done()

    def tick(self, seq: int, seg: Segmenter[Frame], idle: bool,
             prompt: Callable[[], str], hint: Callable[[], Hint | None] = lambda: None
             ) -> None:
        """After a frame: ``seq`` is the number the open utterance of ``seg`` will carry;
        ``idle``: no final or speculation waits for the engine."""
        start, length = seg.open_start, seg.open_frames
        if start != self._start:
            self.dropped()  # a followed utterance that was queued is forgotten already
        if start is None:
            return
        if start != self._start:  # the first interim comes ``every_s`` after speech began
            # The rest of an utterance cut in long speech is speech already: at once.
            at = 0 if start == self._rest else length
            self._start, self._at, self._last = start, at, ""
        if length - self._at < self._every() or seg.trailing_silence_s > 0:
            # Not during a pause: the utterance may be about to end, and a decode under way
            # then holds up the text of the one that matters, its final.
            return
        self._at = length  # busy now: this tick is skipped, not postponed
        if self.running or not idle or (frames := seg.so_far()) is None:
            return
        pcm = np.concatenate([f.pcm for f in frames])
        text = prompt()

        def judged(result: Transcript) -> Awaitable[tuple[Transcript, Verdict]]:
            return self._judged(result, text, frames)

        call = self._call = self.engine.start(Kind.INTERIM, pcm, text, after=judged,
                                              hint=hint())
        end = start + len(frames)
        call.then(lambda c: self._show(c, seq, start, end))

    def heard(self, seq: int, start: int, frames: Sequence[Frame], prompt: str,
              result: Transcript) -> None:
        """A decode of the open utterance's first ``frames``, made for another reason (a
        speculation at a breath), with ``prompt``: it counts as an interim, at no cost."""
        if start != self._start or not frames:
            return

        async def shown() -> None:
            result_, verdict = await self._judged(result, prompt, frames)
            if self._start == start:  # not queued or dropped meanwhile
                self._present(seq, start, start + len(frames), result_, verdict)

        task = asyncio.create_task(shown())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _judged(self, result: Transcript, prompt: str, frames: Sequence[Frame]
                      ) -> tuple[Transcript, Verdict]:
        # Off the loop: the guard's work grows with the answer.
        return result, await asyncio.to_thread(
            judge, result.text, prompt, measure(frames), result.segments, self.guard,
            len(frames) * self.frame_s, frozenset(), result.language)

    def queued(self, rest: int | None = None) -> None:
        """An utterance went to delivery: its interim in flight is never shown. ``rest``:
        where the speech that goes on begins, when it was cut in long speech."""
        self.cancel()
        self._start, self._shown, self._rest = None, None, rest

    def cancel(self) -> None:
        """Stop the interim in flight, if any; e.g. a final or speculation needs the engine."""
        if self._call is not None:
            self._call.discard()
        self._call = None

    def dropped(self) -> None:
        """The utterance followed ended without being queued (too little speech, noise,
        cancelled): an interim on screen is withdrawn with an empty one."""
        self.cancel()
        if self._shown is not None:
            seq, start_s, end_s = self._shown
            self._emit(Interim(seq, "", "", start_s, end_s))
        self._start, self._shown = None, None

    def _show(self, call: Call, seq: int, start: int, end: int) -> None:
        """An interim's text is back (judged): shown, unless its utterance was queued or
        dropped meanwhile."""
        if call is self._call:
            self._call = None
        if call.elapsed_s is not None:
            self._took_s = call.elapsed_s
        if call.discarded or call.task.cancelled() or self._start != start:
            return
        if (err := call.task.exception()) is not None:
            if not isinstance(err, DictationError):
                raise err  # a bug: reported by the loop, as any
            log.debug("interim %d: %s", seq, err)  # the final's request reports failures
            return
        self._present(seq, start, end, *call.value())

    def _present(self, seq: int, start: int, end: int, result: Transcript, verdict: Verdict
                 ) -> None:
        if not verdict.text or verdict.reason:
            log.debug("interim %d: dropped %s: %s", seq, Said(result.text),
                      verdict.reason or "empty")
            return
        text = verdict.text
        stable, self._last = agreed_prefix(self._last, text), text
        event = Interim(seq, text, stable, start * self.frame_s, end * self.frame_s)
        self._shown = (seq, event.start_s, event.end_s)
        log.debug("interim %d: %.2f-%.2f s: %s (stable %s)", seq, event.start_s, event.end_s,
                  Said(text), Said(stable))
        self._emit(event)
