"""The API transcriber against a real third-party server: faster-whisper-server + tiny.en."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from local_server import running_server

from dictation.audio.codec import read_wav
from dictation.errors import TranscriptionError
from dictation.transcribe.api import ApiTranscriber
from dictation.transcribe.engines import ApiConfig

pytestmark = pytest.mark.real  # real parts: processes, servers, the model


def words(text: str) -> list[str]:
    return re.sub(r"[^a-z0-9' ]", " ", text.lower()).split()


def transcribe(url: str, wav: Path, prompt: str = "", **kw: object):
    async def go():
        t = ApiTranscriber(ApiConfig(base_url=url, api_key="test-key", **kw))
        try:
            return await t.transcribe(read_wav(wav), prompt)
        finally:
            await t.aclose()

    return asyncio.run(go())


def test_real_server_transcribes_generated_speech(server_url: str, say: Callable) -> None:
    sentence = "The quick brown fox jumps over the lazy dog."
    result = transcribe(server_url, say(sentence))
    assert words(result.text) == words(sentence)


def test_a_server_told_how_to_decode_answers_as_the_bench_starts_it(say: Callable) -> None:
    # The bench's `--server-compute int8 --server-beam 1`: a config file of the server's own.
    with running_server(compute_type="int8", beam_size=1) as url:
        result = transcribe(url, say("Please water the plants on the balcony every morning."))
    assert {"plants", "balcony", "morning"} <= set(words(result.text))  # greedy tiny.en


def test_verbose_json_keeps_segments(server_url: str, say: Callable) -> None:
    wav = say("Please water the plants on the balcony every morning.", voice="en-us")
    result = transcribe(server_url, wav, response_format="verbose_json")
    assert "plants" in words(result.text)
    assert result.segments
    seg = result.segments[0]
    assert 0 <= seg.start < seg.end <= 5.0
    assert seg.no_speech_prob is not None and seg.avg_logprob is not None


def test_real_server_rejecting_a_format_is_one_clear_error(server_url: str,
                                                           say: Callable) -> None:
    # faster-whisper-server has no srt: a 400 with its own message, not a crash.
    wav = say("Hello there.")
    with pytest.raises(TranscriptionError) as err:
        transcribe(server_url, wav, response_format="srt")
    assert "HTTP 400" in str(err.value) and "srt" in str(err.value)
    assert not err.value.retryable and not err.value.fatal


def test_default_format_brings_segment_scores(server_url: str, say: Callable) -> None:
    # No format chosen: verbose_json is asked for, and this server answers it.
    wav = say("Please water the plants on the balcony every morning.", voice="en-us")
    result = transcribe(server_url, wav)
    assert "plants" in words(result.text)
    assert result.segments and result.segments[0].no_speech_prob is not None
