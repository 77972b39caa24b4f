"""Parsing server answers into clean text: the five formats, liberal inputs, hostile text."""

from __future__ import annotations

import json
import random
import unicodedata

import pytest

from dictation.errors import TranscriptionError
from dictation.text.sanitize import sanitize
from dictation.transcribe.engines import FORMATS
from dictation.transcribe.response import parse

SRT = (b"1\n00:00:00,000 --> 00:00:02,500\nHello there.\n\n"
       b"2\n00:00:02,500 --> 00:00:05,000\nGeneral Kenobi.\n")
VTT = (b"WEBVTT\n\n00:00:00.000 --> 00:00:02.500\nHello there.\n\n"
       b"00:00:02.500 --> 00:00:05.000\nGeneral Kenobi.\n")
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"


def is_clean(text: str) -> bool:
    """One line a terminal, clipboard or typing tool can take as plain text."""
    return all(unicodedata.category(ch) not in ("Cc", "Zl", "Zp")
               and (unicodedata.category(ch) != "Cf" or ch == "\u200d") for ch in text)


# --- the five formats --------------------------------------------------------------------


def test_formats_are_the_five_the_api_defines() -> None:
    assert set(FORMATS) == {"json", "text", "srt", "verbose_json", "vtt"}


@pytest.mark.parametrize(("fmt", "body"), [
    ("json", b'{"text": " Hello there. General Kenobi."}'),
    ("text", b"Hello there. General Kenobi.\n"),
    ("srt", SRT),
    ("vtt", VTT),
    ("verbose_json", json.dumps({
        "task": "transcribe", "language": "english", "duration": 5.0,
        "text": "Hello there. General Kenobi.",
        "segments": [{"id": 0, "start": 0.0, "end": 2.5, "text": " Hello there."},
                     {"id": 1, "start": 2.5, "end": 5.0, "text": " General Kenobi."}],
    }).encode()),
])
def test_each_format_gives_the_same_text(fmt: str, body: bytes) -> None:
    assert parse(body, fmt).text == "Hello there. General Kenobi."


def test_verbose_json_keeps_segment_details() -> None:
    body = json.dumps({"text": "Hi. Bye.", "segments": [
        {"start": 0, "end": 1.5, "text": " Hi.", "avg_logprob": -0.2, "no_speech_prob": 0.01,
         "temperature": 1.0},
        {"start": 1.5, "end": 3, "text": " Bye.", "avg_logprob": "bad", "no_speech_prob": True},
        {"start": 3, "end": 4},  # no text: skipped, not a crash
        "garbage",
    ]}).encode()
    segs = parse(body, "verbose_json").segments
    assert [(s.start, s.end, s.text) for s in segs] == [(0.0, 1.5, "Hi."), (1.5, 3.0, "Bye.")]
    assert segs[0].avg_logprob == -0.2 and segs[0].no_speech_prob == 0.01
    assert segs[0].temperature == 1.0 and segs[1].temperature is None
    assert segs[1].avg_logprob is None and segs[1].no_speech_prob is None


def test_srt_with_crlf_and_multiline_cues() -> None:
    body = (b"1\r\n00:00:00,000 --> 00:00:02,000\r\nFirst half\r\nof a cue.\r\n\r\n"
            b"2\r\n00:00:02,000 --> 00:00:04,000\r\nNext.\r\n")
    assert parse(body, "srt").text == "First half of a cue. Next."


def test_empty_answers_are_empty_text() -> None:
    assert parse(b'{"text": ""}', "json").text == ""
    assert parse(b"", "text").text == ""
    assert parse(b"WEBVTT\n\n", "vtt").text == ""


# --- liberal input -----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "srt", "vtt"])
def test_json_answer_to_a_text_request(fmt: str) -> None:
    # Some servers (gpt-4o-transcribe, proxies) answer JSON whatever was asked.
    assert parse(b'  {"text": "Just JSON."}\n', fmt).text == "Just JSON."


