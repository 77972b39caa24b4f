"""Parsing what a server answers, in any of the five response formats, into clean text.

Server text is untrusted: it is stripped of control characters and escape sequences here,
before any sink (a terminal, a clipboard, a typing tool) can see it.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata

from dictation.errors import TranscriptionError
from dictation.transcribe import Segment, Transcript

_ESCAPES = re.compile(
    r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC … BEL/ST (title, hyperlink, clipboard write)
    r"|\x1b[P_^X][^\x1b]*(?:\x1b\\)?"  # DCS, APC, PM, SOS strings
    r"|\x1b\[[0-?]*[ -/]*[@-~]"  # CSI sequences (colours, cursor moves)
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
    r"|\x1b[ -/]*[0-~]?"  # any other escape
)
_TIMING = re.compile(r"^\s*(\d+:)?\d+:\d+[.,]\d+\s*-->\s*(\d+:)?\d+:\d+[.,]\d+.*$", re.M)


def sanitize(text: str) -> str:
    """Drop escape sequences, control and bidi-override characters; fold whitespace."""
    text = _ESCAPES.sub("", text)
    kept = []
    for ch in text:
        cat = unicodedata.category(ch)
        if ch in "\t\n\r\v\f":
            kept.append(" ")
        elif cat == "Cc" or (cat == "Cf" and ch not in "\u200d"):  # keep ZWJ for emoji
            continue
        else:
            kept.append(ch)
    return " ".join("".join(kept).split())


def _cue_text(body: str) -> str:
    """Text of SRT or VTT cues: per block, the lines after its timing line. Headers, notes,
    styles and cue identifiers carry no timing line or come before it, so they are left out."""
    texts = []
    for block in re.split(r"\n\s*\n", body.replace("\r\n", "\n")):
        lines = block.strip().split("\n")
        for i, line in enumerate(lines):
            if _TIMING.match(line):
                cue = " ".join(lines[i + 1:])
                texts.append(html.unescape(re.sub(r"<[^>]+>", "", cue)))  # VTT tags, &amp;
                break
    return " ".join(texts)


def _float(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _segments(raw: object) -> tuple[Segment, ...]:
    if not isinstance(raw, list):
        return ()
    out = []
    for s in raw:
        if isinstance(s, dict) and isinstance(s.get("text"), str):
            out.append(Segment(_float(s.get("start")) or 0.0, _float(s.get("end")) or 0.0,
                               sanitize(s["text"]), _float(s.get("avg_logprob")),
                               _float(s.get("no_speech_prob"))))
    return tuple(out)


def parse(body: bytes, response_format: str) -> Transcript:
    """Turn a 2xx body into a Transcript, or raise a one-line TranscriptionError."""
    try:
        text = body.decode("utf-8-sig")  # a byte-order mark is legal, if rare
    except UnicodeDecodeError:
        raise TranscriptionError("server answered with text that is not UTF-8") from None
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
        preview = sanitize(text)[:60]
        raise TranscriptionError(f"server answered with a body that is not JSON: {preview!r}"
                                 ) from None
    if not isinstance(data, dict):
        raise TranscriptionError("server answered JSON that is not an object with a 'text' field")
    segments = _segments(data.get("segments"))
    if isinstance(data.get("text"), str):
        return Transcript(sanitize(data["text"]), segments)
    if segments:
        return Transcript(" ".join(s.text for s in segments), segments)
    keys = ", ".join(sorted(map(str, data))[:5]) or "none"
    raise TranscriptionError(f"server answered JSON without a 'text' field (keys: {keys})")
