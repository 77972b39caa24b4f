"""Cues from utterances, and SRT/WebVTT/text/JSON read back by an independent parser."""

from __future__ import annotations

import itertools
import json
import math
import random
import re

import pytest

from dictation.output.subtitles import (
    Cue,
    srt_cue,
    to_json,
    to_srt,
    to_text,
    to_vtt,
    utterance_cues,
    vtt_cue,
    vtt_header,
)
from dictation.transcribe import Segment

_T = r"(\d{2,}):([0-5]\d):([0-5]\d)[,.](\d{3})"
SRT_BLOCK = re.compile(rf"(\d+)\n{_T} --> {_T}\n((?:[^\n]+\n)+)\n")
VTT_BLOCK = re.compile(rf"{_T} --> {_T}\n((?:[^\n]+\n)+)\n")
WORDS = ["the", "quick", "brown", "fox", "jumps", "over", "a", "lazy", "dog", "while", "seven",
         "extraordinarily", "talkative", "parrots", "discuss", "municipal", "budgets", "I"]


def _secs(h: str, m: str, s: str, ms: str) -> float:
    return (((int(h) * 60 + int(m)) * 60 + int(s)) * 1000 + int(ms)) / 1000


def parse_srt(doc: str) -> list[Cue]:
    """Strict: the whole document must be numbered blocks, each ended by a blank line."""
    cues, pos = [], 0
    while pos < len(doc):
        m = SRT_BLOCK.match(doc, pos)
        assert m, f"not an SRT block at {doc[pos:pos + 80]!r}"
        assert int(m[1]) == len(cues) + 1
        cues.append(Cue(_secs(*m.groups()[1:5]), _secs(*m.groups()[5:9]),
                        " ".join(m[10].splitlines())))
        pos = m.end()
    return cues


def parse_vtt(doc: str) -> list[Cue]:
    assert doc.startswith("WEBVTT\n\n")
    cues, pos = [], len("WEBVTT\n\n")
    while pos < len(doc):
        m = VTT_BLOCK.match(doc, pos)
        assert m, f"not a WebVTT block at {doc[pos:pos + 80]!r}"
        assert "-->" not in m[9] and "<" not in m[9]
        text = " ".join(m[9].splitlines())
        text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        cues.append(Cue(_secs(*m.groups()[0:4]), _secs(*m.groups()[4:8]), text))
        pos = m.end()
    return cues


def check(cues: list[Cue], start: float, end: float, text: str, max_chars: int = 84) -> None:
    """What every list of cues promises, checked through both file formats."""
    assert " ".join(c.text for c in cues) == " ".join(text.split())
    half_ms = 0.0005 + 1e-9  # times are rounded to whole milliseconds
    prev = start - half_ms
    for c in cues:
        assert c.text and c.text == c.text.strip()
        assert len(c.text) <= max_chars or " " not in c.text  # only a lone long word may exceed
        assert c.start >= prev and c.end > c.start
        prev = c.end
    if cues and end - start >= 0.001 * len(cues):  # else 1 ms each cannot fit
        assert cues[-1].end <= end + half_ms
    for parsed in (parse_srt(to_srt(cues)), parse_vtt(to_vtt(cues))):
        assert parsed == cues  # times are whole milliseconds, so they survive exactly


def words(rng: random.Random, n: int) -> str:
    out = []
    for _ in range(n):
        w = rng.choice(WORDS)
        out.append(w + rng.choice(["", "", "", "", ",", ".", "?", ";"]))
    return " ".join(out)


# --- utterance_cues ----------------------------------------------------------------------


def test_sane_segments_give_the_times() -> None:
    segs = [Segment(0.2, 2.0, " Hello there."), Segment(2.5, 5.8, " General Kenobi.")]
    cues = utterance_cues(10.0, 16.0, "Hello there. General Kenobi.", segs)
    assert cues == [Cue(10.2, 12.0, "Hello there."), Cue(12.5, 15.8, "General Kenobi.")]


