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
from conftest import dictation_cmd, one_clear_line, pulse_server
from faultserver import FaultServer, Reply, Request, json_text, numbered
from test_api_faults import SAMPLE, Cli, sent_pcm, spooled_pcm

from dictation.endpoint import check_endpoint
from dictation.errors import ConfigError
from dictation.transcribe.api import split_point

pytestmark = pytest.mark.real  # real parts: processes, servers, the model

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
        return json_text(f"Part {req.index}.")
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
    assert " ".join(lines) == " ".join(f"Part {q.index}." for q in parts)
    assert all(len(sent_pcm(q)) >= 16000 for q in parts)  # no piece under a second
    first = refused[0]
    n = len(lines[0].split("Part")) - 1
    joined = np.concatenate([sent_pcm(q) for q in parts[:n]])
    assert np.array_equal(joined, sent_pcm(first))  # nothing lost, nothing doubled
    cut = len(sent_pcm(parts[0]))
    pcm = sent_pcm(first).astype(np.float64)
    at_cut = np.sqrt(np.mean(pcm[cut - 240:cut + 240] ** 2))
    assert at_cut < 0.1 * np.sqrt(np.mean(pcm ** 2))  # cut at a pause, not mid-word
    assert parts[1].fields["prompt"].endswith(f"Part {parts[0].index}.")  # continues
    assert len(refused) <= 2  # the limit is remembered: later utterances go in parts at once
    info = [ln for ln in r.stderr.splitlines() if "HTTP 413" in ln]  # not a port's digits
    assert len(info) == 1 and "split" in info[0], r.stderr


