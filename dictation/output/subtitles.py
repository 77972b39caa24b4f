"""Subtitles: timed cues cut from transcribed utterances, and the text, SRT, WebVTT and JSON
made of them. (Not the sound cues of ``--cues``: those are control/feedback.py.)

Pure: no audio, no I/O. Each format comes whole (``to_srt``) and one cue at a time
(``srt_cue``, ``vtt_header`` + ``vtt_cue``), so a live caption file can be appended to and
flushed cue by cue and is a valid file after every write.

``to_json`` writes one document whose shape users may rely on::

    {
      "text": "Every word of the file, utterances joined by single spaces.",
      "duration": 12.345,
      "segments": [
        {"id": 0, "start": 0.52, "end": 3.1, "text": "Every word of the file,"},
        ...
      ]
    }

``duration`` is the length of the audio, and ``start``/``end`` are seconds from its start,
all rounded to milliseconds; segments are in order, never overlap, and joining their texts
with spaces gives ``text``. The names follow OpenAI's ``verbose_json`` so its readers read it.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from dictation.text.revise import word_key
from dictation.transcript import Segment

if TYPE_CHECKING:
    from dictation.records import Transcribed

_SLOP_S = 0.25  # engines' times may start a little early; more than this is not a timing
_SENTENCE_END = re.compile(r"[.!?…][\"'”’»)\]]*$")
_CLAUSE_END = re.compile(r"[,;:—–][\"'”’»)\]]*$")
_ARROW = re.compile(r"--+>")  # a cue's timing line is recognised by "-->"

Piece = tuple[list[str], int, int]  # words, start ms, end ms


@dataclass(frozen=True)
class Cue:
    start: float  # seconds from the start of the file or session
    end: float
    text: str


def utterance_cues(start_s: float, end_s: float, text: str, segments: Sequence[Segment], *,
                   max_chars: int = 84, max_s: float = 7.0) -> list[Cue]:
    """Cut one utterance (audio ``start_s``..``end_s``, its text, and the engine's segments
    timed from the utterance's start) into readable cues of at most ``max_chars`` (a longer
    single word stays whole) and about ``max_s`` each.

    The segments' times are used when they are sane and their words are the text's;
    otherwise the span is shared among pieces of the text by their length. Times are whole
    milliseconds; cues stay inside the span (rounded), in order, without overlap, each at
    least 1 ms long (a span too short for that is overrun by the missing milliseconds), and
    their texts joined by spaces are the text with its whitespace collapsed.
    """
    words = text.split()
    if not words:
        return []
    lo = _ms(start_s)
    hi = max(lo, _ms(end_s))
    pieces: list[Piece] = []
    for ws, a, b in _segment_spans(lo, hi, words, segments) or [(words, lo, hi)]:
        pieces += _split_timed(ws, a, b, max_chars, max_s)
    times = _fit([(a, b) for _, a, b in pieces], lo, hi)
    return [Cue(a / 1000, b / 1000, " ".join(ws))
            for (ws, _, _), (a, b) in zip(pieces, times, strict=True)]


def heard_cues(item: Transcribed) -> list[Cue]:
    """Cues of one delivered utterance. The engine's segments are timed from the audio sent,
    pre-roll included; without them the text is spread over the span the VAD heard speech
    in, so a cue neither starts in the pre-roll nor lingers through the pause after it."""
    if not item.segments:
        return utterance_cues(item.speech_start_s, item.speech_end_s, item.text, ())
    cues = utterance_cues(item.start_s, item.end_s, item.text, item.segments)
    if not cues:
        return cues
    first = cues[0]
    if first.start < item.speech_start_s < first.end:
        cues[0] = replace(first, start=round(item.speech_start_s, 3))
    last = cues[-1]  # after the change above: a single cue is both
    if last.start < item.speech_end_s < last.end:
        cues[-1] = replace(last, end=round(item.speech_end_s, 3))
    return cues


def _ms(seconds: float) -> int:
    # Whole milliseconds throughout, so what is checked here is exactly what gets written.
    return max(0, round(seconds * 1000)) if math.isfinite(seconds) else 0


def _segment_spans(lo: int, hi: int, words: list[str],
                   segments: Sequence[Segment]) -> list[Piece] | None:
    """The text's words grouped and timed as the segments say, or None if they cannot be
    trusted: other words (the text was edited after the engine) or impossible times."""
    segs = [s for s in segments if s.text.split()]
    said = [word_key(w) for s in segs for w in s.text.split()]
    if not segs or said != [word_key(w) for w in words]:
        return None
    span_s = (hi - lo) / 1000
    prev = 0.0
    for s in segs:
        if not (math.isfinite(s.start) and math.isfinite(s.end)) or s.end <= s.start:
            return None
        if s.start < prev - _SLOP_S or s.start >= span_s:  # going backwards, or after the end
            return None
        prev = max(prev, s.start)
    out: list[Piece] = []
    i = 0
    for s in segs:
        n = len(s.text.split())
        a, b = (min(max(lo + round(t * 1000), lo), hi) for t in (s.start, s.end))
        out.append((words[i:i + n], a, b))  # the text's own words: segments may differ in case
        i += n
    return out


def _split_timed(words: list[str], a: int, b: int, max_chars: int, max_s: float) -> list[Piece]:
    """Split a timed run of words and share its time among the parts by their length, each
    counted with the space after it so that cuts do not change the pace."""
    chars = len(" ".join(words)) + 1
    cap = max_chars
    if b > a:  # as many characters as are spoken in max_s at this run's pace
        cap = min(cap, int(chars * max_s * 1000 / (b - a)) - 1)
    parts = _split(words, max(cap, 1))
    sizes = [len(" ".join(p)) + 1 for p in parts]
    total = sum(sizes)
    out: list[Piece] = []
    done = 0
    for part, size in zip(parts, sizes, strict=True):
        start = a + (b - a) * done // total
        done += size
        out.append((part, start, a + (b - a) * done // total))
    return out


def _strength(word: str) -> float:
    if _SENTENCE_END.search(word):
        return 0.5
    return 0.25 if _CLAUSE_END.search(word) else 0.0


def _split(words: list[str], cap: int) -> list[list[str]]:
    """Parts of at most ``cap`` characters, each cut at the strongest boundary (sentence,
    clause, word) near an even share of what is left."""
    parts = []
    rest = words
    while len(rest) > 1 and len(" ".join(rest)) > cap:
        target = len(" ".join(rest)) / math.ceil(len(" ".join(rest)) / cap)
        best, best_score = 1, math.inf
        length = -1
        for j in range(1, len(rest)):
            length += len(rest[j - 1]) + 1  # of rest[:j] joined
            if length > cap:
                break
            # A sentence end half a share away still beats a bare word break at the share.
            score = abs(length - target) - target * _strength(rest[j - 1])
            if score < best_score:
                best, best_score = j, score
        parts.append(rest[:best])
        rest = rest[best:]
    parts.append(rest)
    return parts


def _fit(times: list[tuple[int, int]], lo: int, hi: int) -> list[tuple[int, int]]:
    """Clamp into lo..hi and make each cue start where the one before ended or later, and
    last at least 1 ms."""
    out = []
    prev = lo
    for a, b in times:
        a = max(min(a, hi), prev)
        b = max(min(b, hi), a + 1)
        out.append([a, b])
        prev = b
    if out and out[-1][1] > hi and hi - lo >= len(out):  # the 1 ms minimums overran: pull back
        nxt = hi
        for cue in reversed(out):
            cue[1] = min(cue[1], nxt)
            cue[0] = min(cue[0], cue[1] - 1)
            nxt = cue[0]
    return [(a, b) for a, b in out]


# --- formats -----------------------------------------------------------------------------


def _stamp(seconds: float, sep: str) -> str:
    h, rest = divmod(_ms(seconds), 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def _one_line(text: str) -> str:
    # A line break inside a cue could end it (blank line) or pass for a timing line.
    return " ".join(text.split())


def srt_cue(index: int, cue: Cue) -> str:
    """One SRT block, numbered from 1, with the blank line that ends it."""
    text = _ARROW.sub("->", _one_line(cue.text))  # SRT has no escapes for a timing arrow
    if not text:
        raise ValueError("a cue needs text")
    return f"{index}\n{_stamp(cue.start, ',')} --> {_stamp(cue.end, ',')}\n{text}\n\n"


def vtt_header() -> str:
    return "WEBVTT\n\n"


def vtt_cue(cue: Cue) -> str:
    """One WebVTT block with the blank line that ends it; markup characters become entities
    (which also breaks any "-->")."""
    text = _one_line(cue.text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if not text:
        raise ValueError("a cue needs text")
    return f"{_stamp(cue.start, '.')} --> {_stamp(cue.end, '.')}\n{text}\n\n"


def to_srt(cues: Iterable[Cue]) -> str:
    return "".join(srt_cue(i, cue) for i, cue in enumerate(cues, 1))


def to_vtt(cues: Iterable[Cue]) -> str:
    return vtt_header() + "".join(vtt_cue(cue) for cue in cues)


def to_text(utterances: Iterable[str]) -> str:
    """One line per utterance: a pause in speech starts a new line, which reads like the
    speaker's phrasing, matches what ``dictation run`` prints, and keeps lines greppable;
    cues would cut sentences for screen width instead."""
    return "".join(f"{line}\n" for line in map(_one_line, utterances) if line)


def to_json(cues: Sequence[Cue], duration: float) -> str:
    """The document described at the top of this module."""
    kept = [(c, text) for c in cues if (text := _one_line(c.text))]
    doc = {
        "text": " ".join(text for _, text in kept),
        "duration": round(duration, 3),
        "segments": [{"id": i, "start": round(c.start, 3), "end": round(c.end, 3), "text": text}
                     for i, (c, text) in enumerate(kept)],
    }
    return json.dumps(doc, ensure_ascii=False, allow_nan=False, indent=2) + "\n"