def test_segments_lend_times_but_the_text_keeps_its_own_words() -> None:
    segs = [Segment(0.0, 1.0, "hello THERE"), Segment(1.0, 2.0, "general kenobi")]
    cues = utterance_cues(0.0, 2.0, "Hello there. General Kenobi!", segs)
    assert [c.text for c in cues] == ["Hello there.", "General Kenobi!"]
    assert [c.end for c in cues] == [1.0, 2.0]


def test_slightly_early_or_late_segments_are_clamped() -> None:
    segs = [Segment(-0.1, 1.5, "One two."), Segment(1.4, 3.9, "Three four.")]
    cues = utterance_cues(5.0, 8.0, "One two. Three four.", segs)
    check(cues, 5.0, 8.0, "One two. Three four.")
    assert cues[0].start == 5.0 and cues[-1].end == 8.0
    assert cues[1].start == cues[0].end == 6.5  # overlap removed, not reordered


JUNK = {
    "negative": [Segment(-5.0, -1.0, "One two three."), Segment(1.0, 2.0, "Four five six.")],
    "reversed": [Segment(2.0, 0.5, "One two three."), Segment(2.0, 3.0, "Four five six.")],
    "backwards": [Segment(2.0, 3.0, "One two three."), Segment(0.0, 1.0, "Four five six.")],
    "beyond": [Segment(0.0, 1.0, "One two three."), Segment(40.0, 41.0, "Four five six.")],
    "nan": [Segment(math.nan, 1.0, "One two three."), Segment(1.0, 2.0, "Four five six.")],
    "inf": [Segment(0.0, 1.0, "One two three."), Segment(1.0, math.inf, "Four five six.")],
    "zeros": [Segment(0.0, 0.0, "One two three."), Segment(0.0, 0.0, "Four five six.")],
    "other words": [Segment(0.0, 1.0, "One two three."), Segment(1.0, 2.0, "Thank you.")],
    "missing words": [Segment(0.0, 1.0, "One two three.")],
}


@pytest.mark.parametrize("name", JUNK)
def test_untrustworthy_segments_fall_back_to_sharing_by_length(name: str) -> None:
    text = "One two three. Four five six."
    cues = utterance_cues(3.0, 7.0, text, JUNK[name])
    check(cues, 3.0, 7.0, text)
    assert cues == utterance_cues(3.0, 7.0, text, [])


def test_without_segments_the_span_is_shared_by_length() -> None:
    cues = utterance_cues(0.0, 4.0, "aaaa bbbb. " + "c " * 40, [], max_chars=20)
    check(cues, 0.0, 4.0, "aaaa bbbb. " + "c " * 40, max_chars=20)
    total = sum(len(c.text) + 1 for c in cues)
    for c in cues:  # each cue's share of the time is its share of the characters (and spaces)
        assert c.end - c.start == pytest.approx(4.0 * (len(c.text) + 1) / total, abs=0.002)
    assert cues[0].start == 0.0 and cues[-1].end == 4.0


def test_long_text_without_segments_splits_into_short_pieces() -> None:
    text = words(random.Random(1), 400)
    cues = utterance_cues(12.0, 172.0, text, [], max_chars=60, max_s=7.0)
    check(cues, 12.0, 172.0, text, max_chars=60)
    assert len(cues) >= len(text) / 60
    assert all(c.end - c.start <= 7.0 + 0.002 for c in cues)


def test_slow_speech_splits_by_time_too() -> None:
    text = "we will now pause between every single word of this short slow sentence"
    cues = utterance_cues(0.0, 60.0, text, [])
    check(cues, 0.0, 60.0, text)
    assert len(cues) >= 60 / 7
    assert all(c.end - c.start <= 7.002 or " " not in c.text for c in cues)  # words stay whole


