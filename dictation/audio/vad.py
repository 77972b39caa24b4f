"""Voice-activity detection on exact webrtcvad frames.

webrtcvad only accepts 10, 20 or 30 ms of 16-bit mono PCM at 8/16/32/48 kHz. Audio arrives in
whatever block sizes the source delivers, so the framer cuts exact frames and keeps the leftover
for the next block instead of padding or dropping it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import webrtcvad

from dictation.audio.wav import SAMPLE_RATE


@dataclass(frozen=True, slots=True)
class Frame:
    """One VAD frame: its PCM, whether it holds speech, and its RMS level (for split points)."""

    pcm: np.ndarray  # int16, exactly frame_samples long
    is_speech: bool
    level: float
    floor: float = 0.0  # background level when the frame was heard


class Framer:
    """Cuts a stream of int16 blocks into exact frames, keeping the remainder."""

    def __init__(self, frame_ms: int = 30) -> None:
        if frame_ms not in (10, 20, 30):
            raise ValueError("webrtcvad frames must be 10, 20 or 30 ms")
        self.frame_samples = SAMPLE_RATE * frame_ms // 1000
        self._pending = np.zeros(0, dtype=np.int16)

    def push(self, block: np.ndarray) -> Iterator[np.ndarray]:
        data = np.concatenate((self._pending, block)) if self._pending.size else block
        n = self.frame_samples
        whole = len(data) // n * n
        for start in range(0, whole, n):
            yield data[start:start + n]
        self._pending = data[whole:].copy()

    def flush(self) -> np.ndarray | None:
        """The leftover shorter than a frame, zero-padded, so the tail of a file is not lost."""
        if not self._pending.size:
            return None
        frame = np.zeros(self.frame_samples, dtype=np.int16)
        frame[: self._pending.size] = self._pending
        self._pending = np.zeros(0, dtype=np.int16)
        return frame


class Vad:
    """Classifies frames with webrtcvad (aggressiveness 0 = permissive … 3 = strict).

    webrtcvad keeps calling frames speech for ~90 ms after speech stops (its own hangover).
    A frame far quieter than the speech just heard (``quiet_ratio`` of its running level,
    -30 dB by default) is plainly not speech, so it is called silence at once; that takes
    the lag off every endpoint in a quiet room and changes nothing in a noisy one.

    webrtcvad also calls steady noise (a fan, pink noise) speech, and Whisper then invents
    text for it. A frame must rise ``floor_ratio`` (3.5 dB) above the background level, tracked
    as a minimum that follows every dip at once and creeps up 6 dB a second, to be speech.
    """

    def __init__(self, aggressiveness: int = 3, frame_ms: int = 30,
                 quiet_ratio: float = 0.03, floor_ratio: float = 1.5) -> None:
        if not 0 <= aggressiveness <= 3:
            raise ValueError("VAD aggressiveness must be 0-3")
        self._vad = webrtcvad.Vad(aggressiveness)
        self._framer = Framer(frame_ms)
        self.frame_s = frame_ms / 1000
        self._quiet_ratio = quiet_ratio
        self._speech_level = 0.0  # running RMS of recent speech frames
        self._floor_ratio = floor_ratio
        self._floor: float | None = None  # background level: follows dips at once, rises slowly
        self._rise = 10 ** (6 / 20 * frame_ms / 1000)  # +6 dB a second

    def _classify(self, pcm: np.ndarray) -> Frame:
        x = pcm.astype(np.float32)
        level = math.sqrt(float(x @ x) / len(x))  # RMS; a quarter of np.mean's time
        speech = self._vad.is_speech(pcm.tobytes(), SAMPLE_RATE)
        floor = level if self._floor is None else min(level, self._floor * self._rise)
        self._floor = max(floor, 1.0)
        if speech:
            if (level < self._speech_level * self._quiet_ratio
                    or level < self._floor * self._floor_ratio):
                speech = False
            else:
                self._speech_level += 0.05 * (level - self._speech_level)  # ~0.6 s memory
        return Frame(pcm, speech, level, self._floor)

    def push(self, block: np.ndarray) -> Iterator[Frame]:
        for pcm in self._framer.push(block):
            yield self._classify(pcm)

    def flush(self) -> Iterator[Frame]:
        pcm = self._framer.flush()
        if pcm is not None:
            yield self._classify(pcm)

