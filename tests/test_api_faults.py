"""The real CLI against our scripted fault server: what goes over the wire, and what the user
sees (stdout, stderr, exit code, kept audio) when the server misbehaves.

The bundled sample holds two spoken sentences, so every run sends two utterances in order.
"""

from __future__ import annotations

import io
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import uuid
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from conftest import one_clear_line, pulse_server
from faultserver import (
    HANG,
    RESET,
    TRUNCATED,
    FaultServer,
    Reply,
    Request,
    json_text,
    numbered,
)
from procs import Stream, spawn, wait_until

from dictation.deliver.spoolfile import load
from dictation.text.commands import CommandConfig, bias_phrases, build_table
from dictation.transcribe.prompt import vocabulary_text

pytestmark = pytest.mark.real  # real parts: processes, servers, the model

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "dictation" / "data" / "sample.wav"
SAMPLE_S = 11.7
TWO_LINES = "Utterance 1.\nUtterance 2.\n"
# The words of the built-in spoken commands, which every prompt carries while they are on.
BIAS = vocabulary_text(bias_phrases(build_table(CommandConfig())))


@dataclass
class Result:
    rc: int
    stdout: str
    stderr: str
    kept: list[Path]
    spooled: list[Path]  # utterances waiting in the spool for the next start

    @property
    def errors(self) -> list[str]:
        return [ln for ln in self.stderr.splitlines() if ln.startswith("dictation: error:")]


