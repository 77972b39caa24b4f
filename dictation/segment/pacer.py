"""When to start transcribing an utterance before its end is certain (speculative endpointing)."""

from __future__ import annotations


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
