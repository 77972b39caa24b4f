"""A breath's text after a cut: what a decode heard past the sentence the cut took. Pure but
for the engine call it wraps.

Every breath is transcribed from the open utterance's start. When a confirmed candidate cuts
the utterance back, the breaths decoded past it (in flight, or candidates waiting) heard that
sentence and then the speech the open utterance now begins with. Thrown away, they cost
twice: a server decodes a request its client dropped all the same (it takes no cancel), so
the next breath waits behind it; and a sentence that ended while the candidate waited for
its confirmation was never read again, and waited for the cut past ``soft_max_s``. Where
such a text ends the cut sentence too (candidate.confirmed_at), its words after that end are
a text of the open utterance: read as any breath's text, and attached as a piece's text
with no request of its own. The decode heard the cut sentence, so that text holds whatever
the prompt (Speculation.prompt None).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from dictation.records import Speculation
from dictation.segment.candidate import confirmed_at
from dictation.text.sentences import after_words, words
from dictation.transcript import Segment, Transcript

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from dictation.audio.vad import Frame
    from dictation.records import EngineCall, Kind
    from dictation.segment.segmenter import Segmenter, Utterance

_UNREAD = object()


class Part:
    """An engine call (records.EngineCall) read as part of its text: ``derive`` makes it of
    the call's result (None: no such part)."""

    def __init__(self, call: EngineCall,
                 derive: Callable[[Transcript | None], Transcript | None]) -> None:
        self.call = call
        self._derive = derive
        self._value: Any = _UNREAD

    def done(self) -> bool:
        return self.call.done()

    def value(self) -> Transcript | None:
        if not self.call.done():
            return None
        if self._value is _UNREAD:  # once: the text is read at most AGREE_CHARS far
            self._value = self._derive(self.call.value())
        return self._value

    async def result(self) -> Transcript | None:
        await self.call.result()  # its error, if it failed
        return self.value()

    def promote(self, kind: Kind) -> None:
        self.call.promote(kind)

    def discard(self) -> None:
        self.call.discard()


def rest(result: Transcript | None, before: str, heard: int, more: int, shift_s: float
         ) -> Transcript | None:
    """``result`` past the sentence ``before`` ends, when it ends it (candidate.read), and
    not empty; its segments cut to match and moved ``shift_s`` earlier."""
    if result is None or (count := confirmed_at(before, result.text, heard, more)) is None:
        return None
    if not (text := after_words(result.text, count)):
        return None
    return replace(result, text=text, segments=_segments(result.segments, count, shift_s))


def _segments(segments: Sequence[Segment], count: int, shift_s: float
              ) -> tuple[Segment, ...]:
    """The segments past the first ``count`` words, the one that holds the end trimmed;
    none when they do not hold that many words (a server's text apart from its segments)."""
    kept: list[Segment] = []
    for seg in segments:
        n = len(words(seg.text))
        if count and n <= count:
            count -= n
            continue
        kept.append(replace(seg, text=after_words(seg.text, count) if count or not kept
                            else seg.text, start=max(0.0, seg.start - shift_s),
                            end=max(0.0, seg.end - shift_s)))
        count = 0
    return tuple(kept) if count == 0 else ()


def rebase(spec: Speculation, piece: Speculation, utt: Utterance[Frame],
           seg: Segmenter[Frame]) -> Speculation | None:
    """``spec``, a decode from ``utt``'s start, as one of ``seg``'s open utterance, left
    after ``utt`` was cut at ``piece``: None if nothing was left open, if it heard no further
    than the cut, or if its text does not end ``piece``'s sentence."""
    cut = len(utt.payloads)
    if (seg.open_start != utt.end or spec.start != utt.start or spec.frames <= cut
            or (done := piece.call.value()) is None):
        return None
    heard, more = utt.speech_frames, utt.speech_frames + seg.speech_in(spec.frames - cut)
    shift_s = cut * seg.config.frame_s
    call = Part(spec.call, lambda result: rest(result, done.text, heard, more, shift_s))
    if call.done() and call.value() is None:
        return None
    return Speculation(utt.end, spec.frames - cut, None, call)


def usable(spec: Speculation) -> bool:
    """Can ``spec`` be its utterance's text? A part of a text only once it is there."""
    return not isinstance(spec.call, Part) or spec.call.value() is not None
