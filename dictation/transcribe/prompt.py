"""The prompt sent with each utterance.

Whisper reads at most 224 prompt tokens and weighs the end most, so the prompt is the user's
vocabulary/style prompt (always kept), then the vocabulary list (the user's words and, while
spoken commands are on, the command phrases), then the tail of the transcript so far, most
recent text last. There is no tokenizer here, so tokens are estimated conservatively.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

MAX_PROMPT_TOKENS = 224


def estimate_tokens(text: str) -> int:
    """Upper-ish estimate of Whisper BPE tokens: English averages ~4 characters or ~0.75
    words per token; take the larger of the two readings, plus a margin for non-ASCII."""
    words = len(text.split())
    non_ascii = sum(1 for ch in text if ord(ch) > 127)
    return max(math.ceil(words * 4 / 3), math.ceil(len(text) / 4)) + non_ascii


TAIL_CHARS = 200
"""At most this much prior transcript: a long tail makes small models skip whole sentences
of a multi-sentence utterance, while ~200 characters carries the context that matters."""


TAIL_MIN_TOKENS = 50
"""Room the vocabulary always leaves for the transcript's tail (by the estimate, about the
last 15 words): without it each utterance would lose the context it continues."""


def fit_vocabulary(words: Sequence[str], user_prompt: str = "",
                   max_tokens: int = MAX_PROMPT_TOKENS) -> tuple[tuple[str, ...], int]:
    """The vocabulary words that fit after the user prompt, leaving ``TAIL_MIN_TOKENS`` for
    the tail, in their order, duplicates dropped; and how many did not fit (for a warning at
    start). It depends only on the settings, so every utterance gets the same list."""
    budget = max_tokens - estimate_tokens(user_prompt.strip()) - TAIL_MIN_TOKENS
    kept: list[str] = []
    seen: set[str] = set()
    used = dropped = 0
    for word in (" ".join(w.split()) for w in words):
        if not word or word.casefold() in seen:
            continue
        seen.add(word.casefold())
        cost = vocabulary_tokens(word)
        if dropped or used + cost > budget:
            dropped += 1
            continue
        kept.append(word)
        used += cost
    return tuple(kept), dropped


def vocabulary_tokens(word: str) -> int:
    """Estimated tokens of one vocabulary word with its separator. Vocabulary is rare words,
    which Whisper's byte-level BPE cuts finely ("Kubernetes," is 5 tokens, "Dziedzic," 6,
    "Ðặng," 7, where the general estimate says 3, 3 and 4): 0.6 of a token per UTF-8 byte, plus
    one per non-ASCII character and one for the separator, covers the names tried (see
    tests/test_prompt.py); a sum of per-word estimates never undercounts the whole."""
    size = len(word.encode())
    non_ascii = sum(1 for ch in word if ord(ch) > 127)
    return max(estimate_tokens(f"{word},"), math.ceil(size * 0.6) + 1 + non_ascii)


def vocabulary_text(words: Sequence[str]) -> str:
    """The words as the prompt carries them: a comma-separated list ending in a period, the
    shape of text in which Whisper saw names spelt (bench/vocabulary.md)."""
    return f"{', '.join(words)}." if words else ""


def build_prompt(user_prompt: str, history: str, max_tokens: int = MAX_PROMPT_TOKENS,
                 tail_chars: int = TAIL_CHARS, vocabulary: Sequence[str] = ()) -> str:
    """User prompt first, then the vocabulary that fits (:func:`fit_vocabulary`), then as
    much of the transcript's tail as fits, cut at a word."""
    return " ".join(p for p in prompt_parts(user_prompt, history, max_tokens, tail_chars,
                                            vocabulary) if p)


def prompt_parts(user_prompt: str, history: str, max_tokens: int = MAX_PROMPT_TOKENS,
                 tail_chars: int = TAIL_CHARS, vocabulary: Sequence[str] = ()
                 ) -> tuple[str, str, str]:
    """:func:`build_prompt`'s three parts, each possibly empty: the user prompt, the
    vocabulary text, the transcript's tail. The guard compares an answer with the prompt
    without its vocabulary: a command said alone ("New line.") is not an echo of the command
    list."""
    user_prompt = user_prompt.strip()
    words_fit, _ = fit_vocabulary(vocabulary, user_prompt, max_tokens)
    vocab = vocabulary_text(words_fit)
    budget = (max_tokens - estimate_tokens(user_prompt)
              - sum(vocabulary_tokens(w) for w in words_fit))
    words = history[-tail_chars:].split()
    cut = len(history) - tail_chars
    if cut > 0 and not (history[cut - 1].isspace() or history[cut].isspace()):
        words = words[1:]  # the cut fell inside a word
    tail: list[str] = []
    used = 0
    for word in reversed(words):
        cost = estimate_tokens(word) + 1
        if used + cost > budget:
            break
        tail.append(word)
        used += cost
    return user_prompt, vocab, " ".join(reversed(tail))


class History:
    """The committed transcript, bounded so a daemon running all day does not grow it;
    :func:`build_prompt` takes the tail it needs."""

    def __init__(self, keep_chars: int = 2000) -> None:
        self._text = ""
        self._keep = keep_chars

    def add(self, text: str) -> None:
        self._text = f"{self._text} {text}".strip()[-self._keep:]

    def __str__(self) -> str:
        return self._text
