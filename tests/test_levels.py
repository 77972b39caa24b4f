"""Levels measured as plain numbers (dictation/audio/levels.py): the quantile that stands in
for numpy's, so that a daemon never loads numpy.ma for it."""

from __future__ import annotations

import numpy as np
import pytest

from dictation.audio.levels import quantile


@pytest.mark.parametrize("n", [1, 2, 3, 10, 101, 480])
@pytest.mark.parametrize("q", [0.0, 0.5, 0.9, 1.0])
def test_quantile_is_numpys_linear_percentile(n: int, q: float) -> None:
    values = np.random.default_rng(n).uniform(0, 3000, n).tolist()
    assert quantile(values, q) == pytest.approx(float(np.percentile(values, 100 * q)))
