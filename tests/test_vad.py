"""webrtcvad framing, and the VAD + segmenter on real generated speech and noise."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from dictation.audio.codec import read_wav
from dictation.audio.vad import Framer, Vad
from dictation.segment.segmenter import Segmenter


def test_framer_emits_exact_frames_and_keeps_the_leftover() -> None:
    framer = Framer(30)
    data = np.arange(1000, dtype=np.int16)
    got = list(framer.push(data[:700])) + list(framer.push(data[700:]))
    assert [len(f) for f in got] == [480, 480]
    assert np.array_equal(np.concatenate(got), data[:960])
    tail = framer.flush()
    assert tail is not None and len(tail) == 480
    assert np.array_equal(tail[:40], data[960:]) and not tail[40:].any()
    assert framer.flush() is None


@pytest.mark.parametrize("ms", [10, 20, 30])
def test_framer_sizes(ms: int) -> None:
    framer = Framer(ms)
    assert [len(f) for f in framer.push(np.zeros(16 * ms * 3, np.int16))] == [16 * ms] * 3


def test_framer_rejects_sizes_webrtcvad_cannot_take() -> None:
    with pytest.raises(ValueError):
        Framer(25)


def speech_share(pcm: np.ndarray, aggressiveness: int = 3) -> float:
    frames = list(Vad(aggressiveness).push(pcm))
    return sum(f.is_speech for f in frames) / len(frames)


def test_vad_hears_real_speech(say: Callable[..., Path]) -> None:
    pcm = read_wav(say("Please schedule the meeting for Tuesday afternoon.", pad=(0, 0)))
    assert speech_share(pcm) > 0.6


def test_vad_ignores_silence_and_most_noise() -> None:
    rng = np.random.default_rng(1)
    silence = np.zeros(16000 * 5, np.int16)
    assert speech_share(silence) == 0
    hiss = (rng.normal(0, 300, 16000 * 10)).astype(np.int16)  # steady fan-like noise
    assert speech_share(hiss) < 0.2


def run_segmenter(pcm: np.ndarray) -> list:
    vad, seg = Vad(3), Segmenter()
    out = [u for f in vad.push(pcm) if (u := seg.push(f.is_speech, f.level, f.pcm))]
    if (u := seg.flush()) is not None:
        out.append(u)
    return out


def test_two_spoken_sentences_become_two_utterances(say: Callable[..., Path],
                                                    join: Callable[..., Path]) -> None:
    a = say("The library opens at nine in the morning.", pad=(0.5, 1.5))
    b = say("Bring your card to borrow up to ten books.", voice="en-us", pad=(0, 1.0))
    pcm = read_wav(join(a, b))
    out = run_segmenter(pcm)
    assert len(out) == 2
    # Nothing of the speech is outside the utterances: the lost audio is near-silent.
    kept = np.zeros(len(pcm), bool)
    for u in out:
        kept[u.start * 480:u.end * 480] = True
    assert np.abs(pcm[~kept].astype(np.int32)).max() < 1000


def test_noise_alone_yields_no_utterance() -> None:
    rng = np.random.default_rng(7)
    pink = np.cumsum(rng.normal(0, 1, 16000 * 20))
    pink = pink - np.convolve(pink, np.ones(400) / 400, mode="same")  # keep it zero-mean
    noise = (pink / np.abs(pink).max() * 2000).astype(np.int16)
    assert run_segmenter(noise) == []


def test_silence_after_speech_is_called_at_once(say: Callable[..., Path]) -> None:
    # webrtcvad alone keeps calling ~90 ms of silence "speech" after a word; the level check
    # must end speech on the first silent frame so endpoints are not late.
    speech = read_wav(say("Good morning everyone.", pad=(0, 0)))
    levels = [np.abs(speech[i:i + 480]).mean() for i in range(0, len(speech) - 480, 480)]
    loudest = int(np.argmax(levels))
    speech = speech[: (loudest + 1) * 480]  # stop abruptly in the loudest frame
    pcm = np.concatenate([speech, np.zeros(480 * 20, np.int16)])
    frames = list(Vad(3).push(pcm))
    tail = frames[len(speech) // 480:]
    assert not any(f.is_speech for f in tail)
    raw = list(Vad(3, quiet_ratio=0.0, floor_ratio=0.0).push(pcm))[len(speech) // 480:]
    assert raw[0].is_speech  # the lag the level check removes is real


def test_steady_noise_after_a_change_is_not_speech_for_long() -> None:
    # webrtcvad alone calls steady pink noise speech almost throughout; the background
    # tracker must learn it within a few seconds.
    rng = np.random.default_rng(11)
    white = rng.normal(0, 1000, 16000 * 10)
    pink = np.cumsum(rng.normal(0, 1, 16000 * 20))
    pink -= np.convolve(pink, np.ones(64) / 64, mode="same")
    pink *= 1000 / pink.std()
    pcm = np.concatenate([white, pink]).astype(np.int16)
    raw = list(Vad(3, quiet_ratio=0.0, floor_ratio=0.0).push(pcm))
    gated = list(Vad(3).push(pcm))
    late = slice(len(raw) // 2, None)  # from 15 s: 5 s into the pink noise
    assert np.mean([f.is_speech for f in raw[late]]) > 0.5
    assert np.mean([f.is_speech for f in gated[late]]) < 0.05