def test_segments_without_top_level_text() -> None:
    body = b'{"segments": [{"start": 0, "end": 1, "text": " One."}, {"text": " Two."}]}'
    for fmt in ("json", "verbose_json"):
        assert parse(body, fmt).text == "One. Two."


def test_vtt_notes_styles_and_tags_are_not_text() -> None:
    body = (b"WEBVTT - made by some server\nKind: captions\n\n"
            b"NOTE this is a comment\nspanning two lines\n\n"
            b"STYLE\n::cue { color: red }\n\n"
            b"00:00:00.000 --> 00:00:01.500 align:start position:10%\n"
            b"<v Roger>Hello</v> <00:00:00.800><c.loud>world</c>\n\n"
            b"00:01.500 --> 00:03.000\n<i>again</i>\n")
    assert parse(body, "vtt").text == "Hello world again"


def test_vtt_cue_identifiers_are_not_text() -> None:
    # A cue may start with an identifier line (any text without "-->"), per WebVTT.
    body = (b"WEBVTT\n\nintro\n00:00:00.000 --> 00:00:01.000\nHello.\n\n"
            b"cue-2\n00:00:01.000 --> 00:00:02.000\nAgain.\n")
    assert parse(body, "vtt").text == "Hello. Again."


def test_vtt_character_references_are_decoded() -> None:
    # WebVTT escapes & < > in cue text; the user said "&", not "&amp;".
    body = b"WEBVTT\n\n00:00.000 --> 00:01.000\nSalt &amp; pepper &lt;3\n"
    assert parse(body, "vtt").text == "Salt & pepper <3"


def test_cues_answered_to_a_text_request() -> None:
    # A server that ignores response_format=text and answers subtitles: still just text.
    assert parse(SRT, "text").text == "Hello there. General Kenobi."


def test_utf8_bom_is_accepted() -> None:
    assert parse(b"\xef\xbb\xbfHello.", "text").text == "Hello."
    assert parse(b'\xef\xbb\xbf{"text": "Hello."}', "json").text == "Hello."


def test_non_ascii_text_survives() -> None:
    text = "Grüße, 東京 — naïve café 👩\u200d💻"
    assert parse(json.dumps({"text": text}).encode(), "json").text == text
    assert parse(text.encode(), "text").text == text


# --- what cannot be used -----------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_non_utf8_is_one_clear_error(fmt: str) -> None:
    with pytest.raises(TranscriptionError) as err:
        parse("Grüße aus Köln".encode("latin-1"), fmt)
    assert "UTF-8" in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize(("body", "words"), [
    (b"<html>502 Bad Gateway</html>", "not JSON"),
    (b'{"foo": 1, "bar": 2}', "bar, foo"),
    (b'{"text": 42}', "text"),
    (b"[1, 2]", "'text'"),
    (b"null", "'text'"),
    (b'"just a string"', "'text'"),
])
def test_unusable_json_is_a_transcription_error(body: bytes, words: str) -> None:
    for fmt in ("json", "verbose_json"):
        with pytest.raises(TranscriptionError) as err:
            parse(body, fmt)
        msg = str(err.value)
        assert words in msg and "\n" not in msg
        assert not err.value.retryable and not err.value.fatal


def test_error_preview_of_a_hostile_body_is_clean() -> None:
    with pytest.raises(TranscriptionError) as err:
        parse(b"\x1b]0;owned\x07<html>\x1b[2J" + b"x" * 500, "json")
    msg = str(err.value)
    assert "\x1b" not in msg and "\x07" not in msg and len(msg) < 200


