"""Text the model produced but nobody said: prompt echoes and silence phrases.

On near-silent or noisy audio Whisper answers with the prompt itself, or with stock phrases
from its subtitle training data ("Thank you.", "you"). Those are dropped; the same words
really spoken, loud and clear above the background, are kept.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from dictation.vad import Frame

SILENCE_PHRASES = frozenset({
    "you", "thank you", "thanks", "thank you very much", "thanks for watching",
    "thank you for watching", "thanks for listening", "bye", "so", "okay", "oh",
    "please subscribe", "subtitles by the amara org community", "music",
})
CLEAR_SPEECH_DB = 12.0
"""Speech this far above the background is trusted even when it says "Thank you."."""


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s']", " ", text.lower()).split())


def snr_db(frames: Sequence[Frame]) -> float:
    """How far the loud part of an utterance's speech rose above the background."""
    speech = [f.level for f in frames if f.is_speech] or [f.level for f in frames]
    floor = max(1.0, float(np.median([f.floor for f in frames])))
    return float(20 * np.log10(max(1.0, float(np.percentile(speech, 90))) / floor))


def is_prompt_echo(text: str, prompt: str) -> bool:
    """True when ``text`` merely repeats the prompt, as Whisper does on near-silent audio.

    Short answers are only called echoes when they equal the whole prompt, so a real "yes"
    after an earlier "yes" survives; three words or more repeated verbatim are an echo.
    """
    said, given = _norm(text), _norm(prompt)
    if not said or not given:
        return False
    if said == given:
        return True
    return len(said.split()) >= 3 and f" {said} " in f" {given} "


def drop_reason(text: str, prompt: str, snr: float) -> str | None:
    """Why ``text`` must not be output, or None to output it."""
    said = _norm(text)
    if not said:
        return "it holds no words"
    if is_prompt_echo(text, prompt):
        return "it echoes the prompt"
    if said in SILENCE_PHRASES and snr < CLEAR_SPEECH_DB:
        return f"a stock phrase on weak audio ({snr:.0f} dB above the background)"
    return None
