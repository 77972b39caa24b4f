"""Joining a fragment with its continuation by sound: the newest piece's audio stays in memory
while the piece may still change, so that when it was a fragment (an incomplete sentence) the
next utterance is transcribed together with it, in one request, and the piece is revised to
the text of both. The model then hears the whole sentence and fixes words, not only the
period and the capital.

The audio of a joined piece is its utterances back to back, the pause between them cut down
to about a breath: with the whole pause in it, tiny.en wrote a comma or a period there
("I think we should, invite the whole team…"), the very break the join is to mend. ``spans``
maps a time in the audio back to capture time, for the segments.

A joint decode is in one language: a continuation the engine hears in another is not joined
(:func:`in_language`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

import numpy as np

from dictation.audio.wav import SAMPLE_RATE
from dictation.records import Heard, Speech
from dictation.transcribe import Segment

log = logging.getLogger("dictation")

JOIN_MAX_S = 25.0
"""Audio of a fragment and its continuation together at most this long: Whisper reads 30 s
windows, and the local engine pads short audio by 5 s."""
KEEP_AFTER_S = 0.15
"""Silence kept after the fragment's last speech frame: the end of its last word."""
KEEP_BEFORE_S = 0.2
"""Audio kept before the continuation's first speech frame: the voice detector lags a word's
onset by about 90 ms."""
JOIN_GAP_S = 5.0
"""The longest pause between a fragment's last word and its continuation's first that still
joins them: the silence that ended the fragment (a hangover and a hold, up to about 2 s) and
the join window after its delivery (deliver/finality.py). The window decides in live use, where
audio and wall clock run together; this decides for a file read at full speed."""


@dataclass(frozen=True)
class Held:
    speech: Speech
    """The piece's utterances as one: their audio back to back, times from the first one's
    start to the last one's end, ``seq`` the piece's."""
    spans: tuple[tuple[float, float], ...]
    """(seconds into the audio, capture time there), one per utterance."""
    complete: bool = False
    """Its text reads as a whole sentence: only speech after a thinking pause
    (boundary.rethinks) is heard together with it."""

    @classmethod
    def of(cls, item: Speech, complete: bool = False) -> Held | None:
        """The audio of a new piece, unless it cannot be joined to anything anyway."""
        if item.recovered or len(item.pcm) / SAMPLE_RATE > JOIN_MAX_S:
            return None  # a dead run's times, or too long to transcribe again with more
        return cls(replace(item, speculation=None, spooled=None), ((0.0, item.start_s),),
                   complete)

    @property
    def seq(self) -> int:
        return self.speech.seq

    def pause(self, start_s: float) -> float:
        """Seconds from this piece's last word to speech that began at ``start_s``."""
        return start_s - self.speech.speech_end_s

    def takes(self, item: Speech, rethinks: Callable[[float], bool]) -> bool:
        """Can ``item`` be transcribed together with this piece? ``rethinks``: is a pause
        this long a thinking pause (for a piece that reads complete)?"""
        pause = self.pause(item.speech_start_s)
        return (not item.recovered
                and (rethinks(pause) if self.complete else 0 <= pause <= JOIN_GAP_S)
                and (len(self.speech.pcm) + len(item.pcm)) / SAMPLE_RATE <= JOIN_MAX_S)

    def joined(self, item: Speech) -> Held:
        """This piece with ``item`` after it, the pause between cut down."""
        s = self.speech
        offset, capture = self.spans[-1]
        keep = round((offset + s.speech_end_s - capture + KEEP_AFTER_S) * SAMPLE_RATE)
        keep = max(0, min(len(s.pcm), keep))
        skip = round((item.speech_start_s - item.start_s - KEEP_BEFORE_S) * SAMPLE_RATE)
        skip = max(0, min(len(item.pcm), skip))
        share = (len(item.pcm) - skip) / max(1, keep + len(item.pcm) - skip)
        heard = Heard(max(s.heard.snr_db, item.heard.snr_db),
                      s.heard.speech_share * (1 - share) + item.heard.speech_share * share)
        speech = replace(s, pcm=np.concatenate([s.pcm[:keep], item.pcm[skip:]]),
                         end_s=item.end_s, speech_end_s=item.speech_end_s, heard=heard,
                         ended_at=item.ended_at)
        return Held(speech, (*self.spans, (keep / SAMPLE_RATE,
                                           item.start_s + skip / SAMPLE_RATE)),
                    self.complete)

    def left_out(self, item: Speech, words: int, text: str) -> bool:
        """Did ``text``, this piece (``words`` words) and ``item`` heard together, leave the
        continuation out? Given two stretches of speech with the pause between them cut
        short, tiny.en may write the first only; the continuation then goes alone rather
        than be lost. Expected: at least a word, and a quarter of the words its speech holds
        at the piece's own speaking rate (a rate is no count)."""
        s = self.speech
        rate = words / max(s.speech_end_s - s.speech_start_s, 0.5)
        added = len(text.split()) - words
        return added < max(1.0, 0.25 * rate * (item.speech_end_s - item.speech_start_s))

    def request(self, item: Speech) -> Speech:
        """What is sent: ``item`` (its number, its clock) with this audio and its measures;
        no words to put back before it (text/carry.py): this audio holds the piece before."""
        return replace(item, pcm=self.speech.pcm, heard=self.speech.heard, speculation=None,
                       opening=())

    def timed(self, segments: tuple[Segment, ...]) -> tuple[Segment, ...]:
        """Segments of this audio, timed from the piece's start in capture time."""
        return tuple(replace(s, start=self._at(s.start), end=self._at(s.end)) for s in segments)

    def _at(self, t: float) -> float:
        offset, capture = self.spans[0]
        for o, c in self.spans:  # the utterance that time is in
            if o <= t:
                offset, capture = o, c
        return capture + t - offset - self.speech.start_s


async def in_language(language: str | None, held: Held, item: Speech,
                      heard: Callable[[np.ndarray, str | None], Awaitable[tuple[str, ...]]]
                      ) -> bool:
    """May ``item`` be heard together with ``held``, a fragment in ``language``? A joint
    decode is in one language, the fragment's: a continuation that the engine (``heard``:
    Detector.languages_of) would not decode in it, neither its detector's pick nor, when
    unsure, its runner-up, is another language's, and joined, its words came out in the
    fragment's language or translated (or the fragment's in its). It goes alone then, and
    the fragment stays as it was. Asked of the continuation's own audio: read from the
    joint audio's encoding, a continuation's language leaned to the fragment's (a Spanish
    one, 0.95 Spanish alone, was 0.63 French after a French fragment)."""
    if language is None:
        return True
    languages = await heard(item.pcm, language)
    if not languages or language in languages:
        return True
    log.debug("utterance %d: in %s, not joined to utterance %d in %s", item.seq,
              "/".join(languages), held.seq, language)
    return False
