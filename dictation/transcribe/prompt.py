"""The prompt sent with each utterance.

Whisper reads at most 224 prompt tokens and weighs the end most, so the prompt is the user's
vocabulary/style prompt (always kept) followed by the tail of the transcript so far, most
recent text last. There is no tokenizer here, so tokens are estimated conservatively.
"""

from __future__ import annotations

import math

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


def build_prompt(user_prompt: str, history: str, max_tokens: int = MAX_PROMPT_TOKENS,
                 tail_chars: int = TAIL_CHARS) -> str:
    """User prompt first, then as much of the transcript's tail as fits, cut at a word."""
    user_prompt = user_prompt.strip()
    budget = max_tokens - estimate_tokens(user_prompt)
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
    return " ".join(part for part in (user_prompt, " ".join(reversed(tail))) if part)


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
