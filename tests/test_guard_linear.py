"""Hostile answers meet linear text checks: loop cutting agrees with the plain algorithm it
replaced, the text bound follows the audio, and no check is super-linear on a 1 MB answer.

Speed itself is measured in bench/guard_speed.py; the time limits here only catch an
algorithm that is quadratic or worse, which on 1 MB would take minutes to hours."""

from __future__ import annotations

import json
import random
import time
import unicodedata
from collections.abc import Callable

import pytest

from dictation.records import Heard
from dictation.text.guard import cut_loops, drop_reason, judge, max_chars, normalize
from dictation.text.loops import MAX_UNIT_WORDS, _min_repeats, find_loops, word_ids
from dictation.text.sanitize import sanitize
from dictation.transcribe.response import parse

LOUD = Heard(30.0, 0.5)
MB = 1_000_000


def plain_cut_loops(text: str) -> str:
    """The algorithm cut_loops had before: every unit length at every position (cubic)."""
    words = text.split()
    keys = [normalize(w) for w in words]
    out: list[str] = []
    i = 0
    while i < len(words):
        for n in range(1, (len(words) - i) // 2 + 1):
            unit = keys[i:i + n]
            if not any(unit):
                continue
            reps = 1
            while keys[i + reps * n:i + (reps + 1) * n] == unit:
                reps += 1
            if reps >= _min_repeats(n):
                out += words[i:i + n]
                i += reps * n
                rest = keys[i:]
                if rest and len(rest) < n and rest == unit[:len(rest)]:
                    i = len(words)
                break
        else:
            out.append(words[i])
            i += 1
    return " ".join(out)


VOCAB = ["a", "A", "a,", "b", "B.", "c", "—", "...", "don't", "don't-stop", "Don't,stop", "é",
         "É!", "ß", "x_y", "'", "İ", "i̇", "5", "5.0"]
SEPARATORS = [" ", "  ", "\t", "\n", " \u2003 ", "\x1c"]


def random_text(rng: random.Random) -> str:
    words = [rng.choice(VOCAB[:rng.randint(2, len(VOCAB))]) for _ in range(rng.randint(0, 40))]
    if words and rng.random() < 0.7:  # a loop somewhere, maybe with a stub after it
        unit = words[:rng.randint(1, 6)]
        at = rng.randint(0, len(words))
        words[at:at] = unit * rng.randint(2, 7) + unit[:rng.randint(0, len(unit))]
    return "".join(w + rng.choice(SEPARATORS) for w in words)


def test_loop_cutting_agrees_with_the_plain_algorithm() -> None:
    rng = random.Random(12)
    for _ in range(3000):
        text = random_text(rng)
        assert find_loops(text).kept == plain_cut_loops(text), repr(text)


def test_word_ids_follow_normalised_words() -> None:
    rng = random.Random(7)
    for _ in range(300):
        text = random_text(rng)
        ids, keys = word_ids(text).tolist(), [normalize(w) for w in text.split()]
        assert len(ids) == len(keys), repr(text)
        for a in range(len(keys)):
            for b in range(a):
                assert (ids[a] == ids[b]) == (keys[a] == keys[b]), (keys[a], keys[b])


def test_what_a_cut_says_about_itself() -> None:
    only = find_loops("— " + "so we went, " * 5 + "so we")
    assert (only.kept, only.loops, only.only) == ("— so we went,", 1, True)
    around = find_loops("Yes. " + "Send it today. " * 4 + "Thanks.")
    assert (around.loops, around.only) == (1, False)
    two = find_loops("a " * 6 + "b " * 6)
    assert (two.kept, two.loops, two.only) == ("a b", 2, False)


def test_a_unit_longer_than_the_longest_looked_for_is_caught_by_compression() -> None:
    unit = " ".join(f"word{i}" for i in range(MAX_UNIT_WORDS + 10)) + "."
    text = " ".join([unit] * 3)
    assert cut_loops(text) == text  # too long a unit to be looked for ...
    assert drop_reason(text, "", 30.0) == "it repeats itself"  # ... yet never typed
    short = " ".join([" ".join(unit.split()[:MAX_UNIT_WORDS])] * 3)
    assert len(cut_loops(short).split()) == MAX_UNIT_WORDS  # the longest one is cut


# --- the text bound ------------------------------------------------------------------------

def test_the_bound_grows_with_the_audio() -> None:
    assert max_chars(0.0) == 40
    assert max_chars(1.0) == 110
    assert max_chars(30.0) == 2140
    # The fastest speech measured, 33 characters a second, is half the bound or less.
    for seconds in (0.5, 2.0, 10.0, 30.0):
        assert 33 * seconds * 2 <= max_chars(seconds)


def test_an_answer_longer_than_the_audio_allows_is_made_up() -> None:
    said = "Please remind me to water the plants on the balcony before Friday."  # 66 chars
    assert not judge(said, "", LOUD, audio_s=3.0).made_up
    more = f"{said} The meeting has been moved to Thursday. Could you send me the figures?"
    v = judge(more, "", LOUD, audio_s=1.0)
    assert v.made_up and v.reason == "137 characters for 1.0 s of audio, where at most 110 " \
                                     "can be said"
    assert judge(more, "", LOUD, audio_s=1.5).reason is None
    # A loop is cut first: the real words before it stay within the bound and come out.
    looped = judge(said + " " + "and then " * 300, "", LOUD, audio_s=3.0)
    assert not looped.made_up and looped.reason is None
    assert looped.text == said + " and then"
    # Far beyond any loop a model could decode: refused before any other work.
    flood = judge("x" * MB, "", LOUD, audio_s=11.7)
    assert flood.made_up and flood.text == "" and flood.reason.startswith("1000000 characters")
    many = " ".join(f"{more} ({i})" for i in range(100))
    assert not judge(many, "", LOUD).made_up  # no audio length, no bound


# --- nothing super-linear ------------------------------------------------------------------

def _hostile() -> dict[str, str]:
    rng = random.Random(3)
    return {
        "distinct words": " ".join(f"word{i}" for i in range(MB // 8))[:MB],
        "one word": "the " * (MB // 4),
        "a phrase": "I'm going to go to the " * (MB // 23),
        "short loops": " ".join(f"x{i} " * 5 for i in range(MB // 30)),
        "two words": " ".join(rng.choice("ab") for _ in range(MB // 2)),
        "brackets": "[" * MB,
        "parentheses": "(" * MB + " word",
        "newlines": "\n" * MB,
        "escapes": "\x1b]" + "x" * MB,
        "csi digits": "\x1b[" + "0" * MB,
        "tags": "1\n00:00:00,000 --> 00:00:01,000\n" + "<" * MB,
        "timing prefixes": "0:00.000\n" * (MB // 9),
        "controls": "\u202e\x07a" * (MB // 3),
        "non-ascii": " ".join(f"wörd{i % 5000}" for i in range(MB // 9)),
    }


def _seconds(fn: Callable[[], object]) -> float:
    began = time.perf_counter()
    fn()
    return time.perf_counter() - began


@pytest.mark.parametrize("shape", list(_hostile()))
def test_no_text_check_is_super_linear(shape: str) -> None:
    text = _hostile()[shape]
    body = json.dumps({"text": text}).encode()
    checks = {
        "judge": lambda: judge(text, "the new dashboard", LOUD),  # no audio: no bound
        "sanitize": lambda: sanitize(text),
        "json": lambda: parse(body, "json"),
        "srt": lambda: parse(text.encode(), "srt"),
        "text": lambda: parse(text.encode(), "text"),
    }
    for name, check in checks.items():
        # Measured: well under a second each on a loaded 2-core machine (bench/hostile.md).
        # Quadratic work on 1 MB would be 10^12 steps; 20 s only catches that.
        assert _seconds(check) < 20, (shape, name)


def test_sanitize_agrees_with_a_character_by_character_reading() -> None:
    def plain(text: str) -> str:
        kept = []
        for ch in text:
            cat = unicodedata.category(ch)
            if ch in "\t\n\r\v\f":
                kept.append(" ")
            elif not (cat == "Cc" or (cat == "Cf" and ch != "\u200d")):
                kept.append(ch)
        return " ".join("".join(kept).split())

    rng = random.Random(5)
    alphabet = "ab é\t\n\r\x0b\x0c\x1c\x85\xa0\u2003\u200b\u200d\u202e\u2066\x07\x00😀"
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        assert sanitize(text) == plain(text), repr(text)


def test_more_segments_than_characters_is_made_up() -> None:
    from dictation.transcribe import Segment

    many = tuple(Segment(i * 0.01, i * 0.01 + 0.01, "") for i in range(200))
    v = judge("Hi.", "", LOUD, many, audio_s=1.0)
    assert v.made_up and v.reason == "200 segments for 1.0 s of audio"
    assert not judge("Hi.", "", LOUD, many[:100], audio_s=1.0).made_up


def test_hostile_json_is_one_error_not_a_crash() -> None:
    from dictation.errors import TranscriptionError

    for body in (b"[" * 100_000, b'{"text": ' + b"[" * 100_000):
        with pytest.raises(TranscriptionError, match="nested too deeply"):
            parse(body, "json")
    # Python's json reads NaN, Infinity and 1e999: none is a time or a probability.
    t = parse(b'{"text": "a", "segments": [{"start": NaN, "end": 1e999, "text": "x", '
              b'"avg_logprob": Infinity, "no_speech_prob": -Infinity}]}', "verbose_json")
    s = t.segments[0]
    assert (s.start, s.end, s.avg_logprob, s.no_speech_prob) == (0.0, 0.0, None, None)
