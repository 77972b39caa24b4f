"""The API engine against broken or hostile servers and bad input, through the real CLI:
413 splits the utterance, oversized and non-UTF-8 answers, plain HTTP, TLS with a real
self-signed certificate, response format fallback, and the key never shown.

Each failure the user sees is exactly one clear line (``one_clear_line``), and audio that
could not become text is kept.
"""

from __future__ import annotations

import base64
import json
import subprocess
import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from conftest import dictation_cmd, one_clear_line
from faultserver import FaultServer, Reply, Request, json_text, numbered
from test_api_faults import SAMPLE, Cli, sent_pcm

from dictation.errors import ConfigError
from dictation.transcribe.api import split_point
from dictation.transcribe.endpoint import check_endpoint

BIG = 5_000_000


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path)


@pytest.fixture
def one_utterance(tmp_path: Path) -> Path:
    """The sample's first sentence alone: a run sends exactly one utterance."""
    out = tmp_path / "one.wav"
    with wave.open(str(SAMPLE)) as src, wave.open(str(out), "wb") as dst:
        dst.setparams(src.getparams())
        dst.writeframes(src.readframes(int(5.4 * src.getframerate())))
    return out


def size_limited(limit: int) -> Callable[[Request], Reply]:
    """A server whose request size limit is ``limit`` bytes of WAV."""
    def answer(req: Request) -> Reply:
        if len(req.files["file"][2]) > limit:
            return Reply(413, {"Content-Type": "text/html"}, "<h1>Request Entity Too Large</h1>")
        return json_text(f"part {req.index}")
    return answer


# --- 413: split and resend -------------------------------------------------------------


def test_413_splits_the_utterance_at_a_pause_and_joins_the_texts(cli: Cli) -> None:
    limit = 100_000  # about 3.1 s of audio: each spoken sentence of the sample is longer
    with FaultServer(default=size_limited(limit)) as srv:
        r = cli(srv.url)
    assert r.rc == 0, r.stderr
    assert r.kept == []
    refused = [q for q in srv.requests if len(q.files["file"][2]) > limit]
    parts = [q for q in srv.requests if q not in refused]
    lines = r.stdout.splitlines()
    assert len(lines) == 2
    # Each line joins its parts in order; together the parts are both utterances exactly.
    assert " ".join(lines) == " ".join(f"part {q.index}" for q in parts)
    assert all(len(sent_pcm(q)) >= 16000 for q in parts)  # no piece under a second
    first = refused[0]
    n = len(lines[0].split("part")) - 1
    joined = np.concatenate([sent_pcm(q) for q in parts[:n]])
    assert np.array_equal(joined, sent_pcm(first))  # nothing lost, nothing doubled
    cut = len(sent_pcm(parts[0]))
    pcm = sent_pcm(first).astype(np.float64)
    at_cut = np.sqrt(np.mean(pcm[cut - 240:cut + 240] ** 2))
    assert at_cut < 0.1 * np.sqrt(np.mean(pcm ** 2))  # cut at a pause, not mid-word
    assert parts[1].fields["prompt"].endswith(f"part {parts[0].index}")  # continues
    assert len(refused) <= 2  # the limit is remembered: later utterances go in parts at once
    info = [ln for ln in r.stderr.splitlines() if "413" in ln]
    assert len(info) == 1 and "split" in info[0], r.stderr


def test_413_below_a_second_is_one_line_and_keeps_the_audio(cli: Cli,
                                                            one_utterance: Path) -> None:
    with FaultServer(default=size_limited(20_000)) as srv:  # 0.6 s: nothing fits
        r = cli(srv.url, "-q", input=one_utterance)
    assert r.rc == 1 and r.stdout == ""
    line = one_clear_line(r.stderr)
    assert "413" in line and "too large" in line and "audio kept in" in line
    assert 2 <= len(srv.requests) <= 4  # halved down to about a second, then given up
    assert all(len(sent_pcm(q)) >= 16000 for q in srv.requests)
    assert [p.read_bytes() for p in r.kept] == [srv.requests[0].files["file"][2]]


def test_split_point_is_the_quietest_place_near_the_middle() -> None:
    rng = np.random.default_rng(1)
    loud = (rng.standard_normal(16000 * 4) * 3000).astype(np.int16)
    gap = loud.copy()
    gap[int(1.6 * 16000):int(1.8 * 16000)] = 0  # a pause at 40 %
    assert 1.6 * 16000 <= split_point(gap, 16000) < 1.8 * 16000
    early = loud.copy()
    early[int(0.2 * 16000):int(0.4 * 16000)] = 0  # outside the middle third: not taken
    assert 4 * 16000 / 3 - 480 <= split_point(early, 16000) <= 8 * 16000 / 3
    two_s = loud[:32000]
    assert split_point(two_s, 16000) == 16000  # both halves at least the minimum


