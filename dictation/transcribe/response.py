"""Parsing what a server answers, in any of the five response formats, into clean text; what
an error status means; and its Retry-After header.

Server text is untrusted: it is sanitised here (dictation.text.sanitize), before any sink (a
terminal, a clipboard, a typing tool) can see it. Every step is linear in the answer's length:
no pattern here can backtrack over the text more than once (each repeated class stops at the
character that starts the next attempt).
"""

from __future__ import annotations

import email.utils
import html
import json
import math
import re
import time

from dictation.errors import TranscriptionError
from dictation.text.sanitize import sanitize
from dictation.transcribe import Segment, Transcript
from dictation.transcribe.language import code_of

# One line each: [ \t] rather than \s, which would let every line start rescan the blank
# lines after it (quadratic on a body of newlines).
_TIMING = re.compile(r"^[ \t]*(\d+:)?\d+:\d+[.,]\d+[ \t]*-->[ \t]*(\d+:)?\d+:\d+[.,]\d+.*$",
                     re.M)
_TAG = re.compile(r"<[^<>]+>")  # not [^>]: "<<<<…" would rescan the rest from every "<"


def _cue_text(body: str) -> str:
    """Text of SRT or VTT cues: per block, the lines after its timing line. Headers, notes,
    styles and cue identifiers carry no timing line or come before it, so they are left out."""
    texts = []
    for block in re.split(r"\n\s*\n", body.replace("\r\n", "\n")):
        lines = block.strip().split("\n")
        for i, line in enumerate(lines):
            if _TIMING.match(line):
                cue = " ".join(lines[i + 1:])
                texts.append(html.unescape(_TAG.sub("", cue)))  # VTT tags, &amp;
                break
    return " ".join(texts)


def _float(value: object) -> float | None:
    """A finite number, else None: JSON from Python servers can hold NaN and Infinity, and
    1e999 reads as infinity; none of them is a time or a probability."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
        return number if math.isfinite(number) else None
    return None


def _segments(raw: object) -> tuple[Segment, ...]:
    if not isinstance(raw, list):
        return ()
    out = []
    for s in raw:
        if isinstance(s, dict) and isinstance(s.get("text"), str):
            out.append(Segment(_float(s.get("start")) or 0.0, _float(s.get("end")) or 0.0,
                               sanitize(s["text"]), _float(s.get("avg_logprob")),
                               _float(s.get("no_speech_prob")),
                               _float(s.get("temperature"))))
    return tuple(out)


def _cut_short(text: str) -> bool:
    """JSON that begins and never ends: an answer cut short on the way (a proxy, a connection
    closed early, a compressed body cut), which the server gives whole when asked again.
    Anything else that is not JSON (a proxy's HTML page) will not change by asking."""
    body = text.strip()
    return body.startswith(("{", "[")) and not body.endswith(("}", "]"))


def parse(body: bytes, response_format: str) -> Transcript:
    """Turn a 2xx body into a Transcript, or raise a one-line TranscriptionError."""
    try:
        text = body.decode("utf-8-sig")  # a byte-order mark is legal, if rare
    except UnicodeDecodeError as err:
        # Cut inside its last character, the answer was cut short: asked again, the server
        # answers whole. Bytes wrong in the middle are a server that does not speak UTF-8.
        raise TranscriptionError("server answered with text that is not UTF-8",
                                 retryable=err.end == len(body)) from None
    if response_format in ("text", "srt", "vtt"):
        stripped = text.lstrip()
        if stripped.startswith("{"):  # some servers answer JSON whatever was asked
            return parse(body, "json")
        if response_format == "text" and not _TIMING.search(text):
            return Transcript(sanitize(text))
        return Transcript(sanitize(_cue_text(text)))
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        preview = sanitize(text[:4096])[:60]
        raise TranscriptionError(f"server answered with a body that is not JSON: {preview!r}",
                                 retryable=_cut_short(text)) from None
    except RecursionError:  # "[[[[…": the decoder recurses once per level
        raise TranscriptionError("server answered JSON nested too deeply to be a transcript"
                                 ) from None
    if not isinstance(data, dict):
        raise TranscriptionError("server answered JSON that is not an object with a 'text' field")
    segments = _segments(data.get("segments"))
    language = code_of(data.get("language"))  # verbose_json says it
    if isinstance(data.get("text"), str):
        return Transcript(sanitize(data["text"]), segments, language)
    if segments:
        return Transcript(" ".join(s.text for s in segments), segments, language)
    keys = ", ".join(sorted(map(str, data))[:5]) or "none"
    raise TranscriptionError(f"server answered JSON without a 'text' field (keys: {keys})")


RETRYABLE = {408, 409, 425, 429, 500, 502, 503, 504}


class TooLarge(TranscriptionError):
    """HTTP 413: this body is over the server's size limit."""


def status_error(code: int, detail: str, retry_after: str | None, size: int, where: str,
                 model: str) -> TranscriptionError:
    """What an error status means, as one line (``detail``: the server's own message,
    credentials blanked): fatal (a key, a URL), retryable (busy, failing), too large, or a
    refusal of this audio."""
    suffix = f": {detail}" if detail else ""
    if code in (401, 403):
        return TranscriptionError(
            f"server rejected the API key (HTTP {code}){suffix}; check OPENAI_API_KEY or "
            "--api-key-file", fatal=True)
    if code == 404:
        return TranscriptionError(
            f"server answered 404 for {where}: the base URL or the model '{model}' is "
            f"wrong{suffix}", fatal=True)
    if code == 413:
        return TooLarge(
            f"server refused a {size // 1024} KiB utterance as too large (HTTP 413){suffix}")
    if code in RETRYABLE or code >= 500:
        return TranscriptionError(f"server busy or failing (HTTP {code}){suffix}",
                                  retryable=True, retry_after=parse_retry_after(retry_after))
    return TranscriptionError(f"server refused the request (HTTP {code}){suffix}")


def parse_retry_after(value: str | None) -> float | None:
    """A Retry-After header (seconds or an HTTP date) as seconds from now; None if unusable."""
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
