"""Real parts for the tests: generated speech, a PulseAudio virtual microphone, the
third-party faster-whisper-server with the bundled tiny.en model, and an X server."""

from __future__ import annotations

import hashlib
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tools"))

from local_server import running_server  # noqa: E402

SAMPLE = REPO / "dictation" / "data" / "sample.wav"


def _need(tool: str) -> None:
    # CI installs every real part (make test); a missing one is a failure, never a skip.
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} is not installed: run 'make test', which installs it")


@pytest.fixture(scope="session", autouse=True)
def _no_user_config(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The product under test reads neither the user's config file nor DICTATION_* variables:
    its config and state directories are empty ones of the test run's."""
    saved = dict(os.environ)
    for name in [n for n in os.environ if n.startswith("DICTATION_")]:
        del os.environ[name]
    os.environ["XDG_CONFIG_HOME"] = str(tmp_path_factory.mktemp("config-home"))
    # Interim transcriptions are extra requests; tests that script a server's answers one
    # request at a time must not see them. Tests of interims pass --interim.
    os.environ["DICTATION_INTERIM"] = "0"
    # The spool too: a daemon a test killed must not leave work for the user's next start,
    # nor for another test run's.
    os.environ["XDG_STATE_HOME"] = str(tmp_path_factory.mktemp("state-home"))
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(scope="session")
def speech_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("speech")


@pytest.fixture(scope="session")
def say(speech_dir: Path) -> Callable[..., Path]:
    """Speak ``text`` to a 16 kHz mono WAV: festival's natural voice, or an espeak-ng voice."""

    def _say(text: str, voice: str = "slt", pad: tuple[float, float] = (0.3, 0.8)) -> Path:
        key = hashlib.sha1(f"{voice}|{text}|{pad}".encode()).hexdigest()[:12]
        out = speech_dir / f"{key}.wav"
        if out.exists():
            return out
        raw = speech_dir / f"{key}.raw.wav"
        if voice == "slt":
            _need("text2wave")
            subprocess.run(["text2wave", "-eval", "(voice_cmu_us_slt_arctic_hts)", "-o",
                            str(raw)], input=text.encode(), check=True)
        else:
            _need("espeak-ng")
            subprocess.run(["espeak-ng", "-v", voice, "-w", str(raw), text], check=True)
        _need("sox")
        subprocess.run(["sox", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(out),
                        "pad", str(pad[0]), str(pad[1])], check=True)
        return out

    return _say


@pytest.fixture(scope="session")
def join(speech_dir: Path) -> Callable[..., Path]:
    """Concatenate WAVs (same format) into one file."""

    def _join(*parts: Path) -> Path:
        key = hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest()[:12]
        out = speech_dir / f"joined-{key}.wav"
        if not out.exists():
            subprocess.run(["sox", *map(str, parts), str(out)], check=True)
        return out

    return _join


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    """Base URL (…/v1) of a warm faster-whisper-server serving the bundled tiny.en."""
    with running_server() as url:
        yield url


def _pulse_up() -> bool:
    return subprocess.run(["pactl", "info"], capture_output=True).returncode == 0


@pytest.fixture(scope="session")
def pulse() -> None:
    _need("pulseaudio")
    _need("paplay")
    if not _pulse_up():
        subprocess.run(["pulseaudio", "--start", "--exit-idle-time=-1"], capture_output=True)
        deadline = time.monotonic() + 10
        while not _pulse_up():
            if time.monotonic() > deadline:
                pytest.fail("PulseAudio did not start")
            time.sleep(0.2)


def pulse_server() -> str:
    """The running sound server's address, for clients given a private XDG_RUNTIME_DIR
    (where libpulse would otherwise look for it)."""
    info = subprocess.run(["pactl", "info"], capture_output=True, text=True, check=True).stdout
    for line in info.splitlines():
        if line.startswith("Server String:"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"pactl info names no server: {info}")


@pytest.fixture
def virtual_mic(pulse: None) -> Iterator[str]:
    """A null sink whose monitor is a microphone; yields the sink name.

    Clients are pointed at it with PULSE_SOURCE (see ``mic_env``), not by changing the
    server's default source, so parallel runs do not interfere."""
    name = f"dictmic{uuid.uuid4().hex[:8]}"
    module = subprocess.run(["pactl", "load-module", "module-null-sink", f"sink_name={name}"],
                            capture_output=True, text=True, check=True).stdout.strip()
    try:
        yield name
    finally:
        subprocess.run(["pactl", "unload-module", module], capture_output=True)


def mic_env(sink: str, **extra: str) -> dict[str, str]:
    return {**os.environ, "PULSE_SOURCE": f"{sink}.monitor", **extra}


class PrivatePulse:
    """A PulseAudio server of one test's own: its own runtime directory, cookie-less socket
    and null sinks, so the test can kill it (SIGKILL) and start it again without disturbing
    any other test. Clients find it through PULSE_SERVER, which libpulse reads and so does
    the ALSA pulse plugin that PortAudio's "default" and "pulse" devices go through."""

    def __init__(self, root: Path) -> None:
        self.dir = root
        self.env = {**os.environ, "PULSE_SERVER": f"unix:{root / 'native'}"}
        self.proc: subprocess.Popen | None = None
        self._players: list[subprocess.Popen] = []

    def start(self, *sinks: str) -> None:
        _need("pulseaudio")
        _need("pacat")
        home = {"HOME": str(self.dir), "XDG_RUNTIME_DIR": str(self.dir)}
        modules = [f"--load=module-native-protocol-unix socket={self.dir / 'native'} "
                   "auth-anonymous=1",
                   *(f"--load=module-null-sink sink_name={s}" for s in sinks)]
        self.proc = subprocess.Popen(
            ["pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--use-pid-file=no",
             *modules], env={**self.env, **home}, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while self.pactl("info").returncode != 0:
            assert self.proc.poll() is None, "pulseaudio exited"
            assert time.monotonic() < deadline, "pulseaudio did not start"
            time.sleep(0.1)
        # A null sink's monitor delivers audio fitfully unless something plays into it.
        self._players = [subprocess.Popen(["pacat", "-d", s, "/dev/zero"], env=self.env,
                                          stderr=subprocess.DEVNULL) for s in sinks]

    def kill(self) -> None:
        if self.proc:
            self.proc.kill()
            self.proc.wait(10)
        for p in self._players:
            p.kill()
            p.wait(10)

    def pactl(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["pactl", *args], env=self.env, capture_output=True, text=True,
                              timeout=10)

    def play(self, sink: str, wav: Path) -> subprocess.Popen:
        return subprocess.Popen(["paplay", "--latency-msec=20", "-d", sink, str(wav)],
                                env=self.env)


@pytest.fixture
def private_pulse(tmp_path: Path) -> Iterator[PrivatePulse]:
    """A PrivatePulse, not yet started; killed at the end."""
    # A short path: a Unix socket's path is limited to 108 bytes.
    root = Path(tempfile.mkdtemp(prefix="pa-"))
    server = PrivatePulse(root)
    try:
        yield server
    finally:
        server.kill()
        shutil.rmtree(root, ignore_errors=True)


def play(sink: str, wav: Path) -> subprocess.Popen:
    return subprocess.Popen(["paplay", "--latency-msec=20", "-d", sink, str(wav)])


@pytest.fixture
def xdisplay() -> Iterator[str]:
    """A real X server (Xvfb) on a free display number."""
    _need("Xvfb")
    for n in range(90, 140):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            break
    proc = subprocess.Popen(["Xvfb", f":{n}", "-nolisten", "tcp"], stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not Path(f"/tmp/.X11-unix/X{n}").exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail("Xvfb did not start")
        time.sleep(0.1)
    try:
        yield f":{n}"
    finally:
        proc.terminate()
        proc.wait(5)


def dictation_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "dictation", *args]


def one_clear_line(stderr: str) -> str:
    """What a failure the user caused prints: exactly one line, no traceback, no terminal
    controls. Returned for the test's own checks of its wording."""
    assert "Traceback" not in stderr, stderr
    lines = stderr.strip("\n").split("\n")
    assert len(lines) == 1 and lines[0].strip(), f"not one line: {stderr!r}"
    assert lines[0].startswith("dictation"), lines[0]
    assert not any(ord(ch) < 32 or 0x7F <= ord(ch) <= 0x9F for ch in lines[0]), repr(lines[0])
    return lines[0]


def norm(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9' ]", " ", text.lower()).split())


class Daemon:
    def __init__(self, sink: str | None, *args: str, prefix: tuple[str, ...] = (),
                 base_env: dict[str, str] | None = None, **env: str) -> None:
        """``dictation run ARGS`` on the virtual mic ``sink`` (None: the default source);
        ``base_env`` replaces os.environ (a private PulseAudio's)."""
        pin = {"PULSE_SOURCE": f"{sink}.monitor"} if sink else {}
        self.proc = subprocess.Popen([*prefix, *dictation_cmd("run", *args)],
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True,
                                     env={**(base_env or os.environ), **pin, **env})
        self.stderr = ""
        self._wait_stderr("listening on", 30)

    def _wait_stderr(self, needle: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while needle not in self.stderr:
            assert self.proc.poll() is None, f"daemon exited: {self.stderr}"
            assert time.monotonic() < deadline, f"no '{needle}' in: {self.stderr}"
            ready, _, _ = select.select([self.proc.stderr], [], [], 0.5)
            if ready:
                self.stderr += self.proc.stderr.readline()

    def line(self, timeout: float) -> str:
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        assert ready, f"no line on stdout in time; stderr so far: {self.stderr}"
        return self.proc.stdout.readline().rstrip("\n")

    def stop(self, sig: int = signal.SIGINT) -> tuple[str, str, int]:
        self.proc.send_signal(sig)
        out, err = self.proc.communicate(timeout=60)
        return out, self.stderr + err, self.proc.returncode
