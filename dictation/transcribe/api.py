"""The OpenAI-compatible engine: ``POST {base_url}/audio/transcriptions`` over one keep-alive
httpx client. Each call is one attempt; its error says whether a retry can succeed
(``retryable``) or nothing can (``fatal``)."""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import time
from urllib.parse import urlsplit, urlunsplit

import httpx
import numpy as np

from dictation.codec import encode_wav
from dictation.config import ApiConfig
from dictation.errors import ConfigError, TranscriptionError
from dictation.transcribe import Transcript
from dictation.transcribe.response import parse, sanitize

log = logging.getLogger("dictation")

RETRYABLE = {408, 409, 425, 429, 500, 502, 503, 504}


def normalize_base_url(url: str) -> str:
    """Accept ``host``, ``host/v1`` or a full ``…/audio/transcriptions`` URL."""
    url = url.strip().rstrip("/")
    if "://" not in url:
        url = f"https://{url}"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"base URL must be http(s)://host[:port]/path, got '{redact_url(url)}'")
    path = parts.path.removesuffix("/audio/transcriptions")
    return urlunsplit((parts.scheme, parts.netloc, path or "/v1", "", ""))


def redact_url(url: str) -> str:
    """The URL without user:password, for messages."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


class ApiTranscriber:
    def __init__(self, config: ApiConfig, transport: httpx.AsyncBaseTransport | None = None):
        self.config = config
        self.base_url = normalize_base_url(config.base_url)
        self.url = f"{self.base_url}/audio/transcriptions"
        self.description = f"API {redact_url(self.base_url)} model {config.model}"
        headers = {"Authorization": f"Bearer {config.api_key}"} if config.api_key else {}
        self._client = httpx.AsyncClient(
            headers=headers, transport=transport, follow_redirects=True,
            timeout=httpx.Timeout(config.read_timeout_s, connect=config.connect_timeout_s))

    async def prepare(self) -> None:
        """Nothing to load: a server that is down shows up on the first utterance, which
        then waits and retries rather than failing the start."""

    async def aclose(self) -> None:
        await self._client.aclose()

    def _scrub(self, text: str) -> str:
        """Server or library text for a message: no key, no controls, one short line."""
        if self.config.api_key:
            text = text.replace(self.config.api_key, "***")
        text = sanitize(text)
        return text if len(text) <= 160 else text[:157] + "…"

    async def transcribe(self, pcm: np.ndarray, prompt: str) -> Transcript:
        """One attempt; the caller retries what is retryable (see dictation.retry)."""
        wav = encode_wav(pcm)
        total = self.config.request_timeout_s
        try:
            async with asyncio.timeout(total):  # connect, upload, wait and read together
                return await self._post(wav, prompt)
        except TimeoutError:
            raise TranscriptionError(
                f"server at {redact_url(self.url)} did not answer within {total:g} s "
                "(--request-timeout)", retryable=True) from None

    async def _post(self, wav: bytes, prompt: str) -> Transcript:
        c = self.config
        data = {"model": c.model, "response_format": c.response_format,
                "temperature": str(c.temperature)}
        if prompt:
            data["prompt"] = prompt
        if c.language:
            data["language"] = c.language
        where = redact_url(self.url)
        try:
            resp = await self._client.post(
                self.url, data=data, files={"file": ("utterance.wav", wav, "audio/wav")})
        except httpx.TimeoutException:
            raise TranscriptionError(f"server at {where} did not answer in time",
                                     retryable=True) from None
        except httpx.TransportError as err:
            reason = self._scrub(str(err) or type(err).__name__)
            raise TranscriptionError(f"cannot reach server at {where}: {reason}",
                                     retryable=True) from None
        if resp.is_success:
            return parse(resp.content, c.response_format)
        raise self._status_error(resp, len(wav))

    def _status_error(self, resp: httpx.Response, size: int) -> TranscriptionError:
        code = resp.status_code
        detail = self._server_message(resp)
        suffix = f": {detail}" if detail else ""
        if code in (401, 403):
            return TranscriptionError(
                f"server rejected the API key (HTTP {code}){suffix}; check OPENAI_API_KEY or "
                "--api-key-file", fatal=True)
        if code == 404:
            return TranscriptionError(
                f"server answered 404 for {redact_url(self.url)}: the base URL or the model "
                f"'{self.config.model}' is wrong{suffix}", fatal=True)
        if code == 413:
            return TranscriptionError(
                f"server refused a {size // 1024} KiB utterance as too large (HTTP 413){suffix}")
        if code in RETRYABLE or code >= 500:
            return TranscriptionError(f"server busy or failing (HTTP {code}){suffix}",
                                      retryable=True,
                                      retry_after=_retry_after(resp.headers.get("retry-after")))
        return TranscriptionError(f"server refused the request (HTTP {code}){suffix}")

    def _server_message(self, resp: httpx.Response) -> str:
        try:
            body = resp.content[:4096].decode("utf-8", "replace")
        except httpx.HTTPError:
            return ""
        try:
            data = json.loads(body)
        except json.JSONDecodeError:
            return self._scrub(body)
        for probe in (data, data.get("error") if isinstance(data, dict) else None,
                      data.get("detail") if isinstance(data, dict) else None):
            if isinstance(probe, str):
                return self._scrub(probe)
            if isinstance(probe, dict):
                for key in ("message", "error", "detail"):
                    if isinstance(probe.get(key), str):
                        return self._scrub(probe[key])
                if isinstance(probe.get("error"), dict) and "message" in probe["error"]:
                    return self._scrub(str(probe["error"]["message"]))
        return self._scrub(body)

