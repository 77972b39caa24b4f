"""Text that could have come from the prompt rather than the audio: the prompt echoed,
replayed, looped, or the words it biased recognition toward said back. The text alone cannot
tell an echo from a speaker who said the same thing again, so the guard (guard.py) only
suspects it, and delivery asks the audio.
"""

from __future__ import annotations

from collections.abc import Iterable

from dictation.text.silence import normalize


def is_prompt_echo(text: str, prompt: str) -> bool:
    """True when ``text`` could merely repeat the prompt, as Whisper does on near-silent audio
    (or be said again: :func:`judge` only suspects it).

    Short answers are only called echoes when they equal the whole prompt, so a real "yes"
    after an earlier "yes" survives; three words or more repeated verbatim are an echo.
    """
    said, given = normalize(text), normalize(prompt)
    if not said or not given:
        return False
    if said == given:
        return True
    return len(said.split()) >= 3 and f" {said} " in f" {given} "


def is_prompt_loop(text: str, prompt: str) -> bool:
    """True when a looping answer, cut to one round, is made of the prompt's words in the
    prompt's order: the model replaying the prompt, not a speaker who repeated themself."""
    said, given = normalize(text).split(), iter(normalize(prompt).split())
    return len(said) >= 3 and all(word in given for word in said)  # an ordered subsequence


def replays_prompt(text: str, prompt: str) -> bool:
    """True when every word of ``text`` is a prompt word and a run of three of them comes
    twice: the prompt replayed in a loop too short for cut_loops ("we deployed the new
    dashboard yesterday and we deployed the new dashboard yesterday and we deployed…")."""
    said, vocabulary = normalize(text).split(), set(normalize(prompt).split())
    if len(said) < 6 or not set(said) <= vocabulary:
        return False
    runs = [tuple(said[i:i + 3]) for i in range(len(said) - 2)]
    return len(set(runs)) < len(runs)


def from_bias(text: str, bias: frozenset[str]) -> bool:
    """True when ``text`` is three words or more, every one of them a word the prompt biased
    recognition toward (the vocabulary, the command phrases): what Whisper makes of noise
    with such a prompt ("Comma, period, new line, comma.")."""
    said = normalize(text).split()
    return len(said) >= 3 and set(said) <= bias


def bias_words(phrases: Iterable[str]) -> frozenset[str]:
    """The words of the prompt's bias phrases, as :func:`from_bias` compares them."""
    return frozenset(w for p in phrases for w in normalize(p).split())
