"""Each request's prompt: the user's prompt, the words recognition is biased toward (the
user's vocabulary and, while spoken commands are on, the command phrases), then the tail of
the text stage's assembled text, within Whisper's 224 tokens (transcribe/prompt.py).

The guard compares an answer with the prompt WITHOUT the bias words: a command said alone
("New line, new paragraph.") must not pass for an echo of the command list.

When the engine may hear several languages, the prompt goes with a hint: the language of the
piece before (a short or uncertain utterance keeps it), and a prompt per language, each with
the tail of the text in that language only; the engine picks the one for the language it
decides on (transcribe.Hint).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from dictation.records import Transcribed
from dictation.text.stage import TextStage
from dictation.transcribe import Hint
from dictation.transcribe.prompt import fit_vocabulary, prompt_parts

log = logging.getLogger("dictation")


@dataclass(frozen=True)
class Prompt:
    text: str
    """Sent with the request: the user's prompt, the bias words, the transcript's tail."""
    echo: str
    """The same without the bias words: what the guard compares an answer with."""
    hint: Hint = field(default_factory=Hint)
    """What is known of the next utterance's language, with a prompt per language."""


class Prompter:
    def __init__(self, stage: TextStage, user_prompt: str = "",
                 pieces: Callable[[], Sequence[Transcribed]] = tuple,
                 languages: Sequence[str] = ("en",)) -> None:
        """``pieces``: the pieces standing, oldest first, with their languages;
        ``languages``: what the engine may hear (() any)."""
        self.stage = stage
        self.user_prompt = user_prompt
        self._pieces = pieces
        self._languages = tuple(languages)
        self._fits: dict[str | None, tuple[str, ...]] = {}
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
                      " ".join(p for p in (user, tail) if p), self._hint(before_last))

    def _hint(self, before_last: bool) -> Hint:
        pieces = list(self._pieces())[:-1 if before_last else None]
        previous = pieces[-1].language if pieces else None
        # One language, or an engine that never says which: nothing to decide, the plain prompt.
        if len(self._languages) == 1 or (pieces and not any(p.language for p in pieces)):
            return Hint(previous=previous)
        spoken = {p.language for p in pieces if p.language} | set(self._languages)

        def said_in(language: str | None) -> str:
            return "".join(p.lead + p.text for p in pieces if p.language in (language, None))

        def text(history: str, language: str | None) -> str:
            user, vocab, tail = prompt_parts(self.user_prompt, history,
                                             vocabulary=self._bias(language))
            return " ".join(p for p in (user, vocab, tail) if p)

        # A piece the engine left unsaid may be in any language: it stays in every tail.
        return Hint(previous=previous, other=text(said_in(None), None),
                    prompts={lang: text(said_in(lang), lang) for lang in sorted(spoken)})

    def _bias(self, language: str | None) -> tuple[str, ...]:
        """The bias words a prompt in ``language`` carries: the vocabulary, then that
        language's command phrases, as many as fit."""
        if language not in self._fits:
            self._fits[language] = fit_vocabulary(self.stage.bias_for(language),
                                                  self.user_prompt)[0]
        return self._fits[language]
