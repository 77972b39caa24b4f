"""One utterance's way from audio to the sinks, for the delivery worker: its text from the
engine (retried per the policy), judged by the guard, then handed to every sink, with the
transcript so far carried into the next prompt."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from dictation.audio.wav import SAMPLE_RATE
from dictation.deliver.retry import Retrying
from dictation.errors import SinkError
from dictation.logtext import Said
from dictation.records import Final, Speech, Stats, Transcribed
from dictation.text.guard import GuardConfig, judge
from dictation.transcribe.prompt import History, build_prompt

if TYPE_CHECKING:
    from dictation.output.sinks import Sink
    from dictation.transcribe import Transcript

log = logging.getLogger("dictation")


class MadeUp(Exception):
    """Far more text than the utterance's audio could hold: a hallucination, dropped."""


class Sender:
    def __init__(self, retrying: Retrying, sinks: list[Sink], *, prompt: str,
                 guard: GuardConfig, stats: Stats, error: Callable[..., None],
                 keep: Callable[[Speech], Path | None],
                 final: Callable[[Final], None]) -> None:
        """``error``: report a failing sink (Delivery.error); ``keep``: set an utterance's
        audio aside; ``final``: an utterance's text reached every sink."""
        self.retrying = retrying
        self.sinks = sinks
        self.prompt = prompt
        self.guard = guard
        self.stats = stats
        self.history = History()
        self.delivered = 0
        self._error = error
        self._keep = keep
        self._final = final

    def next_prompt(self) -> str:
        """The prompt of the next utterance to be transcribed."""
        return build_prompt(self.prompt, str(self.history))

    async def send(self, item: Speech, current: Callable[[], bool]) -> None:
        """Transcribe ``item`` and deliver its text, unless the guard drops it or it is
        cancelled meanwhile (``current()`` turns false). Raises Postponed, MadeUp,
        TranscriptionError or SinkError (stdout's) for the worker to settle."""
        prompt = self.next_prompt()
        began = time.monotonic()
        self.stats.utterances += 1
        result = await self.retrying.transcribe(item, prompt, current)
        text = result.text
        log.debug("utterance %d%s: %.2f s of audio, text %.2f s after its end (%.2f s waited)",
                  item.seq, " (recovered)" if item.recovered else "",
                  len(item.pcm) / SAMPLE_RATE, time.monotonic() - item.ended_at,
                  time.monotonic() - began)
        if not text:
            return
        if not current():
            log.debug("utterance %d: cancelled; dropped %s", item.seq, Said(text))
            return
        # Off the loop: the answer may be up to the reader's cap, and the guard's work grows
        # with it (linearly, and it refuses an answer too long for its audio at once).
        verdict = await asyncio.to_thread(judge, text, prompt, item.heard, result.segments,
                                          self.guard, len(item.pcm) / SAMPLE_RATE)
        if verdict.made_up:
            raise MadeUp(f"utterance {item.seq}: the engine answered {verdict.reason}; "
                          "dropped as made up")
        if verdict.reason:
            log.debug("utterance %d: dropped %s: %s", item.seq, Said(text), verdict.reason)
            return
        if verdict.cut:
            log.debug("utterance %d: cut a repetition loop: %s", item.seq, Said(text))
            text = verdict.text
        await self._to_sinks(item, text, result)

    async def _to_sinks(self, item: Speech, text: str, result: Transcript) -> None:
        """``text`` to every sink; a sink other than stdout that fails keeps the audio."""
        self.history.add(text)
        done = Transcribed(item.seq, text, item.start_s, item.end_s, item.speech_start_s,
                           item.speech_end_s, result.segments, item.recovered)
        errors: list[SinkError] = []
        for sink in self.sinks:
            try:
                await sink.deliver(done)
            except SinkError as err:
                if sink.name == "stdout":
                    raise
                errors.append(err)
        self.delivered += 1
        # Speech ended (end_s - speech_end_s) of trailing silence before the utterance closed.
        latency = time.monotonic() - item.ended_at + max(0.0, item.end_s - item.speech_end_s)
        self._final(Final(done, latency, item.recovered))
        if errors:  # the line shows the text only with --log-text: the audio keeps it anyway
            where = f"; audio kept in {kept}" if (kept := self._keep(item)) else ""
            for e in errors:
                self._error("%s (text: %s%s)", e, Said(text), where)
