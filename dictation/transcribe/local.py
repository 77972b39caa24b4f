"""The embedded engine: faster-whisper in this process, no key and no server.

The model loads on a worker thread from the moment the engine is built, so capture starts at
once and utterances spoken meanwhile wait in the pipeline's queue. Inference runs on that same
single thread: one utterance at a time, never on the event loop.

Short audio is encoded with a short window (windowed.py); a doubtful result is redone the
standard way.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import numpy as np

from dictation.audio.wav import SAMPLE_RATE
from dictation.errors import ConfigError, TranscriptionError
from dictation.logtext import Said
from dictation.text.sanitize import sanitize
from dictation.transcribe import Hint, Segment, Transcript, drawn_from_nothing
from dictation.transcribe.engines import LocalConfig
from dictation.transcribe.language import Picked, better, pick, scored
from dictation.transcribe.resolve import fetch, resolve_model
from dictation.transcribe.windowed import (  # token_limit: tests read it here
    FULL_WINDOW_FRAMES,
    failed,
    language_probs,
    load,
    token_limit,
    window_frames,
)

log = logging.getLogger("dictation")

SEARCH_BEAM = 5
"""The beam an unsure piece's two languages are decoded with again when both greedy texts
failed the quality checks: on bench/languages.md such pairs went to the right language 2
times of 5 greedy, 4 of 5 with a beam of 5."""

# OpenAI's semantics: temperature 0 means "start greedy, raise it when the output looks
# broken" (a repetition loop or a very unlikely transcript).
FALLBACK_TEMPERATURES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)


class _Cancelled(Exception):
    """The caller gave up on this transcription (a speculation overtaken by speech)."""


class LocalTranscriber:
    slots = 1  # one decode at a time: it uses every core

    def __init__(self, config: LocalConfig) -> None:
        self.config = config
        self._source, self.label, self._is_dir = resolve_model(
            config.model, language=config.language, budget_s=config.latency_budget_s)
        self._cancel = threading.Event()  # a download in progress stops with the engine
        self.description = f"local engine, model {self.label}"
        # The languages it may hear: the one given, the user's set, or any (detected).
        self.languages: tuple[str, ...] = (
            (config.language,) if config.language else config.languages)
        from dictation.transcribe.models import english_only

        if english_only(self.label, self._source if self._is_dir else None):
            if other := [code for code in self.languages if code != "en"]:
                raise ConfigError(
                    f"model {self.label} knows English only, and {', '.join(other)} was "
                    "asked for: give a multilingual model (see `dictation models`)")
            self.languages = ("en",)
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="whisper")
        self._model: Any = None
        self._asked: tuple[np.ndarray, str | None, np.ndarray, Picked] | None = None
        """The last audio whose language alone was asked (languages_of), with the samples
        the detector read: decoded next, it is not detected again, and its features are
        not computed again."""
        self._loaded: Future[None] = self._executor.submit(self._load)

    def _load(self) -> None:
        began = time.monotonic()
        if self.config.nice > 0:
            # This thread loads the model and runs every decode; the threads the model starts
            # inherit its priority. Lowering one's own priority needs no privilege; where a
            # sandbox refuses it anyway, the model runs at the usual priority.
            try:
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), self.config.nice)
            except OSError as err:
                log.debug("cannot lower the model's CPU priority: %s", err)
        import ctranslate2

        c = self.config
        device = c.device
        if device == "auto":
            device = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
        compute = c.compute_type
        if compute == "auto":
            compute = "float16" if device == "cuda" else "int8"
        threads = c.threads or len(os.sched_getaffinity(0))
        path = self._source if self._is_dir else fetch(self._source, self._cancel)
        try:
            self._model = load(path, device, compute, threads)
        except (RuntimeError, ValueError, OSError) as err:
            raise ConfigError(f"cannot load model {self.label} on {device} {compute}: "
                              f"{sanitize(str(err))[:200]}") from None
        if not self._model.model.is_multilingual:
            self.languages = ("en",)  # whatever its name said
        log.info("model %s ready on %s (%s, %d threads) in %.1f s", self.label, device,
                 compute, threads, time.monotonic() - began)

    async def prepare(self) -> None:
        """Wait for the model; a model that cannot load raises its one-line error here."""
        await asyncio.wrap_future(self._loaded)

    async def transcribe(self, pcm: np.ndarray, prompt: str, hint: Hint | None = None
                         ) -> Transcript:
        await self.prepare()
        cancel = threading.Event()
        job = asyncio.get_running_loop().run_in_executor(
            self._executor, self._transcribe, pcm, prompt, cancel, hint or Hint())
        try:
            return await job
        except asyncio.CancelledError:
            cancel.set()  # the thread stops at its next segment instead of finishing
            raise
        except _Cancelled:
            raise asyncio.CancelledError from None

    async def languages_of(self, pcm: np.ndarray, previous: str | None) -> tuple[str, ...]:
        """The languages ``pcm`` would be decoded in, alone after a piece in ``previous``
        (transcript.Detector): the detector's step on its own encoding, which a decode of
        ``pcm`` alone then reuses, and its pick too."""
        await self.prepare()
        if len(self.languages) == 1:
            return ()
        return await asyncio.get_running_loop().run_in_executor(
            self._executor, self._languages_of, pcm, previous)

    def _languages_of(self, pcm: np.ndarray, previous: str | None) -> tuple[str, ...]:
        audio = pcm.astype(np.float32) / 32768
        try:
            picked = self._language(audio, Hint(previous=previous),
                                    window_frames(len(audio), self.config.full_window))
        except (RuntimeError, ValueError) as err:  # the decode after it reports its own
            log.debug("no language from the detector: %s", sanitize(str(err))[:200])
            return ()
        self._asked = (pcm, previous, audio, picked)
        return (picked.language,) if picked.rival is None else (picked.language, picked.rival)

    def _transcribe(self, pcm: np.ndarray, prompt: str, cancel: threading.Event,
                    hint: Hint) -> Transcript:
        c = self.config
        asked, self._asked = self._asked, None
        if asked and asked[0] is pcm and asked[1] == hint.previous and hint.language is None:
            audio, known = asked[2], asked[3]  # languages_of's, on this very audio
        else:
            audio, known = pcm.astype(np.float32) / 32768, None  # features computed once
        window = window_frames(len(audio), c.full_window)
        picked = known or self._language(audio, hint, window)
        # A short window is tried greedily (or at the user's temperature) once; a broken
        # result is redone Whisper's standard way (full window, temperature fallback): the
        # shortcut costs time, never quality. Not for a draft: that held a final 2 s (base).
        standard = window == FULL_WINDOW_FRAMES and not hint.draft
        temperature = c.temperature if standard else (c.temperature or (0.0,))

        def decode(language: str, window: int, temperature: float | tuple[float, ...],
                   beam: int | None = None) -> tuple[Transcript, bool]:
            return self._decode(audio, hint.prompt_for(language, prompt), cancel, window,
                                temperature, language, beam or c.beam_size, hint.prefix)

        result, broken = decode(picked.language, window, temperature)
        if picked.rival is not None and not hint.draft:
            # The detector was unsure: the runner-up's text, if the likelier, wins. Two texts
            # that both fail the quality checks say little of the language: then each
            # language's best text is searched for (a beam) and those are compared.
            other, other_broken = decode(picked.rival, window, temperature)
            if broken and other_broken and c.beam_size < SEARCH_BEAM:
                result, broken = decode(picked.language, window, temperature, SEARCH_BEAM)
                other, other_broken = decode(picked.rival, window, temperature, SEARCH_BEAM)
            mine, theirs = scored(result, broken), scored(other, other_broken)
            log.debug("unsure of the language: %s scored %s, %s %s", picked.language, mine,
                      picked.rival, theirs)
            if better(theirs, mine):
                result, broken = other, other_broken
        if broken and not standard and not hint.draft:
            log.debug("short window gave a doubtful transcript %s; redoing with the full "
                      "window", Said(result.text[:80]))
            greedy = result
            result = decode(result.language or picked.language, FULL_WINDOW_FRAMES,
                            c.temperature)[0]
            result = replace(result, guessed=drawn_from_nothing(greedy, result))
        return result

    def _language(self, audio: np.ndarray, hint: Hint, window: int) -> Picked:
        """The utterance's language: the one given, the model's only one, or detected among
        the user's languages (language.pick); the encoding is reused by the decoding."""
        fixed = hint.language or (self.languages[0] if len(self.languages) == 1 else None)
        if fixed is not None:
            return Picked(fixed, 1.0)
        picked = pick(language_probs(self._model, audio, window),
                      frozenset(self.languages) or None, hint.previous, len(audio) / SAMPLE_RATE)
        log.debug("language %s", picked)
        return picked

    def _decode(self, audio: np.ndarray, prompt: str, cancel: threading.Event, window: int,
                temperature: float | tuple[float, ...], language: str | None, beam: int,
                prefix: str = "") -> tuple[Transcript, bool]:
        """One pass; also says whether it failed Whisper's own quality checks (a repetition
        loop or an unlikely transcript) on audio that is speech. ``prefix``: the words the
        text begins with (Hint.prefix); the decode goes on from them, and they are in it."""
        if cancel.is_set():
            raise _Cancelled
        c = self.config
        model = self._model
        model.window = window
        broken = False
        # Which prompt went with which language: each has its own (Hint.prompt_for).
        log.debug("decoding in %s, prompted with %s", language or "any", Said(prompt))
        began = time.monotonic()
        try:
            pieces, _info = model.transcribe(
                audio, language=language,
                initial_prompt=prompt or None, prefix=prefix or None,
                temperature=FALLBACK_TEMPERATURES if temperature == 0 else temperature,
                beam_size=beam, without_timestamps=not c.timestamps, vad_filter=False,
                max_new_tokens=token_limit(len(audio) / SAMPLE_RATE))
            segments = []
            duration = len(audio) / SAMPLE_RATE
            for s in pieces:  # a generator: decoding happens while iterating
                # Predicted times can overshoot the audio (a 5 s clip ending at "7.0").
                end = min(s.end, duration)
                segments.append(Segment(min(s.start, end), end, sanitize(s.text),
                                        s.avg_logprob, s.no_speech_prob, s.temperature))
                broken |= failed(s)
                if cancel.is_set():
                    raise _Cancelled
        except (RuntimeError, ValueError) as err:
            raise TranscriptionError(f"local model failed: {sanitize(str(err))[:200]}"
                                     ) from None
        text = " ".join(s.text for s in segments if s.text)
        log.debug("decoded %.2f s of audio in %.2f s: %d characters%s; %s", duration,
                  time.monotonic() - began, len(text), ", doubtful" if broken else "",
                  ", ".join(s.scores() for s in segments) or "no segments")
        return Transcript(text, tuple(segments), language), broken

    async def aclose(self) -> None:
        self._cancel.set()
        self._executor.shutdown(wait=False, cancel_futures=True)

