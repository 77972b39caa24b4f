"""A misbehaving server against the real daemon: floods, loops and hangs end the run with text
within its bound and a control socket that answers throughout; a stop during a hanging request
ends within the grace period with the audio in the spool; an utterance in flight when three
runs were killed is set aside at the next start.

The server is our scripted fault server; utterances are numbered buzzes (faultserver.buzz_wav)
so each answer can depend on which utterance it is for, whatever the retries.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import threading
import time
import uuid
import wave
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import Daemon, dictation_cmd
from faultserver import HANG, FaultServer, Reply, Request, buzz_wav, json_text, utterance_number
from procs import stop_group

from dictation.text.guard import max_chars

pytestmark = [pytest.mark.real, pytest.mark.realtime]  # daemons against a scripted server


class Setup:
    """Private state, keep and runtime directories, a control socket and a key file."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.key = f"sk-hostile-{uuid.uuid4().hex}"
        self.keyfile = tmp / "key"
        self.keyfile.write_text(self.key)
        self.keyfile.chmod(0o600)
        self.kept = tmp / "kept"
        self.spool = tmp / "state" / "dictation" / "spool"
        self.socket = tmp / "ctl.sock"
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith("OPENAI_")} | {"XDG_STATE_HOME": str(tmp / "state")}

    def args(self, server: FaultServer, wav: Path, *extra: str) -> list[str]:
        return ["--input", str(wav), "--fast", "--base-url", server.url + "/v1",
                "--api-key-file", str(self.keyfile), "--keep-dir", str(self.kept),
                "--socket", str(self.socket), *extra]

    def daemon(self, server: FaultServer, wav: Path, *extra: str) -> Daemon:
        return Daemon(None, *self.args(server, wav, *extra), base_env=self.env)

    def spooled(self) -> list[Path]:
        return sorted(self.spool.glob("*/*.wav"))


@pytest.fixture
def setup(tmp_path: Path) -> Setup:
    return Setup(tmp_path)


@pytest.fixture
def daemons() -> Iterator[list[Daemon]]:
    """Daemons a test started: killed at the end, pass or fail."""
    started: list[Daemon] = []
    yield started
    for d in started:
        stop_group(d.proc)


def seconds(req: Request) -> float:
    with wave.open(io.BytesIO(req.files["file"][2])) as w:
        return w.getnframes() / w.getframerate()


