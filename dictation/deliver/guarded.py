"""An utterance's text as the guard lets it through: the engine's answer (retried), judged off
the loop, and, when the text alone cannot tell an echo of the prompt from words said again,
the audio asked once more without any prompt (text/guard.py: ``settle``)."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from dictation.audio.wav import SAMPLE_RATE
from dictation.logtext import Said
from dictation.text.carry import restored
from dictation.text.guard import GuardConfig, judge
from dictation.text.verdict import Verdict, settle

if TYPE_CHECKING:
    from dictation.deliver.requestprompt import Prompt
    from dictation.deliver.retry import Retrying
    from dictation.records import Speech, Stats
    from dictation.transcribe import Transcript

from dictation.transcribe import Hint

log = logging.getLogger("dictation")


class MadeUp(Exception):
    """Far more text than the audio could hold: a hallucination, dropped."""


class Guarded:
    def __init__(self, retrying: Retrying, guard: GuardConfig, stats: Stats,
                 bias: Callable[[str | None], frozenset[str]]) -> None:
        """``bias``: the words of the prompt's bias phrases in a language
        (guard.bias_words)."""
        self.retrying = retrying
        self.guard = guard
        self.stats = stats
        self._bias = functools.cache(bias)  # a few languages a run: each read once

    async def text(self, item: Speech, prompt: Prompt, current: Callable[[], bool]
                   ) -> tuple[str, Transcript] | None:
        """The engine's text for ``item`` as the guard lets it through, or None. Raises
        MadeUp, and what the retrying raises."""
        began = time.monotonic()
        result = await self.retrying.transcribe(item, prompt.text, current, prompt.hint)
        text = result.text
        log.debug("utterance %d%s: %.2f s of audio, text %.2f s after its end (%.2f s waited)",
                  item.seq, " (recovered)" if item.recovered else "",
                  len(item.pcm) / SAMPLE_RATE, time.monotonic() - item.ended_at,
                  time.monotonic() - began)
        if not text:
            return None
        if not current():
            log.debug("utterance %d: cancelled; dropped %s", item.seq, Said(text))
            return None
        verdict = await self.judge(item, result, prompt.echo, result.language)
        if verdict.suspect:
            verdict, result = await self._ask_audio(item, verdict, result, current)
        if verdict.reason:
            log.debug("utterance %d: dropped %s: %s", item.seq, Said(text), verdict.reason)
            return None
        if verdict.cut:
            log.debug("utterance %d: cut a repetition loop: %s", item.seq, Said(text))
        if (whole := restored(item.opening, verdict.text)) != verdict.text:
            log.debug("utterance %d: begins with words heard before its cut: %s", item.seq,
                      Said(whole))
        return whole, result

    async def judge(self, item: Speech, result: Transcript, prompt: str,
                    language: str | None, bias: bool = True) -> Verdict:
        """The guard's verdict on ``result``, the text of ``item``'s audio in ``language``
        (its stock phrases, the prompt's bias words in it unless not ``bias``); raises
        MadeUp."""
        # Off the loop: the answer may be up to the reader's cap, and the guard's work grows
        # with it (linearly, and it refuses an answer too long for its audio at once).
        verdict = await asyncio.to_thread(judge, result.text, prompt, item.heard,
                                          result.segments, self.guard,
                                          len(item.pcm) / SAMPLE_RATE,
                                          self._bias(language) if bias else frozenset(),
                                          language, result.guessed)
        if verdict.made_up:
            raise MadeUp(f"utterance {item.seq}: the engine answered {verdict.reason}; "
                         "dropped as made up")
        return verdict

    async def _ask_audio(self, item: Speech, suspect: Verdict, result: Transcript,
                         current: Callable[[], bool]) -> tuple[Verdict, Transcript]:
        """The text may come from the prompt, or the speaker said it again: the text alone
        cannot tell, so the audio is transcribed again without any prompt (guard.settle)."""
        self.stats.echo_checks += 1
        again = await self.retrying.transcribe(replace(item, speculation=None), "", current,
                                               Hint(language=result.language))
        second = (await self.judge(item, again, "", again.language, bias=False)
                  if again.text else None)
        verdict, other = settle(suspect, second)
        if verdict.reason is None:
            log.debug("utterance %d: %s", item.seq, "without the prompt, other words" if other
                      else "said again, not an echo of the prompt")
        return verdict, again if other else result