class Cli:
    """Runs ``python -m dictation run`` with a private key file, keep dir and state dir."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        # Unique per test, so a leak can only come from this run.
        self.key = f"sk-fault-{uuid.uuid4().hex}"
        self.keyfile = tmp / "key"
        self.keyfile.write_text(self.key + "\n")
        self.keyfile.chmod(0o600)
        self.keep_dir = tmp / "kept"
        env = {k: v for k, v in os.environ.items()
               if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL")}
        # A private runtime directory: its own control socket, so runs in parallel (or a
        # daemon the user runs) never collide.
        runtime = tmp / "runtime"
        runtime.mkdir(mode=0o700)
        self.env = {**env, "XDG_STATE_HOME": str(tmp / "state"),
                    "XDG_RUNTIME_DIR": str(runtime)}
        self.spool = tmp / "state" / "dictation" / "spool"

    def command(self, base: str | None, *extra: str, input: Path | str = SAMPLE,
                key: bool = True) -> list[str]:
        cmd = [sys.executable, "-m", "dictation", "run", "--input", str(input), "--fast",
               "--keep-dir", str(self.keep_dir)]
        if base is not None:
            cmd += ["--base-url", base + "/v1"]
        if key:
            cmd += ["--api-key-file", str(self.keyfile)]
        return [*cmd, *extra]

    def result(self, rc: int, stdout: str, stderr: str) -> Result:
        kept = sorted(self.keep_dir.glob("*.wav")) if self.keep_dir.is_dir() else []
        spooled = sorted(self.spool.glob("*/*.wav"))
        # Checked on every run: the key must never leak, and user-caused failures are
        # messages, not crashes.
        assert self.key not in stderr and self.key not in stdout
        assert "Traceback" not in stderr, stderr
        return Result(rc, stdout, stderr, kept, spooled)

    def __call__(self, base: str | None, *extra: str, input: Path | str = SAMPLE,
                 key: bool = True, timeout: float = 60) -> Result:
        p = subprocess.run(self.command(base, *extra, input=input, key=key),
                           capture_output=True, text=True, env=self.env, cwd=self.tmp,
                           timeout=timeout)
        return self.result(p.returncode, p.stdout, p.stderr)


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path)


def wav_params(data: bytes) -> tuple[int, int, int, float]:
    with wave.open(io.BytesIO(data)) as w:
        return w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes() / 16000


def sent_pcm(req: Request) -> np.ndarray:
    with wave.open(io.BytesIO(req.files["file"][2])) as w:
        return np.frombuffer(w.readframes(w.getnframes()), "<i2")


# --- what goes over the wire -------------------------------------------------------------


def test_prompt_continues_from_the_previous_utterance(cli: Cli) -> None:
    user = "Vocabulary: Kubernetes."
    with FaultServer([json_text("First line."), json_text("Second line.")]) as srv:
        r = cli(srv.url, "--prompt", user)
    assert r.rc == 0, r.stderr
    assert r.stdout == "First line.\nSecond line.\n"
    assert len(srv.requests) == 2
    first, second = (req.fields.get("prompt") for req in srv.requests)
    assert first == f"{user} {BIAS}"  # the user's prompt, then the spoken commands' words
    assert second == f"{user} {BIAS} First line."


def test_every_form_field_is_sent_with_defaults(cli: Cli) -> None:
    with FaultServer(default=numbered()) as srv:
        r = cli(srv.url)
    assert r.rc == 0, r.stderr
    assert r.stdout == TWO_LINES
    assert len(srv.requests) == 2
    total = 0.0
    for req in srv.requests:
        assert req.path == "/v1/audio/transcriptions"
        assert req.headers["authorization"] == f"Bearer {cli.key}"
        assert req.headers["content-type"].startswith("multipart/form-data")
        assert req.fields["model"] == "whisper-1"
        assert req.fields["response_format"] == "verbose_json"  # segment scores for the guard
        assert float(req.fields["temperature"]) == 0.0
        assert "language" not in req.fields  # unset: let the server detect it
        filename, ctype, data = req.files["file"]
        assert filename.endswith(".wav") and ctype == "audio/wav"
        channels, width, rate, seconds = wav_params(data)
        assert (channels, width, rate) == (1, 2, 16000)
        assert 0.5 < seconds < SAMPLE_S
        assert np.abs(sent_pcm(req).astype(np.int32)).max() > 1000  # speech, not silence
        total += seconds
    assert total <= SAMPLE_S + 1.0  # pre-roll may overlap a little; no duplicated audio
    # No user prompt and nothing said yet: the first request carries only the words spoken
    # commands bias recognition toward.
    assert srv.requests[0].fields["prompt"] == BIAS
    assert srv.requests[1].fields["prompt"] == f"{BIAS} Utterance 1."


def test_options_reach_the_form(cli: Cli) -> None:
    with FaultServer(default=lambda req: Reply(body=f"Utterance {req.index}.")) as srv:
        r = cli(srv.url, "--model", "whisper-large-v3-turbo", "--language", "en",
                "--temperature", "0.3", "--response-format", "text")
    assert r.rc == 0, r.stderr
    assert r.stdout == TWO_LINES
    for req in srv.requests:
        assert req.fields["model"] == "whisper-large-v3-turbo"
        assert req.fields["language"] == "en"
        assert float(req.fields["temperature"]) == pytest.approx(0.3)
        assert req.fields["response_format"] == "text"


def _answer(fmt: str, n: int) -> Reply:
    """Utterance N in ``fmt``, spread over two cues/segments so joining is exercised too."""
    a, b = f"Utterance {n},", "two parts."
    if fmt == "json":
        return json_text(f"{a} {b}")
    if fmt == "verbose_json":
        return json_text(f"{a} {b}", task="transcribe", language="english", duration=2.0,
                         segments=[{"id": 0, "start": 0.0, "end": 1.0, "text": f" {a}"},
                                   {"id": 1, "start": 1.0, "end": 2.0, "text": f" {b}"}])
    if fmt == "text":
        return Reply(headers={"Content-Type": "text/plain"}, body=f"{a} {b}\n")
    if fmt == "srt":
        return Reply(headers={"Content-Type": "text/plain"},
                     body=f"1\n00:00:00,000 --> 00:00:01,000\n{a}\n\n"
                          f"2\n00:00:01,000 --> 00:00:02,000\n{b}\n\n")
    assert fmt == "vtt"
    return Reply(headers={"Content-Type": "text/vtt"},
                 body=f"WEBVTT\n\n00:00:00.000 --> 00:00:01.000\n{a}\n\n"
                      f"00:00:01.000 --> 00:00:02.000\n{b}\n\n")


@pytest.mark.parametrize("fmt", ["json", "text", "srt", "vtt", "verbose_json"])
def test_each_response_format_becomes_plain_text(cli: Cli, fmt: str) -> None:
    with FaultServer(default=lambda req: _answer(fmt, req.index)) as srv:
        r = cli(srv.url, "--response-format", fmt)
    assert r.rc == 0, r.stderr
    assert r.stdout == "Utterance 1, two parts.\nUtterance 2, two parts.\n"
    assert [req.fields["response_format"] for req in srv.requests] == [fmt, fmt]


# --- statuses ----------------------------------------------------------------------------


def _rejected(key: str) -> Reply:
    # OpenAI quotes the key back in its message; the client must not print it.
    return Reply(401, {"Content-Type": "application/json"},
                 json.dumps({"error": {"message": f"Incorrect API key provided: {key}",
                                       "type": "invalid_request_error"}}))


def spooled_pcm(path: Path) -> np.ndarray:
    return np.frombuffer(load(path)[0], "<i2")


def test_rejected_key_is_one_line_and_leaves_the_audio_for_the_next_start(cli: Cli) -> None:
    # The answer takes a second, as over a real network, so both utterances are captured
    # before the client learns that the key is bad.
    step = _rejected(cli.key)
    with FaultServer(default=Reply(step.status, step.headers, step.body, delay_s=1.5)) as srv:
        r = cli(srv.url)
    assert r.rc == 1
    assert r.stdout == ""
    assert len(srv.requests) == 1  # fatal: nothing more is sent with a bad key
    key_lines = [ln for ln in r.stderr.splitlines() if "API key" in ln]
    assert len(key_lines) == 1 and "401" in key_lines[0], r.stderr
    assert r.kept == []  # not dead letters: a good key can still transcribe them
    assert len(r.spooled) == 2
    assert np.array_equal(spooled_pcm(r.spooled[0]), sent_pcm(srv.requests[0]))
    assert "2 utterance(s) wait in the spool" in r.stderr
    assert "transcribed at the next start" in r.stderr
    # The next start, with the key fixed: the two come first, in order, then the new ones.
    with FaultServer(default=numbered()) as srv:
        r = cli(srv.url)
    assert r.rc == 0, r.stderr
    assert r.stdout == "Utterance 1.\nUtterance 2.\nUtterance 3.\nUtterance 4.\n"
    assert "recovered 2 utterance(s)" in r.stderr
    assert sent_pcm(srv.requests[0]).tolist() == sent_pcm(srv.requests[2]).tolist()
    assert r.spooled == []


def test_fatal_error_on_a_file_says_what_was_not_processed(cli: Cli, tmp_path: Path) -> None:
    # A fast 401 ends the run while most of a file is still unread. What was cut is kept;
    # the rest is still in the user's file, and the one line says from where on.
    with wave.open(str(SAMPLE)) as w:
        params, frames = w.getparams(), w.readframes(w.getnframes())
    long_input = tmp_path / "long.wav"
    with wave.open(str(long_input), "wb") as w:
        w.setparams(params)
        w.writeframes(frames + b"\0" * (params.framerate * params.sampwidth * 60) + frames)
    total_s = len(frames) * 2 / (params.framerate * params.sampwidth) + 60
    with FaultServer(default=_rejected(cli.key)) as srv:
        r = cli(srv.url, input=long_input)
    assert r.rc == 1
    assert len(srv.requests) == 1
    assert r.spooled and np.array_equal(spooled_pcm(r.spooled[0]), sent_pcm(srv.requests[0]))
    [line] = [ln for ln in r.stderr.splitlines() if "was not processed from" in ln]
    assert str(long_input) in line
    stopped_s = float(line.split("was not processed from ")[1].split(" s")[0])
    assert 0 < stopped_s < total_s - 11  # the second copy of the sample was never reached


def test_404_is_fatal_and_names_the_url_and_model(cli: Cli) -> None:
    with FaultServer(default=Reply(404, {"Content-Type": "application/json"},
                                   '{"error": {"message": "model not found"}}')) as srv:
        r = cli(srv.url, "--model", "whisper-nope")
    assert r.rc == 1
    assert r.stdout == ""
    assert len(srv.requests) == 1
    assert len(r.errors) == 1, r.stderr
    line = r.errors[0]
    assert f"{srv.url}/v1/audio/transcriptions" in line and "whisper-nope" in line
    assert "404" in line
    assert r.spooled and np.array_equal(spooled_pcm(r.spooled[0]), sent_pcm(srv.requests[0]))


def test_413_is_resent_in_two_parts(cli: Cli) -> None:
    # More in tests/test_api_safety.py: a size-limited server, and one nothing fits.
    with FaultServer([Reply(413, body="Request Entity Too Large")],
                     default=numbered()) as srv:
        r = cli(srv.url)
    assert r.rc == 0, r.stderr
    # The second utterance is as long: sent in two parts at once, never refused.
    assert r.stdout == "Utterance 2. Utterance 3.\nUtterance 4. Utterance 5.\n"
    assert len(srv.requests) == 5
    halves = np.concatenate([sent_pcm(srv.requests[1]), sent_pcm(srv.requests[2])])
    assert np.array_equal(halves, sent_pcm(srv.requests[0]))
    assert r.kept == []


def test_other_4xx_is_not_retried_and_scrubs_the_key(cli: Cli) -> None:
    # A server that quotes the Authorization header back in its error.
    with FaultServer(default=lambda req: Reply(
            400, body=f"bad request from {req.headers['authorization']}\x1b[31m")) as srv:
        r = cli(srv.url, "--response-format", "json")  # no format fallback to try
    assert r.rc == 1 and r.stdout == ""
    assert len(srv.requests) == 2
    assert len(r.errors) == 2 and all("400" in ln for ln in r.errors)
    assert "\x1b" not in r.stderr
    assert len(r.kept) == 2


def test_429_honours_retry_after(cli: Cli) -> None:
    with FaultServer([Reply(429, {"Retry-After": "1"}, '{"error": "slow down"}')],
                     default=numbered()) as srv:
        r = cli(srv.url)
    assert r.rc == 0, r.stderr
    assert r.stdout == "Utterance 2.\nUtterance 3.\n"
    first, retry = srv.requests[0], srv.requests[1]
    assert retry.time - first.time >= 1.0
    assert retry.files["file"][2] == first.files["file"][2]  # the same utterance again
    assert "HTTP 429" in r.stderr  # the status said, not a port's digits


def test_500_is_retried(cli: Cli) -> None:
    with FaultServer([Reply(500, body="Internal Server Error")], default=numbered()) as srv:
        r = cli(srv.url)
    assert r.rc == 0, r.stderr
    assert r.stdout == "Utterance 2.\nUtterance 3.\n"
    assert srv.requests[1].files["file"][2] == srv.requests[0].files["file"][2]
    assert r.kept == []


@pytest.mark.parametrize("body", [b"<html><body>Bad Gateway</body></html>", b'{"foo": 1}',
                                  b"[1, 2]"], ids=["html", "no-text-key", "list"])
def test_unusable_200_body_is_one_line_per_utterance(cli: Cli, body: bytes) -> None:
    with FaultServer(default=Reply(200, {"Content-Type": "application/json"}, body)) as srv:
        r = cli(srv.url)
    assert r.rc == 1
    assert r.stdout == ""
    assert len(srv.requests) == 2
    assert len(r.errors) == 2, r.stderr
    for line in r.errors:
        assert ("not JSON" in line or "'text'" in line) and "audio kept in" in line
    assert len(r.kept) == 2


# --- the network -------------------------------------------------------------------------


@pytest.mark.parametrize("fault", [RESET, TRUNCATED], ids=lambda a: a.name)
def test_broken_connection_is_retried(cli: Cli, fault: object) -> None:
    with FaultServer([fault], default=numbered()) as srv:
        r = cli(srv.url)
    assert r.rc == 0, r.stderr
    assert r.stdout == "Utterance 2.\nUtterance 3.\n"
    assert len(srv.requests) == 3
    assert srv.requests[1].files["file"][2] == srv.requests[0].files["file"][2]
    assert "retrying" in r.stderr
    assert r.kept == []


@pytest.fixture
def closed_url(refused_port: socket.socket) -> str:
    """A server address where connections are refused."""
    return f"http://127.0.0.1:{refused_port.getsockname()[1]}"


def test_unreachable_server_is_given_up_on_when_asked(cli: Cli, closed_url: str) -> None:
    began = time.monotonic()
    r = cli(closed_url, "--give-up-after", "2")
    assert r.rc == 1
    assert r.stdout == ""
    assert len(r.errors) == 2, r.stderr
    assert all("gave up" in ln and "cannot reach" in ln and "audio kept in" in ln
               for ln in r.errors)
    assert len(r.kept) == 2 and r.spooled == []
    # Retries went on for a while before each give-up: the policy stops before a wait
    # that would end past 2 s, so each utterance failed for at least ~0.75 s.
    assert 2 * 0.5 < time.monotonic() - began < 30


def test_stopping_during_an_outage_leaves_the_backlog_in_the_spool(cli: Cli,
                                                                   closed_url: str) -> None:
    # By default nothing is given up: Ctrl-C ends the retries, and what is pending waits
    # on disk for the next start.
    proc = spawn(cli.command(closed_url, "-v"), stdout=subprocess.PIPE,
                 stderr=subprocess.PIPE, env=cli.env, cwd=cli.tmp)
    out, err = Stream(proc.stdout), Stream(proc.stderr)
    # Both utterances are on disk, and the first has failed a few times (-v logs each retry).
    wait_until(lambda: (len(list(cli.spool.glob("*/*.wav"))) >= 2
                        and "utterance 1: " in err.text and "; retry 3 in" in err.text),
               120, f"two spooled utterances and three retries; stderr: {err.text}")
    proc.send_signal(signal.SIGINT)
    r = cli.result(proc.wait(60), out.rest(), err.rest())
    assert r.rc == 1 and r.stdout == ""
    assert len(r.spooled) == 2 and r.kept == []
    assert len([ln for ln in r.stderr.splitlines() if "retrying" in ln]) == 1, r.stderr
    assert "2 utterance(s) wait in the spool" in r.stderr


def test_hung_server_times_out_and_is_retried(cli: Cli) -> None:
    with FaultServer([HANG], default=numbered()) as srv:
        r = cli(srv.url, "--read-timeout", "0.5")
    assert r.rc == 0, r.stderr
    assert r.stdout == "Utterance 2.\nUtterance 3.\n"
    assert srv.requests[1].time - srv.requests[0].time >= 0.5
    assert np.array_equal(sent_pcm(srv.requests[1]), sent_pcm(srv.requests[0]))
    assert "did not answer in time" in r.stderr


def test_request_timeout_bounds_a_slow_answer(cli: Cli) -> None:
    # The server sends nothing for 3 s: under the read timeout, over the request timeout.
    with FaultServer([Reply(200, {"Content-Type": "application/json"}, '{"text": "late"}',
                            delay_s=3)], default=numbered()) as srv:
        r = cli(srv.url, "--read-timeout", "20", "--request-timeout", "1")
    assert r.rc == 0, r.stderr
    assert r.stdout == "Utterance 2.\nUtterance 3.\n"
    assert "did not answer within 1 s" in r.stderr
    assert 1.0 <= srv.requests[1].time - srv.requests[0].time < 3.0


# --- untrusted text ----------------------------------------------------------------------

INJECTION = ("Hello \x1b[31mred\x1b[0m world\x07 \x1b]0;owned title\x07done "
             "\x1b]8;;https://evil.example/\x1b\\link\x1b]8;;\x1b\\ \x9b2Jok\u202eevil\u202c "
             "\x1b]52;c;cm0gLXJmIH4=\x07\x00\x08\x7f\x1bPqdcs\x1b\\end {n}\r\nmore.")
CLEAN = "Hello red world done link okevil end {n} more."


def _control_chars(text: str) -> set[str]:
    return {ch for ch in text if (ord(ch) < 32 and ch != "\n") or 0x7F <= ord(ch) <= 0x9F
            or ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"}


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_escape_sequences_never_reach_stdout(cli: Cli, fmt: str) -> None:
    def answer(req: Request) -> Reply:
        text = INJECTION.replace("{n}", str(req.index))
        return json_text(text) if fmt == "json" else Reply(body=text.encode())

    with FaultServer(default=answer) as srv:
        r = cli(srv.url, "--response-format", fmt)
    assert r.rc == 0, r.stderr
    assert _control_chars(r.stdout) == set()
    assert r.stdout.splitlines() == [CLEAN.replace("{n}", "1"), CLEAN.replace("{n}", "2")]


# --- user errors -------------------------------------------------------------------------


def _one_line(r: Result) -> str:
    return one_clear_line(r.stderr)


def test_corrupt_wav_is_one_line(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "noise.wav"
    bad.write_bytes(random.Random(7).randbytes(4096))
    with FaultServer() as srv:
        r = cli(srv.url, input=bad)
    assert r.rc != 0 and r.stdout == ""
    assert "noise.wav" in _one_line(r)
    assert srv.requests == []


def test_missing_file_is_one_line(cli: Cli, tmp_path: Path) -> None:
    with FaultServer() as srv:
        r = cli(srv.url, input=tmp_path / "absent.wav")
    assert r.rc != 0 and r.stdout == ""
    line = _one_line(r)
    assert "absent.wav" in line and "no such file" in line
    assert srv.requests == []


def test_out_of_range_temperature_is_a_usage_error(cli: Cli) -> None:
    # The range is checked by the option's type, as for a value from the config file.
    with FaultServer() as srv:
        r = cli(srv.url, "--temperature", "1.5")
    assert r.rc == 2
    assert r.stderr.strip().splitlines()[-1] == (
        "dictation run: error: argument --temperature: must be between 0 and 1, got 1.5")
    assert srv.requests == []


def test_non_numeric_temperature_is_a_usage_error(cli: Cli) -> None:
    # argparse's own convention: usage, then one error line naming the option.
    with FaultServer() as srv:
        r = cli(srv.url, "--temperature", "warm")
    assert r.rc == 2
    last = r.stderr.strip().splitlines()[-1]
    assert "--temperature" in last and "warm" in last
    assert srv.requests == []


def test_no_key_for_openai_is_one_line(cli: Cli) -> None:
    r = cli(None, "--engine", "api", key=False)
    assert r.rc == 2
    assert "API key" in _one_line(r)


def test_unknown_input_device_is_one_line(cli: Cli, pulse: None) -> None:
    # With the sound server up there are devices, so an unmatched name is a typo, not a
    # device still to come (with no devices at all the daemon waits: see test_device.py).
    cli.env["PULSE_SERVER"] = pulse_server()
    with FaultServer() as srv:
        r = cli(srv.url, input="no-such-mic-xyz")
    assert r.rc != 0 and r.stdout == ""
    line = _one_line(r)
    assert line.startswith("dictation: error:") and "device" in line
    assert srv.requests == []
