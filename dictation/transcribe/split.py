"""Utterances too large for a server (HTTP 413): where to halve them."""

from __future__ import annotations

import numpy as np

from dictation.audio.levels import quietest_cut
from dictation.audio.wav import SAMPLE_RATE

MIN_PIECE_S = 1.0
"""An utterance refused as too large (413) is halved down to pieces this long, no shorter."""


def split_point(pcm: np.ndarray, min_piece: int) -> int:
    """Sample index near the middle of ``pcm`` at its quietest 30 ms (the segmenter's own
    smoothed search), with at least ``min_piece`` samples on either side."""
    step = SAMPLE_RATE * 30 // 1000
    n = len(pcm) // step
    levels = np.sqrt(np.mean(pcm[:n * step].reshape(n, step).astype(np.float64) ** 2, axis=1))
    lo = max(-(-min_piece // step), n // 3)
    hi = max(lo + 1, min((len(pcm) - min_piece) // step, 2 * n // 3) + 1)
    cut = quietest_cut([False] * hi, [float(v) for v in levels[:hi]], hi - lo) * step
    return min(max(cut, min_piece), len(pcm) - min_piece)  # frames need not fit exactly