def test_random_bodies_never_crash_or_leak_controls() -> None:
    # Whatever a broken server sends, the result is clean text or a TranscriptionError.
    rng = random.Random(1234)
    pieces = [b"{", b"}", b'"text"', b":", b"\x1b", b"[", b"]", b"\x07", b"\x9b", b"\xc2\x9b",
              b"-->", b"00:00:01,000", b"\n", b"WEBVTT", b"NOTE", b"<b>", b"a", b"\xff", b"1"]
    for _ in range(3000):
        body = b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 20)))
        for fmt in FORMATS:
            try:
                result = parse(body, fmt)
            except TranscriptionError:
                continue
            assert is_clean(result.text), (body, fmt, result.text)
            assert all(is_clean(s.text) for s in result.segments)


# --- sanitize ----------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "clean"), [
    ("\x1b[31mred\x1b[0m text", "red text"),  # CSI colours
    ("a\x1b[2J\x1b[Hb", "ab"),  # clear screen, cursor home
    ("a\x1b[?1049hb", "ab"),  # private-mode CSI
    ("x\x1b]0;window title\x07y", "xy"),  # OSC ended by BEL
    ("x\x1b]8;;https://evil.example/\x1b\\link\x1b]8;;\x1b\\y", "xlinky"),  # OSC 8, ST
    ("x\x1b]52;c;cm0gLXJmIH4=\x07y", "xy"),  # OSC 52 writes the clipboard
    ("a\x9b31mb", "ab"),  # 8-bit CSI
    ("a\x1bPq#0;2;0;0;0\x1b\\b", "ab"),  # DCS (sixel)
    ("a\x1b_apc\x1b\\b", "ab"),  # APC
    ("a\x1bcb", "ab"),  # RIS: full terminal reset
    ("a\x1b(0b", "ab"),  # charset switch
    ("trailing\x1b", "trailing"),
    ("bell\x07 back\x08space del\x7f nul\x00", "bell backspace del nul"),
    ("c1\x85\x90\x9c\x9d\x9f", "c1"),
    ("line one\nline two\r\nthree\tfour\x0b\x0cfive", "line one line two three four five"),
    ("para\u2028sep\u2029end", "para sep end"),
    ("  many   spaces  ", "many spaces"),
])
def test_sanitize_strips_escapes_and_controls(raw: str, clean: str) -> None:
    assert sanitize(raw) == clean


def test_sanitize_strips_bidi_overrides() -> None:
    # "Trojan source": reversed display could hide what is actually typed.
    assert sanitize(f"abc\u202edcba\u202c{BIDI}z") == "abcdcbaz"


def test_sanitize_keeps_text_that_only_looks_odd() -> None:
    assert sanitize("[31m is not an escape; 100% ~ok") == "[31m is not an escape; 100% ~ok"
    assert sanitize("family: 👨\u200d👩\u200d👧") == "family: 👨\u200d👩\u200d👧"  # ZWJ kept
    assert sanitize("日本語のテキスト") == "日本語のテキスト"


def test_sanitize_output_is_always_clean() -> None:
    rng = random.Random(99)
    alphabet = ("\x1b", "[", "]", "\x07", "\\", "P", "_", "\x9b", "\x9d", "\x9c", ";", "0", "m",
                "a", " ", "\n", "\r", "\t", "\x00", "\x7f", "\u202e", "\u2066", "\ufeff",
                "\u200b", "\u2028", "é", "👍", "\u200d")
    for _ in range(5000):
        raw = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        out = sanitize(raw)
        assert is_clean(out), (raw, out)
        assert out == out.strip() and "  " not in out
        assert sanitize(out) == out  # idempotent: sanitising twice changes nothing


@pytest.mark.parametrize("body", [b'{"text": "this answer is cut sh', b'{"segments": [{"te',
                                  '{"text": "Grüß'.encode()[:-1]])
def test_an_answer_cut_short_is_retried(body: bytes) -> None:
    # A proxy or a connection that closed early: asked again, the server answers whole.
    with pytest.raises(TranscriptionError) as err:
        parse(body, "verbose_json")
    assert err.value.retryable and not err.value.fatal
