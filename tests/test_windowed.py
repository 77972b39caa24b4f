"""The local engine's feature cache: the language detector and the decoding after it ask for
the same audio's features, which are computed once. Pure: a counting extractor stands in for
faster-whisper's, whose own use is covered by the real-model tests (test_local.py). Also the
short repetition loops a decode fails on."""

from __future__ import annotations

import numpy as np

from dictation.transcribe.windowed import _SameAudio, loops


class Counting:
    sampling_rate = 16000

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, waveform: np.ndarray, padding: int = 160,
                 chunk_length: int | None = None) -> np.ndarray:
        self.calls += 1
        return np.full((80, len(waveform) // 160 + padding // 160), self.calls, np.float32)


def test_one_audio_array_is_extracted_once() -> None:
    inner = Counting()
    features = _SameAudio(inner)
    audio = np.zeros(16000, np.float32)
    first = features(audio)
    assert features(audio) is first and inner.calls == 1  # detector, then decoding
    assert features(audio, chunk_length=None) is first  # a default given is the default
    # Equal samples in another array are another utterance's: computed anew.
    assert features(audio.copy()) is not first and inner.calls == 2
    # The same array asked otherwise is computed as asked.
    other = np.zeros(16000, np.float32)
    features(other)
    assert features(other, chunk_length=10) is not None and inner.calls == 4
    assert features(other, padding=0).shape[1] == 100 and inner.calls == 5
    assert features.sampling_rate == 16000  # what faster-whisper reads off the extractor


def test_a_short_repetition_loop_is_a_failed_decode() -> None:
    assert loops([7, 8, 9, 5, 5, 5, 5])  # one token four times running
    assert loops([3, 4, 1, 2, 1, 2, 1, 2, 1, 2])  # "S-S-S-S-": a cycle of two
    assert loops([1, 2, 3] * 4)
    assert not loops([1, 2, 1, 2, 1, 2])  # three times is a phrase said thrice
    assert not loops([5, 5, 5])
    assert not loops(list(range(20)))

