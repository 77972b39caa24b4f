"""When to start transcribing an utterance before its end is certain (speculative endpointing):
after how long a pause, and whether the engine is quick enough for every breath of long
speech."""

from __future__ import annotations

import statistics
from collections import deque

BREATH_BUDGET_S = 1.0
"""Breaths of long speech are transcribed only while the engine answers within this (the median of
its last few answers): a breath's text still at the engine when the sentence ends would keep
that end waiting. The API here (faster-whisper-server on this machine) answers in about 0.7 s:
with a 0.5 s budget its breaths were transcribed only past 6 s of speech, and a monologue's
sentences waited for the cut past ``soft_max_s``. With 1.0 s, `bench/run.py --engines api
--cases calm monologue` (two runs each): monologue 2.90 and 2.95 s median against 4.98 s; calm
unchanged (stdout 1.43-1.46 s against 1.46 s, shown 0.90-0.93 s against 1.06 s). A slower
engine's breaths are transcribed only once the speech runs twice ``long_s`` (6 s), past most
sentences, rather than waiting for the cut past ``soft_max_s``. An engine that holds ``AHEAD``
breaths at once (a server) has ``AHEAD`` times this: there a slow answer keeps no breath
waiting."""
TRIPS_KEPT = 5
AHEAD = 2
"""Breaths at the engine at once, where it takes requests at once (a server; the local engine
decodes one at a time, so there a second would only queue behind the first, on staler
audio). With one, a breath at a sentence end found the engine busy with the breath before
it about half the time, and the end waited for the next text past it; each more one costs a
request per breath it takes. The budget above grows with it: a breath still out delays no
other."""
APART_S = 0.45
"""A breath goes beside another in flight only this much speech after it: a word or two past
a breath, Whisper writes the same text again (it leaves a word just begun out)."""


class SpeculationPacer:
    """How long an open utterance must be silent before it is transcribed speculatively.

    Every pause the speaker resumes after was a wasted transcription (and, with a paid API, a
    billed request); every pause that ended the utterance was worth starting early on. So the
    wait lengthens by half after each pause that was not the end, up to ``max_s``, and
    shortens by a third after each one that was, down to ``base_s``: a speaker or a noisy
    room that makes many short gaps costs few wasted transcriptions, clean pauses keep the
    early start.
    """

    def __init__(self, base_s: float, max_s: float) -> None:
        self.base_s = base_s
        self.max_s = max(base_s, max_s)
        self.wait_s = base_s

    def resumed(self) -> None:
        """Speech came back during a speculation: the pause was not the end."""
        self.wait_s = min(self.max_s, self.wait_s * 1.5)

    def ended(self) -> None:
        """An utterance ended at a pause."""
        self.wait_s = max(self.base_s, self.wait_s / 1.5)


class BreathBudget:
    """Is the engine quick enough to transcribe every breath of long speech? The median of
    its last ``TRIPS_KEPT`` answers within ``BREATH_BUDGET_S`` for each breath it may hold at
    once (``ahead``)."""

    def __init__(self, ahead: int = 1) -> None:
        self.ahead = ahead
        self._trips: deque[float] = deque(maxlen=TRIPS_KEPT)  # seconds to an answer

    def answered(self, elapsed_s: float) -> None:
        self._trips.append(elapsed_s)

    @property
    def quick(self) -> bool:
        return not self._trips or statistics.median(self._trips) <= BREATH_BUDGET_S * self.ahead
