"""Levels of classified frames, as plain numbers: the input level a screen shows, how far an
utterance's speech stood above the background, and where in a run of frames it is quietest.

Pure and synchronous: the segmenter splits an over-long utterance here, and the API engine an
utterance a server refused as too large, from the same (is_speech, level) sequences.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from dictation.records import Heard

if TYPE_CHECKING:
    from dictation.audio.vad import Frame


def dbfs(frames: Sequence[Frame]) -> float:
    """The frames' RMS level in dB full scale, from the levels the VAD already measured;
    -120 for digital silence."""
    # Plain floats: a block's three frames are far cheaper here than through numpy.
    rms = math.sqrt(sum(f.level ** 2 for f in frames) / len(frames)) / 32768
    return max(-120.0, 20 * math.log10(max(rms, 1e-6)))


def quantile(values: Sequence[float], q: float) -> float:
    """numpy's default (linear) quantile of plain floats. numpy's median would load numpy.ma
    (1.2 MB, and 25 ms on the loop the first time) for a few hundred numbers."""
    s = sorted(values)
    pos = (len(s) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def snr_db(frames: Sequence[Frame]) -> float:
    """How far the loud part of an utterance's speech rose above the background."""
    speech = [f.level for f in frames if f.is_speech] or [f.level for f in frames]
    floor = max(1.0, quantile([f.floor for f in frames], 0.5))
    return 20 * math.log10(max(1.0, quantile(speech, 0.9)) / floor)


def measure(frames: Sequence[Frame]) -> Heard:
    """What the VAD heard of an utterance: its speech above the background, and how much of
    it was speech."""
    share = sum(f.is_speech for f in frames) / len(frames) if frames else 0.0
    return Heard(snr_db(frames) if frames else 0.0, share)


def quietest_cut(speech: Sequence[bool], levels: Sequence[float], window: int) -> int:
    """Index to split a run of frames at (``speech[i]``: the VAD called frame i speech,
    ``levels[i]``: its RMS level): the quietest point of the last ``window`` frames.

    Loudness is smoothed over 5 frames so a stop consonant inside a word does not look like a
    gap; frames the VAD called non-speech are preferred over any speech frame.
    """
    n = len(levels)
    lo = max(1, n - window)
    best, best_key = n - 1, (True, float("inf"))
    for i in range(lo, n):
        near = levels[max(0, i - 2): i + 3]
        smooth = sum(near) / len(near)
        key = (speech[i], smooth)
        if key <= best_key:  # ties go to the later frame: less audio carried over
            best, best_key = i, key
    return best
