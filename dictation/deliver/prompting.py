"""Each request's prompt: the user's prompt, the words recognition is biased toward (the
user's vocabulary and, while spoken commands are on, the command phrases), then the tail of
the text stage's assembled text, within Whisper's 224 tokens (transcribe/prompt.py).

The guard compares an answer with the prompt WITHOUT the bias words: a command said alone
("New line, new paragraph.") must not pass for an echo of the command list.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from dictation.text.stage import TextStage
from dictation.transcribe.prompt import fit_vocabulary, prompt_parts

log = logging.getLogger("dictation")


@dataclass(frozen=True)
class Prompt:
    text: str
    """Sent with the request: the user's prompt, the bias words, the transcript's tail."""
    echo: str
    """The same without the bias words: what the guard compares an answer with."""


class Prompter:
    def __init__(self, stage: TextStage, user_prompt: str = "") -> None:
        self.stage = stage
        self.user_prompt = user_prompt
        fit, dropped = fit_vocabulary(stage.bias, user_prompt)
        user = stage.config.vocabulary
        lost = [w for w in user if w.strip() and " ".join(w.split()) not in fit]
        if lost:  # said once at start: every prompt carries the same words
            log.warning("%d vocabulary word(s) do not fit in the prompt beside --prompt and "
                        "are left out, from %r on", len(lost), lost[0])
        elif dropped:
            log.debug("%d command phrase(s) left out of the prompt: no room", dropped)
        self.bias = fit

    def prompt(self, before_last: bool = False) -> Prompt:
        """The next request's prompt; ``before_last``: for transcribing the newest piece again
        together with what follows it."""
        user, vocab, tail = prompt_parts(self.user_prompt, self.stage.history(before_last),
                                         vocabulary=self.bias)
        return Prompt(" ".join(p for p in (user, vocab, tail) if p),
                      " ".join(p for p in (user, tail) if p))