def test_segments_crowded_at_the_end_stay_inside_the_span() -> None:
    segs = [Segment(0.9, 1.5, "a b"), Segment(0.95, 2.0, "c d"), Segment(0.99, 3.0, "e f")]
    cues = utterance_cues(0.0, 1.0, "a b c d e f", segs)
    check(cues, 0.0, 1.0, "a b c d e f")
    assert cues[0].start == 0.9 and cues[-1].end == 1.0


def test_long_segments_split_inside_their_own_time() -> None:
    long = words(random.Random(2), 60)
    segs = [Segment(0.5, 1.5, "Short start."), Segment(2.0, 30.0, long)]
    cues = utterance_cues(100.0, 131.0, "Short start. " + long, segs)
    check(cues, 100.0, 131.0, "Short start. " + long)
    assert cues[0] == Cue(100.5, 101.5, "Short start.")
    assert len(cues) > 2 and cues[1].start == 102.0 and cues[-1].end == 130.0
    assert all(c.end - c.start <= 7.002 for c in cues)


def test_cuts_prefer_sentence_ends() -> None:
    text = "Yes, I think that works. Then the rest of what I said keeps going for a while."
    cues = utterance_cues(0.0, 5.0, text, [], max_chars=60)
    assert [c.text for c in cues] == ["Yes, I think that works.",
                                      "Then the rest of what I said keeps going for a while."]


def test_a_word_longer_than_a_cue_stays_whole() -> None:
    text = "see " + "x" * 100 + " there"
    cues = utterance_cues(0.0, 3.0, text, [], max_chars=20)
    check(cues, 0.0, 3.0, text, max_chars=20)
    assert "x" * 100 in [c.text for c in cues]


@pytest.mark.parametrize(("start", "end"), [(5.0, 5.0), (5.0, 5.002), (5.0, 4.0)])
def test_spans_too_short_still_give_positive_ordered_cues(start: float, end: float) -> None:
    cues = utterance_cues(start, end, "one two three four five six seven", [], max_chars=10)
    check(cues, start, end, "one two three four five six seven", max_chars=10)


def test_whitespace_is_normalised_and_empty_text_gives_no_cues() -> None:
    assert utterance_cues(0.0, 1.0, " \n\t ", []) == []
    cues = utterance_cues(0.0, 1.0, "  one\n\ntwo\r\n\u2028three ", [])
    assert [c.text for c in cues] == ["one two three"]


def test_random_utterances_and_segments_keep_every_promise() -> None:
    rng = random.Random(3)
    for _ in range(300):
        text = words(rng, rng.randint(1, 80))
        ws = text.split()
        start = rng.uniform(0, 10_000)
        end = start + rng.choice([0.0, 0.01, rng.uniform(0.3, 40)])
        cuts = sorted(rng.sample(range(1, len(ws)), min(len(ws) - 1, rng.randint(0, 6))))
        bounds = [0, *cuts, len(ws)]
        t = 0.0
        segs = []
        for a, b in itertools.pairwise(bounds):
            seg_start = t + rng.uniform(-0.3, 1)
            t = seg_start + rng.uniform(0, 8)
            junk = rng.random() < 0.1
            segs.append(Segment(rng.choice([math.nan, -3.0, 1e9]) if junk else seg_start, t,
                                " ".join(ws[a:b])))
        max_chars = rng.choice([20, 42, 84])
        check(utterance_cues(start, end, text, segs, max_chars=max_chars), start, end, text,
              max_chars=max_chars)


# --- formats -----------------------------------------------------------------------------


def test_timestamps_past_an_hour() -> None:
    cue = Cue(3725.042, 36061.5, "late")
    assert srt_cue(7, cue) == "7\n01:02:05,042 --> 10:01:01,500\nlate\n\n"
    assert vtt_cue(cue) == "01:02:05.042 --> 10:01:01.500\nlate\n\n"


