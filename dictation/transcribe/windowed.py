"""Whisper as the local engine runs it: encoded over a window that fits the utterance, each
utterance's features and encoding computed once, though the language detector and the
decodings after it all ask for them, a decode's tokens bounded by its audio, and the quality
checks a decode fails.

Short audio is encoded with a short window. Whisper pads every input to 30 s and its encoder
cost follows the window, not the speech: on two cores tiny.en spends ~0.47 s encoding a 3 s
utterance padded to 30 s and ~0.07 s on a 10 s window. CTranslate2 accepts the shorter input.
The model needs silence after the speech to know it is over: with 1 s it often repeated
itself to the token limit, with 5 s (and a 10 s minimum) it transcribed 6-25 s monologue
clips as the full window does, faster.
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

log = logging.getLogger("dictation")

FULL_WINDOW_FRAMES = 3000  # Whisper's 30 s of 10 ms mel frames
MIN_WINDOW_FRAMES = 1000  # 10 s
WINDOW_MARGIN_FRAMES = 500  # 5 s of silence after the audio: with 1 s the model loops

TOKENS_PER_S = 20
"""Tokens a second of speech can need, generously: English runs about 4 characters a token
and the fastest speech measured 33 characters a second (guard.py); scripts with more tokens
per character are spoken with fewer characters."""
TOKEN_SLACK = 24  # a short answer's punctuation, timestamps and language tokens
SAFE_NEW_TOKENS = 220
"""Whisper's 448-token context less the longest prompt faster-whisper builds (223 tokens of
text before it and the start tokens): more would be refused."""


COMPRESSION_LIMIT = 2.4  # faster-whisper's thresholds for a failed decode
LOGPROB_FLOOR = -1.0
LOOP_REPEATS = 4
"""A decode whose last token, or cycle of two or three, comes this many times running is
a repetition loop, however short. Whisper's own check, the text's zlib compression ratio
above 2.4, misses a short one: "D-D-E-H-U-H-T-O-K-D-F-S-S-S-S-S-S-S-S-" (base, a German
sentence decoded as English) is 1.27, and its mean log probability (-0.59) beat the German
text's."""


def loops(tokens: Sequence[int], repeats: int = LOOP_REPEATS) -> bool:
    """Whether ``tokens`` end in one token, or a cycle of two or three, ``repeats`` times
    over."""
    for period in (1, 2, 3):
        n = period * repeats
        if len(tokens) >= n and all(tokens[-i - 1] == tokens[-i - 1 - period]
                                    for i in range(n - period)):
            return True
    return False


def window_frames(samples: int, full: bool, rate: int = 16_000) -> int:
    """The window (mel frames) to encode ``samples`` of audio over: the audio and a margin
    of silence, or Whisper's full 30 s when ``full``."""
    needed = samples * 100 // rate + 1 + WINDOW_MARGIN_FRAMES
    return FULL_WINDOW_FRAMES if full else min(FULL_WINDOW_FRAMES,
                                               max(MIN_WINDOW_FRAMES, needed))


def failed(segment: Any) -> bool:
    """Whether a decoded segment fails Whisper's quality checks on audio that is speech (a
    repetition loop or an unlikely text), with :func:`loops` for the short loops."""
    return (segment.compression_ratio > COMPRESSION_LIMIT or loops(segment.tokens)
            or (segment.avg_logprob < LOGPROB_FLOOR and segment.no_speech_prob < 0.6))


def token_limit(audio_s: float) -> int | None:
    """The most tokens one window's decode of ``audio_s`` seconds may write (None: the
    model's own limit, for audio long enough to need it). A decoding loop otherwise runs to
    the context's end, seconds on base over a short utterance, and a final waits behind it:
    the work stays bounded by the audio."""
    limit = int(TOKENS_PER_S * audio_s) + TOKEN_SLACK
    return limit if limit < SAFE_NEW_TOKENS else None


class _SameAudio:
    """A feature extractor that remembers its last audio's features: the language detector
    and the decoding after it ask for the same array's (about 15 ms a short utterance)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._signature = inspect.signature(inner)
        self._last: tuple[np.ndarray, tuple[object, ...], np.ndarray] | None = None

    def __getattr__(self, name: str) -> Any:  # its frame sizes, sampling rate…
        return getattr(self._inner, name)

    def __call__(self, waveform: np.ndarray, *args: object, **kw: object) -> np.ndarray:
        # The arguments as the extractor reads them: a default given or left out is the same.
        bound = self._signature.bind(waveform, *args, **kw)
        bound.apply_defaults()
        key = tuple((k, v) for k, v in bound.arguments.items() if v is not waveform)
        if self._last is not None and self._last[0] is waveform and self._last[1] == key:
            return self._last[2]
        out = self._inner(waveform, *args, **kw)
        self._last = (waveform, key, out)  # held, so the array's identity is not reused
        return out


def load(path: str, device: str, compute: str, threads: int) -> Any:
    """faster-whisper's model from ``path``; set ``window`` (mel frames) before each use."""
    from faster_whisper import WhisperModel

    class Model(WhisperModel):
        window = FULL_WINDOW_FRAMES

        last: tuple[np.ndarray, Any] | None = None

        def encode(self, features: np.ndarray) -> Any:
            # faster-whisper pads to 30 s before calling this; only the window is encoded.
            if features.shape[-1] > self.window:
                features = np.ascontiguousarray(features[..., : self.window])
            # The detector and the decoding read the same window: encoded once (it is most
            # of a short utterance's cost).
            if self.last is not None and np.array_equal(self.last[0], features):
                return self.last[1]
            out = super().encode(features)
            self.last = (features, out)
            return out

    model = Model(path, device=device, compute_type=compute, cpu_threads=threads)
    model.feature_extractor = _SameAudio(model.feature_extractor)
    return model


def language_probs(model: Any, audio: np.ndarray, window: int) -> list[tuple[str, float]]:
    """The detector's (code, probability) for ``audio`` encoded over ``window`` frames; the
    features and the encoding are kept for the decoding that follows."""
    from faster_whisper.audio import pad_or_trim

    model.window = window
    features = model.feature_extractor(audio)
    # As the decoding will slice them (its last frame left out), so that it finds this
    # encoding ready.
    content = min(FULL_WINDOW_FRAMES, features.shape[-1] - 1)
    encoded = model.encode(pad_or_trim(features[..., :content]))
    began = time.monotonic()  # the step detection adds: the decoding needs the rest anyway
    probs = model.model.detect_language(encoded)[0]
    log.debug("language detector step: %.0f ms", (time.monotonic() - began) * 1000)
    return [(token[2:-2], p) for token, p in probs]