def wait_for(condition: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


# --- floods, loops and hangs ---------------------------------------------------------------

FLOOD = " ".join(f"word{i}" for i in range(12_000))  # 110 KB: under what is read for 1.4 s
LOOP = "Before the loop. " + "Send it today. " * 400  # 6 KB: a loop to the token limit


def hostile_answers(started: threading.Event) -> Callable[[Request], Reply]:
    """Utterance 1: a flood of distinct words, trickled over ~2.8 s; 2: a loop; 3: no answer
    at all the first time, then its text; 4: a megabyte-long word, too big to be read."""
    attempts: dict[int, int] = {}

    def answer(req: Request) -> Reply:
        n = utterance_number(req)
        attempts[n] = attempts.get(n, 0) + 1
        if n == 1:
            started.set()
            return Reply(200, {"Content-Type": "application/json",
                               "Transfer-Encoding": "chunked"},
                         json.dumps({"text": FLOOD}), chunk_delay_s=0.2, chunk_size=8192)
        if n == 2:
            return json_text(LOOP)
        if n == 3 and attempts[n] == 1:
            return HANG
        if n == 4:
            return json_text("x" * 999_000)
        return json_text(f"Utterance {n}.")

    return answer


def status_answers(socket: Path, stop: threading.Event,
                   answers: list[tuple[int, float]]) -> None:
    """`dictation ctl status`, over and over until ``stop``: exit code and time of each."""
    while not stop.is_set():
        began = time.monotonic()
        try:
            p = subprocess.run(dictation_cmd("ctl", "status", "--socket", str(socket)),
                               capture_output=True, text=True, timeout=30)
            answers.append((p.returncode, time.monotonic() - began))
        except subprocess.TimeoutExpired:
            answers.append((-1, time.monotonic() - began))


def test_floods_loops_and_hangs_end_within_the_bound(setup: Setup, daemons: list[Daemon],
                                                     tmp_path: Path) -> None:
    wav = buzz_wav(tmp_path / "four.wav", 4)
    flood_started, judged = threading.Event(), threading.Event()
    answers: list[tuple[int, float]] = []
    with FaultServer(default=hostile_answers(flood_started)) as srv:
        daemons.append(d := setup.daemon(srv, wav, "--read-timeout", "2"))
        assert flood_started.wait(30)
        asker = threading.Thread(target=status_answers, args=(setup.socket, judged, answers))
        asker.start()
        try:
            # From the first byte of the large answer until the daemon has read, parsed and
            # judged it (a 2.8 s trickle): the daemon lives on after it, for utterances 2-4.
            d._wait_stderr("utterance 1: the engine answered", 60)
        finally:
            judged.set()
            asker.join(60)
        # The run takes seconds more (a 2 s hang among them): 90 s catches only a daemon that
        # froze, as it did for minutes on such an answer.
        d.proc.wait(timeout=90)
        out, err, code = d.stop()
    assert code == 1, err  # audio was kept: the run says so
    assert out.splitlines() == ["Before the loop. Send it today.", "Utterance 3."], err
    shortest = min(seconds(r) for r in srv.requests)
    assert all(len(line) <= max_chars(shortest) for line in out.splitlines())
    [made_up] = [ln for ln in err.splitlines() if "dropped as made up" in ln]
    assert made_up.startswith(f"dictation: warning: utterance 1: the engine answered "
                              f"{len(FLOOD)} characters for ") and "audio kept in" in made_up
    # The megabyte is not even read: no transcript of 1.4 s could be that long.
    [unread] = [ln for ln in err.splitlines() if "not reading it" in ln]
    assert unread.startswith("dictation: error: server answered more than ") and \
        "audio kept in" in unread, unread
    assert len(list(setup.kept.glob("*.wav"))) == 2 and setup.spooled() == []
    # The control socket answered all along while the large answer was read and judged: each
    # `ctl status` is a process start (~0.1 s, seconds on a loaded machine); 20 s would mean
    # a loop that stood still.
    assert len(answers) >= 3 and all(rc == 0 and took < 20 for rc, took in answers), answers


# --- stopping during a request that hangs --------------------------------------------------

def test_sigterm_during_a_hanging_request_ends_within_the_grace(
        setup: Setup, daemons: list[Daemon], tmp_path: Path) -> None:
    wav = buzz_wav(tmp_path / "two.wav", 2)
    with FaultServer(default=HANG) as srv:  # accepts each request, never answers
        daemons.append(d := setup.daemon(srv, wav, "--stop-grace", "2"))
        wait_for(lambda: srv.requests, 30, "the first request")
        began = time.monotonic()
        d.proc.send_signal(signal.SIGTERM)
        d.proc.wait(timeout=60)
        took = time.monotonic() - began
        out, err, code = d.stop()
    # Designed: the 2 s grace, then an exit within a second. 5 s more for a loaded machine;
    # without the grace it took the 60 s read timeout.
    assert took < 2 + 1 + 5, (took, err)
    assert took >= 2, took  # it did wait for the answer first
    assert code == 1 and out == "", err
    said = [ln for ln in err.splitlines() if "spool" in ln]
    assert said == [f"dictation: warning: no text within --stop-grace 2 s: 2 utterance(s) wait "
                    f"in the spool {setup.spool}; they will be transcribed at the next start"]
    assert len(setup.spooled()) == 2  # the audio, kept for the next start
    # And the next start delivers them.
    silence = tmp_path / "silence.wav"
    subprocess.run(["sox", "-n", "-r", "16000", "-c", "1", "-b", "16", str(silence), "trim",
                    "0", "0.5"], check=True)
    with FaultServer(default=lambda req: json_text(f"Utterance {utterance_number(req)}.")
                     ) as srv:
        p = subprocess.run(dictation_cmd("run", *setup.args(srv, silence)), capture_output=True,
                           text=True, env=setup.env, timeout=60)
    assert p.stdout.splitlines() == ["Utterance 1.", "Utterance 2."], p.stderr
    assert setup.spooled() == []


# --- an utterance that kills its process ---------------------------------------------------

def test_an_utterance_in_flight_at_three_deaths_is_set_aside(
        setup: Setup, daemons: list[Daemon], tmp_path: Path) -> None:
    one = buzz_wav(tmp_path / "one.wav", 1)
    silence = tmp_path / "silence.wav"  # later runs bring nothing new: only the spooled one
    subprocess.run(["sox", "-n", "-r", "16000", "-c", "1", "-b", "16", str(silence), "trim",
                    "0", "0.5"], check=True)
    with FaultServer(default=HANG) as srv:
        for death in range(3):
            daemons.append(d := setup.daemon(srv, silence if death else one))
            wait_for(lambda n=death: len(srv.requests) > n, 30, f"request {death + 1}")
            d.proc.kill()  # SIGKILL while the utterance is in flight: nothing runs after it
            d.proc.wait(timeout=30)
        [entry] = setup.spooled()
        assert entry.with_suffix(".flight").exists()
        p = subprocess.run(dictation_cmd("run", *setup.args(srv, silence)),
                           capture_output=True, text=True, env=setup.env, timeout=60)
        assert len(srv.requests) == 3, p.stderr  # not sent a fourth time
    [kept] = setup.kept.glob("*.wav")
    lines = [ln for ln in p.stderr.splitlines() if str(entry) in ln]
    assert lines == [f"dictation: warning: {entry} was being transcribed when 3 runs died: "
                     f"not sent again; its audio is kept in {kept}"], p.stderr
    assert setup.spooled() == [] and p.returncode == 1
    assert utterance_number(srv.requests[0]) == 1  # the buzz, kept whole
    with wave.open(str(kept)) as w:
        assert w.getnframes() / w.getframerate() == pytest.approx(seconds(srv.requests[0]))


def test_one_death_is_not_enough(setup: Setup, daemons: list[Daemon], tmp_path: Path) -> None:
    one = buzz_wav(tmp_path / "one.wav", 1)
    with FaultServer(default=HANG) as srv:
        daemons.append(d := setup.daemon(srv, one))
        wait_for(lambda: srv.requests, 30, "the request")
        d.proc.kill()
        d.proc.wait(timeout=30)
    with FaultServer(default=lambda req: json_text(f"Answer {req.index}.")) as srv:
        p = subprocess.run(dictation_cmd("run", *setup.args(srv, one)), capture_output=True,
                           text=True, env=setup.env, timeout=60)
    assert p.stdout.splitlines() == ["Answer 1.", "Answer 2."], p.stderr  # the old, the new
    assert p.returncode == 0 and setup.spooled() == [], p.stderr


def test_the_unit_stop_timeout_stays_well_above_the_grace() -> None:
    from dictation.config import RunConfig
    from dictation.control.service import render_unit

    def timeout(unit: str) -> int:
        return int(next(ln.split("=")[1] for ln in unit.splitlines()
                        if ln.startswith("TimeoutStopSec=")))

    assert timeout(render_unit()) >= 3 * (RunConfig.stop_grace_s + 1)
    assert timeout(render_unit(stop_grace_s=60)) >= 60 + 1 + 10