def test_markup_and_arrows_cannot_break_the_files() -> None:
    cue = Cue(1.0, 2.0, "a < b & c --> d")
    assert parse_vtt(to_vtt([cue])) == [cue]
    assert "--&gt;" in vtt_cue(cue)
    srt = srt_cue(1, cue)
    assert srt.count("-->") == 1  # only the timing line's
    assert parse_srt(srt) == [Cue(1.0, 2.0, "a < b & c -> d")]
    assert "-->" not in srt_cue(1, Cue(1.0, 2.0, "x ----> y")).splitlines()[2]


def test_line_breaks_in_text_cannot_fake_a_block() -> None:
    nasty = "one\n\n2\n00:00:09,000 --> 00:00:10,000\r\nfake\u2028end"
    for parsed in (parse_srt(srt_cue(1, Cue(0.0, 1.0, nasty))),
                   parse_vtt(vtt_header() + vtt_cue(Cue(0.0, 1.0, nasty)))):
        assert len(parsed) == 1 and parsed[0].start == 0.0 and parsed[0].end == 1.0
        assert parsed[0].text.split()[:2] == ["one", "2"] and parsed[0].text.endswith("end")


def test_an_empty_cue_is_refused() -> None:
    with pytest.raises(ValueError):
        srt_cue(1, Cue(0.0, 1.0, " \n "))
    with pytest.raises(ValueError):
        vtt_cue(Cue(0.0, 1.0, ""))


def test_files_written_cue_by_cue_are_valid_after_every_cue() -> None:
    cues = utterance_cues(0.0, 30.0, words(random.Random(4), 120), [])
    srt, vtt = "", vtt_header()
    for i, cue in enumerate(cues, 1):
        srt += srt_cue(i, cue)
        vtt += vtt_cue(cue)
        assert parse_srt(srt) == cues[:i] and parse_vtt(vtt) == cues[:i]
    assert srt == to_srt(cues) and vtt == to_vtt(cues)
    assert parse_vtt(to_vtt([])) == [] and to_srt([]) == ""


def test_text_is_one_line_per_utterance() -> None:
    assert to_text(["Hello  there.", "", " \n", "General\nKenobi."]) == (
        "Hello there.\nGeneral Kenobi.\n")
    assert to_text([]) == ""


def test_json_document_shape() -> None:
    cues = [*utterance_cues(0.5, 3.0, "Hello there.", []),
            *utterance_cues(4.0, 9.0, "General Kenobi, you are a bold one.", [], max_chars=20)]
    doc = json.loads(to_json(cues, 9.8765))
    assert set(doc) == {"text", "duration", "segments"}
    assert doc["text"] == "Hello there. General Kenobi, you are a bold one."
    assert doc["duration"] == 9.877
    assert [set(s) for s in doc["segments"]] == [{"id", "start", "end", "text"}] * len(cues)
    assert [s["id"] for s in doc["segments"]] == list(range(len(cues)))
    assert [Cue(s["start"], s["end"], s["text"]) for s in doc["segments"]] == cues
    assert " ".join(s["text"] for s in doc["segments"]) == doc["text"]
    assert json.loads(to_json([], 0.0)) == {"text": "", "duration": 0.0, "segments": []}


def test_heard_cues_start_at_speech_and_end_with_it() -> None:
    from dictation.output.subtitles import heard_cues
    from dictation.records import Transcribed

    # One segment spanning the audio sent (pre-roll and trailing silence included): the cue
    # is cut to the speech the VAD heard, at both ends, also when it is the only cue.
    one = Transcribed(1, "Hello there.", 0.2, 4.6, 0.7, 4.5, (Segment(0.0, 4.4, "Hello there."),))
    assert heard_cues(one) == [Cue(0.7, 4.5, "Hello there.")]
    two = Transcribed(2, "Hello there. General Kenobi.", 1.0, 9.0, 1.5, 8.5,
                      (Segment(0.0, 3.0, "Hello there."), Segment(3.0, 8.0, "General Kenobi.")))
    assert heard_cues(two) == [Cue(1.5, 4.0, "Hello there."), Cue(4.0, 8.5, "General Kenobi.")]
