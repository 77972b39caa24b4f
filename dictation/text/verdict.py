"""A guard's verdict on one answer, and how a suspected one is settled by the audio: the same
utterance transcribed again without the prompt (guard.py says what is suspected, and why)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from dictation.text.silence import normalize

ECHO = "it echoes the prompt"
DOUBTED = "a stock phrase the model had doubts about"
SAMPLED = "a guess the model sampled at its last temperature, unsure it heard speech"


@dataclass(frozen=True)
class Verdict:
    text: str  # what may be output: the text with loops cut (unless said, see judge)
    reason: str | None  # why nothing is output, or None
    cut: bool = False  # a loop was cut
    made_up: bool = False  # far more text than the audio could hold: a hallucination
    suspect: bool = False
    """``reason`` is a doubt the text alone cannot settle (it may come from the prompt, or be
    one phrase looped over noise): it is dropped only if the audio, transcribed without the
    prompt, does not say it too (:func:`settle`)."""


def confirms(suspect: str, again: str) -> bool:
    """Does ``again``, the audio transcribed without the prompt, say what ``suspect`` said?
    Half its words or more are there: the speaker said it again (the prompt only helped)."""
    said = set(normalize(suspect).split())
    return bool(said) and len(said & set(normalize(again).split())) * 2 >= len(said)


def settle(suspect: Verdict, again: Verdict | None) -> tuple[Verdict, bool]:
    """What a text suspected of coming from the prompt becomes, given ``again``: the same
    audio transcribed without the prompt and judged (None: no text at all). An echo, or a
    stock phrase the prompt drove, is gone then, and is dropped; a repetition is still there,
    and the prompted text stands; other words are what the audio holds. A random guess
    (SAMPLED) stands only if the second decode says it too: speech fixes the words, noise
    gives other ones each time. The second item: whether ``again`` replaces the text."""
    # A doubt twice is no evidence; a second guess is compared with the first.
    if again is None or again.reason not in (None, DOUBTED, SAMPLED):
        why = again.reason if again else "it holds no words"
        return replace(suspect, reason=f"{suspect.reason}, and without the prompt {why}"), False
    if confirms(suspect.text, again.text):
        return replace(suspect, reason=None, suspect=False), False
    return again, True
