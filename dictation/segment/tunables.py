"""The segmenter's tunables (segmenter.py): how much speech opens an utterance, how much
silence ends one, and where over-long speech is cut. Each is a field with its reason."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SegmenterConfig:
    frame_s: float = 0.03
    """Length of one frame (webrtcvad: 10, 20 or 30 ms)."""
    pre_roll_s: float = 0.5
    """Audio kept from before speech is detected, so the first word is never clipped."""
    start_s: float = 0.06
    """Consecutive speech that opens an utterance; shorter blips stay in the pre-roll."""
    min_speech_s: float = 0.25
    """An utterance with less speech than this in total is dropped (clicks, coughs)."""
    hangover_max_s: float = 0.7
    """Silence that ends a just-started utterance: a short command may be a pause to think."""
    hangover_min_s: float = 0.24
    """Silence that ends a long run of speech: the next breath pause."""
    hangover_shrink_s: float = 2.5
    """Utterance length at which the needed silence has shrunk from max to min (linearly)."""
    max_utterance_s: float = 30.0
    """Longer speech is split at the quietest point of the last ``split_window_s``."""
    split_window_s: float = 3.0
    """How far back from the length limit to look for the quietest point."""
    long_s: float = 3.0
    """With speculation on: past this much speech, every breath is transcribed to find where
    a sentence ended (sentences run 2-5 s)."""
    breath_s: float = 0.03
    """The least pause of long speech transcribed: one frame, all a fast talker leaves
    between sentences."""
    soft_max_s: float = 10.0
    """With speculation on: longer speech with no sentence end found is cut at its quietest
    point, long before ``max_utterance_s``; 0 = off. Files read at full speed don't cut."""

    def __post_init__(self) -> None:
        checks = [
            (self.frame_s > 0, "frame length must be positive"),
            (self.pre_roll_s >= 0, "pre-roll must be ≥ 0"),
            (self.start_s >= 0, "start must be ≥ 0"),
            (self.min_speech_s >= 0, "min speech must be ≥ 0"),
            (0 < self.hangover_min_s <= self.hangover_max_s,
             "hangover needs 0 < min ≤ max"),
            (self.hangover_shrink_s >= 0, "hangover shrink must be ≥ 0"),
            (self.max_utterance_s >= 2 * self.split_window_s > 0,
             "max utterance must be at least twice the split window"),
            (self.long_s >= 0, "long must be ≥ 0"),
            (self.breath_s > 0, "breath must be positive"),
            (self.soft_max_s == 0 or self.soft_max_s >= 2 * self.split_window_s,
             "soft max must be 0 or at least twice the split window"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)

    def frames(self, seconds: float) -> int:
        return max(1, round(seconds / self.frame_s))