# --- oversized and undecodable answers ---------------------------------------------------


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_5_mb_answer_is_one_line_and_keeps_the_audio(cli: Cli, one_utterance: Path,
                                                        chunked: bool) -> None:
    headers = {"Content-Type": "application/json"}
    if chunked:
        headers["Transfer-Encoding"] = "chunked"  # no length announced: it must be counted
    body = json.dumps({"text": "word " * (BIG // 5)}).encode()
    with FaultServer(default=Reply(200, headers, body)) as srv:
        r = cli(srv.url, "-q", input=one_utterance)
    assert r.rc == 1 and r.stdout == ""
    line = one_clear_line(r.stderr)
    assert "more than 1 MB" in line and "audio kept in" in line
    assert len(r.kept) == 1


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_5_mb_error_body_is_cut_to_one_short_line(cli: Cli, one_utterance: Path,
                                                    chunked: bool) -> None:
    headers = {"Transfer-Encoding": "chunked"} if chunked else {}
    with FaultServer([Reply(500, headers, b"overloaded " * (BIG // 11))],
                     default=json_text("after the flood")) as srv:
        r = cli(srv.url, input=one_utterance)
    assert r.rc == 0, r.stderr
    assert r.stdout == "after the flood\n"
    [warning] = [ln for ln in r.stderr.splitlines() if "HTTP 500" in ln]
    assert "retrying" in warning and len(warning) < 300
    assert len(r.stderr) < 2000


def test_invalid_utf8_is_one_line_and_keeps_the_audio(cli: Cli, one_utterance: Path) -> None:
    body = b'{"text": "caf\xe9 \xff\xfe ok"}'  # Latin-1 and stray bytes, not UTF-8
    with FaultServer(default=Reply(200, {"Content-Type": "application/json"}, body)) as srv:
        r = cli(srv.url, "-q", input=one_utterance)
    assert r.rc == 1 and r.stdout == ""
    line = one_clear_line(r.stderr)
    assert "not UTF-8" in line and "audio kept in" in line
    assert len(srv.requests) == 1 and len(r.kept) == 1


# --- plain HTTP --------------------------------------------------------------------------


def test_plain_http_to_another_machine_is_refused_before_anything_starts(cli: Cli) -> None:
    # An unknown device as input: had anything been opened, that would be the error.
    r = cli("http://speech.example.com", input="no-such-mic-xyz")
    assert r.rc == 2
    line = one_clear_line(r.stderr)
    assert "speech.example.com" in line and "--allow-insecure-http" in line
    assert "device" not in line


def test_allow_insecure_http_from_the_option_or_the_config_file(cli: Cli,
                                                                 tmp_path: Path) -> None:
    for extra, env in ((("--allow-insecure-http",), {}),
                       ((), {"DICTATION_CONFIG": str(tmp_path / "c.toml")})):
        (tmp_path / "c.toml").write_text("allow-insecure-http = true\n")
        cli.env.update(env)
        r = cli("http://speech.example.com", *extra, input="no-such-mic-xyz")
        line = one_clear_line(r.stderr)
        assert "device" in line and "insecure" not in line  # got past the check


@pytest.mark.parametrize("url", ["http://localhost:8000", "http://127.0.0.1:9/v1",
                                 "http://127.8.9.10", "http://[::1]:8000/v1",
                                 "https://speech.example.com", "speech.example.com"])
def test_loopback_and_https_need_no_permission(url: str) -> None:
    assert check_endpoint(url).endswith("/v1")


@pytest.mark.parametrize("url", ["http://10.0.0.5:8000", "http://localhost.example.com",
                                 "http://[::2]", "http://128.0.0.1"])
def test_plain_http_elsewhere_needs_permission(url: str) -> None:
    with pytest.raises(ConfigError, match="insecure"):
        check_endpoint(url)
    assert check_endpoint(url, allow_insecure_http=True).startswith("http://")


def test_a_redirect_to_plain_http_elsewhere_is_fatal(cli: Cli) -> None:
    away = Reply(307, {"Location": "http://192.0.2.1/v1/audio/transcriptions"})
    with FaultServer(default=away) as srv:
        r = cli(srv.url, "-q")
    assert r.rc == 1 and r.stdout == ""
    line = one_clear_line(r.stderr)
    assert "192.0.2.1" in line and "redirect" in line and "audio kept in" in line
    assert len(srv.requests) == 1  # fatal: the file is read no further
    assert [p.read_bytes() for p in r.kept] == [srv.requests[0].files["file"][2]]
