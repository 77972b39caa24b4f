"""The OpenAI-compatible engine: ``POST {base_url}/audio/transcriptions`` over one keep-alive
httpx client. Each call is one attempt; its error says whether a retry can succeed
(``retryable``) or nothing can (``fatal``), and the pipeline retries (dictation.deliver.retry).

The server is not trusted: its answers are read up to a cap, its text is sanitised, nothing it
echoes can carry the key into a message, and plain HTTP or an untrusted certificate stops the
run rather than sending audio where it should not go.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import importlib
import logging
from urllib.parse import urlsplit

import httpx
import numpy as np

from dictation.audio.codec import encode_wav
from dictation.audio.wav import SAMPLE_RATE
from dictation.endpoint import (
    cert_error,
    check_endpoint,
    credentials,
    is_loopback,
    normalize_base_url,
    redact_url,
    scrub,
    server_message,
    tls_context,
    unsecret,
)
from dictation.errors import TranscriptionError
from dictation.text.guard import answer_limit
from dictation.transcribe import Hint, Transcript
from dictation.transcribe.engines import ApiConfig
from dictation.transcribe.language import to_ask
from dictation.transcribe.prompt import build_prompt
from dictation.transcribe.response import TooLarge, parse, status_error
from dictation.transcribe.split import MIN_PIECE_S, split_point

__all__ = ["ApiTranscriber", "normalize_base_url", "redact_url", "split_point"]

log = logging.getLogger("dictation")

MAX_BODY = 1_000_000
"""A transcript is a few kB; a bigger answer is a broken or hostile server, not text."""
BODY_PER_CHAR = 16
"""An answer's body may be this many bytes per character of the longest text its audio can
hold (guard.answer_limit): JSON escapes (6 bytes a non-ASCII character), the text again in
segments, tokens and word times. A bigger one is not read at all, so no parsing (which holds
the interpreter's lock even in a thread: 20 ms for a megabyte of segments) is spent on it."""
MIN_BODY_LIMIT = 64 * 1024
MAX_ERROR_BODY = 64 * 1024  # only a one-line message is taken from an error
PREFERRED_FORMAT, FALLBACK_FORMAT = "verbose_json", "json"


@dataclasses.dataclass(frozen=True)
class _Answer:
    status: int
    headers: httpx.Headers
    body: bytes


class ApiTranscriber:
    slots = None  # the server queues requests itself

    def __init__(self, config: ApiConfig, transport: httpx.AsyncBaseTransport | None = None):
        self.config = config
        self.base_url = check_endpoint(config.base_url, config.allow_insecure_http)
        self.url = f"{self.base_url}/audio/transcriptions"
        self.description = f"API {redact_url(self.base_url)} model {config.model}"
        self._secrets = credentials(config.api_key, self.base_url)
        self._format = config.response_format or PREFERRED_FORMAT
        # Until the preferred format has worked once, any 400 to it may mean "unsupported".
        self._format_proven = config.response_format is not None
        self._too_large: int | None = None  # the smallest WAV the server refused (413)
        self._ignores_language = False  # said once
        self.languages = (config.language,) if config.language else config.languages
        headers = {"Authorization": f"Bearer {config.api_key}"} if config.api_key else {}
        self._client = httpx.AsyncClient(
            headers=headers, transport=transport, follow_redirects=True,
            verify=tls_context(config.ca_cert), event_hooks={"request": [self._check_request]},
            timeout=httpx.Timeout(config.read_timeout_s, connect=config.connect_timeout_s))

    async def prepare(self) -> None:
        """Nothing to load: a server that is down shows up on the first utterance, which
        then waits and retries rather than failing the start. The async backend httpx's
        transport imports on its first request (~60 ms) is imported now, off the loop."""
        with contextlib.suppress(ImportError):
            await asyncio.to_thread(importlib.import_module, "anyio._backends._asyncio")

    async def aclose(self) -> None:
        await self._client.aclose()

    def _parse(self, body: bytes, fmt: str) -> Transcript:
        return parse(unsecret(body, self._secrets), fmt)

    async def transcribe(self, pcm: np.ndarray, prompt: str, hint: Hint | None = None
                         ) -> Transcript:
        """One attempt; the caller retries what is retryable (see dictation.deliver.retry).
        A language the user's set leaves out is asked again once, with the likeliest one."""
        total = self.config.request_timeout_s
        hint = hint or Hint()
        c = self.config
        send, likely = to_ask(hint.language, c.language, c.languages, hint.previous)
        try:
            async with asyncio.timeout(total):  # connect, upload, wait and read together
                got = await self._transcribe_pcm(pcm, hint.prompt_for(likely, prompt),
                                                 language=send)
                if send is None and got.language and c.languages and \
                        got.language not in c.languages:
                    log.debug("the server heard %s, not one of %s: asked again in %s",
                              got.language, ",".join(c.languages), likely or c.languages[0])
                    send = likely or c.languages[0]
                    got = await self._transcribe_pcm(pcm, hint.prompt_for(send, prompt),
                                                     language=send)
                return self._said(got, send)
        except TimeoutError:
            raise TranscriptionError(
                f"server at {redact_url(self.url)} did not answer within {total:g} s "
                "(--request-timeout)", retryable=True) from None

    def _said(self, got: Transcript, sent: str | None) -> Transcript:
        """``got``, in the language sent when the server does not say; a server that answers
        in another one ignores the field, which is said once."""
        if sent is None or got.language in (None, sent):
            return dataclasses.replace(got, language=sent) if sent else got
        if not self._ignores_language:
            self._ignores_language = True
            log.warning("the server answered in %s when asked for %s: it ignores the language "
                        "field", got.language, sent)
        return got

    async def _transcribe_pcm(self, pcm: np.ndarray, prompt: str, piece: bool = False,
                              language: str | None = None) -> Transcript:
        """One try at the utterance: halved at a pause, and the halves' texts joined, when
        the server's size limit refuses it (413)."""
        wav = encode_wav(pcm)
        min_piece = round(MIN_PIECE_S * SAMPLE_RATE)
        splittable = len(pcm) >= 2 * min_piece
        if splittable and self._too_large is not None and len(wav) >= self._too_large:
            return await self._split(pcm, prompt, min_piece, language)
        try:
            return await self._post(wav, prompt, len(pcm) / SAMPLE_RATE, language)
        except TooLarge:
            if not splittable and piece:
                raise TranscriptionError(
                    f"server refused even {len(pcm) / SAMPLE_RATE:.1f} s of the utterance as "
                    f"too large (HTTP 413); its size limit is too small to split under") from None
            if not splittable:
                raise
            if self._too_large is None:
                log.info("the server refused a %.1f s utterance as too large (HTTP 413); "
                         "utterances of its size are now split at a pause and sent in parts",
                         len(pcm) / SAMPLE_RATE)
            self._too_large = min(self._too_large or len(wav), len(wav))
            return await self._split(pcm, prompt, min_piece, language)

    async def _split(self, pcm: np.ndarray, prompt: str, min_piece: int,
                     language: str | None) -> Transcript:
        cut = split_point(pcm, min_piece)
        first = await self._transcribe_pcm(pcm[:cut], prompt, piece=True, language=language)
        # The second part continues the first: the same prompt with the first's text after it.
        context = f"{prompt} {first.text}".strip()
        second = await self._transcribe_pcm(
            pcm[cut:], build_prompt("", context, tail_chars=len(context)), piece=True,
            language=language)
        offset = cut / SAMPLE_RATE
        moved = tuple(dataclasses.replace(s, start=s.start + offset, end=s.end + offset)
                      for s in second.segments)
        text = " ".join(t for t in (first.text, second.text) if t)
        return Transcript(text, first.segments + moved, first.language)

    async def _post(self, wav: bytes, prompt: str, audio_s: float, language: str | None
                    ) -> Transcript:
        fmt = self._format
        answer = await self._request(wav, prompt, fmt, audio_s, language)
        if 200 <= answer.status < 300:
            # Off the loop: up to MAX_BODY of JSON and text to parse and sanitise.
            result = await asyncio.to_thread(self._parse, answer.body, fmt)
            if fmt == PREFERRED_FORMAT:
                self._format_proven = True
            return result
        err = status_error(answer.status, server_message(answer.body, self._secrets),
                           answer.headers.get("retry-after"), len(wav), redact_url(self.url),
                           self.config.model)
        if self._falls_back(fmt, answer.status, str(err)):
            if self._format == fmt:  # once, even with requests in flight side by side
                self._format = FALLBACK_FORMAT
                log.info("the server does not answer response_format %s (HTTP %d); using %s "
                         "from now on", fmt, answer.status, FALLBACK_FORMAT)
            return await self._post(wav, prompt, audio_s, language)
        raise err

    def _falls_back(self, fmt: str, status: int, message: str) -> bool:
        """Whether a refusal means "not this response format": a 400 or 422 to the format we
        chose (never the user's), naming the format, or before that format ever worked."""
        if self.config.response_format is not None or fmt != PREFERRED_FORMAT:
            return False
        if status not in (400, 422):
            return False
        return not self._format_proven or "format" in message.lower() or fmt in message

    async def _request(self, wav: bytes, prompt: str, fmt: str, audio_s: float,
                       language: str | None) -> _Answer:
        """POST the utterance; the answer's body read up to a cap."""
        c = self.config
        data = {"model": c.model, "response_format": fmt, "temperature": str(c.temperature)}
        if prompt:
            data["prompt"] = prompt
        if language:
            data["language"] = language
        where = redact_url(self.url)
        try:
            async with self._client.stream(
                    "POST", self.url, data=data,
                    files={"file": ("utterance.wav", wav, "audio/wav")}) as resp:
                return _Answer(resp.status_code, resp.headers, await self._read(resp, audio_s))
        except httpx.TimeoutException:
            raise TranscriptionError(f"server at {where} did not answer in time",
                                     retryable=True) from None
        except httpx.TransportError as err:
            if (cert := cert_error(err)) is not None:
                host = self._host_of(err)
                reason = scrub(cert.verify_message or str(cert), self._secrets)
                raise TranscriptionError(
                    f"TLS certificate of {host} not trusted: {reason}; use --ca-cert FILE for "
                    "a private CA or a self-signed server", fatal=True) from None
            reason = scrub(str(err) or type(err).__name__, self._secrets)
            raise TranscriptionError(f"cannot reach server at {where}: {reason}",
                                     retryable=True) from None
        except httpx.DecodingError as err:  # a compressed body cut short or garbled
            reason = scrub(str(err) or type(err).__name__, self._secrets)
            raise TranscriptionError(f"server at {where} answered a body that does not "
                                     f"decode: {reason}", retryable=True) from None
        except httpx.HTTPError as err:  # too many redirects, a URL httpx refuses
            reason = scrub(str(err) or type(err).__name__, self._secrets)
            raise TranscriptionError(f"request to {where} failed: {reason}",
                                     fatal=True) from None

    async def _read(self, resp: httpx.Response, audio_s: float) -> bytes:
        """The body, or at most enough of an error's for its message; a success bigger than
        any transcript of ``audio_s`` seconds could be (at most MAX_BODY) is refused without
        reading it all."""
        fits = max(MIN_BODY_LIMIT, BODY_PER_CHAR * answer_limit(audio_s))
        limit = min(MAX_BODY, fits) if resp.is_success else MAX_ERROR_BODY
        too_big = TranscriptionError(
            f"server answered more than {limit // 1000} kB for {audio_s:.1f} s of audio (HTTP "
            f"{resp.status_code}); not reading it: no transcript of it is that long")
        declared = resp.headers.get("content-length", "")
        if resp.is_success and declared.isdigit() and int(declared) > limit:
            raise too_big
        body = bytearray()
        async for chunk in resp.aiter_bytes():
            body += chunk
            if len(body) > limit:
                if resp.is_success:
                    raise too_big
                break  # the status says enough; closing drops the rest
        return bytes(body[:limit])

    def _host_of(self, err: httpx.TransportError) -> str:
        try:
            return err.request.url.host
        except RuntimeError:
            return urlsplit(self.base_url).hostname or ""

    async def _check_request(self, request: httpx.Request) -> None:
        """Every request, redirects included: no audio in clear to another machine."""
        url = request.url
        if (url.scheme == "http" and not self.config.allow_insecure_http
                and not is_loopback(url.host)):
            raise TranscriptionError(
                f"refusing to send audio in clear to {url.host} over http:// (the server "
                f"redirected there); use --allow-insecure-http if the network is trusted",
                fatal=True)