def test_413_below_a_second_is_one_line_and_keeps_the_audio(cli: Cli,
                                                            one_utterance: Path) -> None:
    with FaultServer(default=size_limited(20_000)) as srv:  # 0.6 s: nothing fits
        r = cli(srv.url, "-q", input=one_utterance)
    assert r.rc == 1 and r.stdout == ""
    line = one_clear_line(r.stderr)
    assert "HTTP 413" in line and "too large" in line and "audio kept in" in line
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
    assert "more than" in line and "not reading it" in line and "audio kept in" in line
    assert len(r.kept) == 1


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_5_mb_error_body_is_cut_to_one_short_line(cli: Cli, one_utterance: Path,
                                                    chunked: bool) -> None:
    headers = {"Transfer-Encoding": "chunked"} if chunked else {}
    with FaultServer([Reply(500, headers, b"overloaded " * (BIG // 11))],
                     default=json_text("after the flood")) as srv:
        r = cli(srv.url, input=one_utterance)
    assert r.rc == 0, r.stderr
    assert r.stdout == "After the flood\n"  # the session's first words start a sentence
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


def test_allow_insecure_http_from_the_option_or_the_config_file(cli: Cli, tmp_path: Path,
                                                                 pulse: None) -> None:
    # The run gets past the check to the device lookup, which fails at once: with the sound
    # server reachable, a name no device has is a typo.
    cli.env["PULSE_SERVER"] = pulse_server()
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
    assert "192.0.2.1" in line and "redirect" in line
    assert len(srv.requests) == 1  # fatal: the file is read no further
    # Not a dead letter: the audio waits in the spool for a start with a safe server.
    assert r.kept == [] and r.spooled
    assert np.array_equal(spooled_pcm(r.spooled[0]), sent_pcm(srv.requests[0]))


# --- TLS ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    """A self-signed certificate for 127.0.0.1 (openssl) and a server context serving it."""
    import ssl

    d = tmp_path_factory.mktemp("tls")
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "2", "-subj", "/CN=dictation test",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return cert, ctx


def test_an_untrusted_certificate_is_one_fatal_line(cli: Cli, tls: tuple) -> None:
    with FaultServer(default=numbered(), tls=tls[1]) as srv:
        assert srv.url.startswith("https://")
        r = cli(srv.url, "-q")
    assert r.rc == 1 and r.stdout == ""
    line = one_clear_line(r.stderr)
    assert "TLS certificate of 127.0.0.1 not trusted" in line and "--ca-cert" in line
    assert srv.requests == []  # nothing crossed an untrusted connection
    assert r.kept == [] and r.spooled  # fatal, not retried; the audio waits in the spool


def test_ca_cert_or_ssl_cert_file_trusts_the_server(cli: Cli, tls: tuple) -> None:
    cert = str(tls[0])
    with FaultServer(default=numbered(), tls=tls[1]) as srv:
        r = cli(srv.url, "--ca-cert", cert)
        assert r.rc == 0, r.stderr
        assert r.stdout == "Utterance 1.\nUtterance 2.\n"
        cli.env["SSL_CERT_FILE"] = cert  # as httpx and OpenSSL tools read it
        r = cli(srv.url)
        assert r.rc == 0, r.stderr
        assert r.stdout == "Utterance 3.\nUtterance 4.\n"


@pytest.mark.parametrize("content", [None, "not a certificate\n"], ids=["missing", "not-pem"])
def test_a_bad_ca_cert_is_a_usage_error(cli: Cli, tmp_path: Path, content: str | None) -> None:
    path = tmp_path / "ca.pem"
    if content is not None:
        path.write_text(content)
    with FaultServer() as srv:
        r = cli(srv.url, "--ca-cert", str(path))
    assert r.rc == 2
    line = one_clear_line(r.stderr)
    assert str(path) in line and "CA certificate" in line
    assert srv.requests == []


# --- response format -------------------------------------------------------------------


def no_verbose_json(req: Request) -> Reply:
    """gpt-4o-transcribe's answer to verbose_json; json is fine."""
    if req.fields.get("response_format") == "verbose_json":
        return Reply(400, {"Content-Type": "application/json"}, json.dumps({"error": {
            "message": "response_format 'verbose_json' is not compatible with model "
                       "'gpt-4o-transcribe'. Use 'json' or 'text' instead.",
            "type": "invalid_request_error", "param": "response_format"}}))
    return json_text(f"Utterance {req.index}.")


def formats(srv: FaultServer) -> list[str]:
    return [q.fields["response_format"] for q in srv.requests]


def test_verbose_json_refused_falls_back_to_json_for_the_run(cli: Cli) -> None:
    with FaultServer(default=no_verbose_json) as srv:
        r = cli(srv.url)
    assert r.rc == 0, r.stderr
    assert r.stdout == "Utterance 2.\nUtterance 3.\n"
    assert formats(srv) == ["verbose_json", "json", "json"]
    assert srv.requests[1].files["file"][2] == srv.requests[0].files["file"][2]
    said = [ln for ln in r.stderr.splitlines() if "response_format" in ln]
    assert len(said) == 1 and "verbose_json" in said[0] and "json" in said[0]
    assert "error" not in r.stderr


def test_a_chosen_format_is_never_changed(cli: Cli, one_utterance: Path) -> None:
    with FaultServer(default=no_verbose_json) as srv:
        r = cli(srv.url, "-q", "--response-format", "verbose_json", input=one_utterance)
    assert r.rc == 1 and r.stdout == ""
    assert "400" in one_clear_line(r.stderr)
    assert formats(srv) == ["verbose_json"]


def test_a_400_after_verbose_json_worked_is_an_ordinary_error(cli: Cli) -> None:
    bad = Reply(400, {"Content-Type": "application/json"},
                '{"error": {"message": "audio file is corrupted"}}')
    with FaultServer([json_text("First."), bad]) as srv:
        r = cli(srv.url)
    assert r.rc == 1
    assert r.stdout == "First.\n"
    assert formats(srv) == ["verbose_json", "verbose_json"]
    assert len(r.errors) == 1 and "corrupted" in r.errors[0]


def test_verbose_json_with_segments_is_read(cli: Cli) -> None:
    def answer(req: Request) -> Reply:
        seg = {"id": 0, "start": 0.0, "end": 1.0, "text": f" Utterance {req.index}.",
               "avg_logprob": -0.2, "no_speech_prob": 0.01}
        return json_text(f"Utterance {req.index}.", segments=[seg], language="english")

    with FaultServer(default=answer) as srv:
        r = cli(srv.url)
    assert r.rc == 0, r.stderr
    assert r.stdout == "Utterance 1.\nUtterance 2.\n"
    assert formats(srv) == ["verbose_json"] * 2


# --- the key -----------------------------------------------------------------------------


def echo(req: Request) -> Reply:
    """A server that quotes the Authorization header back: as a 500, as a 200 that is not
    JSON, then as a rejected key."""
    auth = req.headers.get("authorization", "")
    if req.index == 1:
        return Reply(500, body=f"upstream failed for {auth}")
    if req.index == 2:
        return Reply(200, {"Content-Type": "text/html"}, f"<p>{auth}</p>")
    return Reply(401, {"Content-Type": "application/json"},
                 json.dumps({"error": {"message": f"Incorrect API key provided: {auth}"}}))


@pytest.mark.parametrize("how", ["env", "file"])
def test_the_key_is_never_shown_even_when_echoed(cli: Cli, how: str) -> None:
    if how == "env":
        cli.env["OPENAI_API_KEY"] = cli.key
    with FaultServer(default=echo) as srv:
        r = cli(srv.url, "-v", key=how == "file")
    assert all(q.headers["authorization"] == f"Bearer {cli.key}" for q in srv.requests)
    assert len(srv.requests) == 3 and r.rc == 1
    assert cli.key not in r.stderr + r.stdout  # also checked by Cli on every run
    assert cli.key[3:20] not in r.stderr  # not even a piece of it
    for echoed in ("upstream failed for Bearer ***", "<p>Bearer ***</p>",
                   "Incorrect API key provided: Bearer ***"):
        assert echoed in r.stderr, r.stderr  # each echo was there, blanked


def test_url_credentials_are_never_shown(cli: Cli) -> None:
    user, password = "alice", "pa55-w0rd-secret"
    basic = base64.b64encode(f"{user}:{password}".encode()).decode()
    with FaultServer(default=lambda req: Reply(
            401, body=f"bad credentials: {req.headers.get('authorization')}")) as srv:
        base = srv.url.replace("://", f"://{user}:{password}@")
        r = cli(base, "-v", key=False)
        shown = subprocess.run(dictation_cmd("config"), capture_output=True, text=True,
                               env={**cli.env, "OPENAI_BASE_URL": base + "/v1"})
    assert srv.requests[0].headers["authorization"] == f"Basic {basic}"  # it was sent
    assert r.rc == 1
    for text in (r.stderr, r.stdout, shown.stdout, shown.stderr):
        assert password not in text and basic not in text, text
    assert "alice:<redacted>@" in shown.stdout


def test_install_service_refuses_a_key_on_its_command_line(cli: Cli) -> None:
    p = subprocess.run(dictation_cmd("install-service", "--no-enable", "--",
                                     f"--api-key={cli.key}"),
                       capture_output=True, text=True, env=cli.env)
    assert p.returncode == 2
    line = one_clear_line(p.stderr)
    assert "refusing" in line and cli.key not in line
