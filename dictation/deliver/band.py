"""The thinking-pause band after the newest piece when it reads as a whole sentence: Whisper
ends fragments with a period too, so speech that begins inside the band
(``BoundaryConfig.rethink_s``, from the piece's last word) is heard together with the piece,
and speech that begins outside makes it final (deliver/finality.py decides, from this).

The band is counted in the audio heard, so a loaded machine that hears late does not cut the
pause short, and at most ``RETHINK_CAP_S`` longer by the clock (a device that stops
delivering audio)."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dictation.deliver.host import Worker
    from dictation.deliver.join import Held
    from dictation.text.stage import TextStage

RETHINK_CAP_S = 3.0
"""The most the audio heard may lag the wall clock before a sentence is final without it."""
HEARD_LAG_S = 0.25
"""How long after a word is spoken the endpointer may report it (capture blocks, the VAD's
opening run): a piece's window waits this much past the band, so that speech begun within
the band is heard (and waited for) before the window closes."""


class Band:
    def __init__(self, stage: TextStage, worker: Worker) -> None:
        self.stage = stage
        self._worker = worker
        # First words of the utterances begun after the newest piece's last word: no more
        # than the utterances waiting (the spool's bound caps those).
        self._starts: deque[float] = deque()
        self._until = 0.0  # wall clock: the audio may stop coming (a lost device)
        self._band_s = 0.0  # the band's end after the newest sentence's last word

    def began(self, start_s: float) -> None:
        """An utterance began, its first word at ``start_s``."""
        self._starts.append(start_s)

    def opens(self, piece: str, held: Held | None) -> tuple[Held | None, float | None]:
        """The audio of ``piece``, which reads complete, to keep while speech after a
        thinking pause may still be joined to it, and for how long; (None, None): it is final
        now (the band is off, or the next utterance began outside it already)."""
        if held is None or not (band := self.stage.rethink_s(piece)):
            return None, None
        held = replace(held, complete=True)
        start = self.next_start(held)
        if start is not None and not self.stage.rethinks(held.pause(start)):
            return None, None  # the next utterance had begun already, outside the band
        window = max(0.0, band + HEARD_LAG_S - held.speech.since_last_word())
        self._until = time.monotonic() + window + RETHINK_CAP_S
        self._band_s = band
        return held, window

    def inside(self, held: Held | None) -> bool:
        """Is the newest piece, a sentence (``held``), still within the band by the audio
        heard? Only the first look is wall-clock time (the window)."""
        if held is None or not held.complete or time.monotonic() > self._until:
            return False
        return self._worker.heard_s < held.speech.speech_end_s + self._band_s + HEARD_LAG_S

    def next_start(self, held: Held) -> float | None:
        """When the first utterance after ``held`` began, if one did."""
        self.forget(held.speech.speech_end_s)
        return self._starts[0] if self._starts else None

    def forget(self, before_s: float) -> None:
        """Pieces come in order: starts before the newest one's last word are not needed."""
        while self._starts and self._starts[0] <= before_s:
            self._starts.popleft()
