"""Real parts for the tests: generated speech, a PulseAudio virtual microphone, the
third-party faster-whisper-server with the bundled tiny.en model, and an X server."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from test_typer import TextWindow
    from wayland import Sway

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tools"))

import basemodel  # noqa: E402
import private_pulse  # noqa: E402
import procs  # noqa: E402
from local_server import running_server  # noqa: E402

SAMPLE = REPO / "dictation" / "data" / "sample.wav"


def _need(tool: str) -> None:
    # CI installs every real part (make test); a missing one is a failure, never a skip.
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} is not installed: run 'make test', which installs it")


# Fixtures that bring real parts (a sound server, an X server, the third-party server, spoken
# audio): their tests are left out of `make test-fast`. Those that run a daemon on a live
# microphone or a terminal are timing-sensitive: `make flake` runs them under load.
REAL_FIXTURES = {"pulse", "virtual_mic", "private_pulse", "server_url", "xserver", "xdisplay",
                 "say", "join", "pane_factory", "refused_port", "base_model_dir", "sway"}
REALTIME_FIXTURES = {"virtual_mic", "private_pulse", "pane_factory"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        if names & REALTIME_FIXTURES:
            item.add_marker(pytest.mark.realtime)
        if names & REAL_FIXTURES or item.get_closest_marker("realtime"):
            item.add_marker(pytest.mark.real)


@pytest.fixture(scope="session", autouse=True)
def _no_user_config(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The product under test reads neither the user's config file nor their DICTATION_* variables:
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
    # And a control socket of the test run's own: a daemon the user runs (or another test
    # run) holds the default one, and a second daemon would rightly refuse to start.
    runtime = tmp_path_factory.mktemp("runtime")
    runtime.chmod(0o700)
    os.environ["DICTATION_SOCKET"] = str(runtime / "control.sock")
    # Processes the session's fixtures start (servers, the sound server) carry this token;
    # whatever their finalisers missed is killed when the session ends.
    session = f"session-{uuid.uuid4().hex}"
    os.environ[procs.TOKEN] = os.environ[procs.SESSION_TOKEN] = session
    try:
        yield
    finally:
        procs.reap(session)
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture(autouse=True)
def _own_state(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Each test has a state directory of its own: the spool a failed test left must not
    come out as the next test's first line."""
    saved = os.environ["XDG_STATE_HOME"]
    os.environ["XDG_STATE_HOME"] = str(tmp_path_factory.mktemp("state-home"))
    try:
        yield
    finally:
        os.environ["XDG_STATE_HOME"] = saved


@pytest.fixture(autouse=True)
def _reap() -> Iterator[None]:
    """Every process the test starts carries its token; all of them end with the test, pass
    or fail, their children too."""
    session = os.environ[procs.TOKEN]
    token = f"test-{uuid.uuid4().hex}"
    os.environ[procs.TOKEN] = token
    try:
        yield
    finally:
        os.environ[procs.TOKEN] = session
        procs.reap(token)


@pytest.fixture(scope="session")
def speech_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("speech")


@pytest.fixture(scope="session")
def say(speech_dir: Path) -> Callable[..., Path]:
    """Speak ``text`` to a 16 kHz mono WAV: festival's natural voice, another festival voice
    (``festival:NAME``: Catalan and Italian ones read Latin-1), or an espeak-ng voice."""

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
        elif voice.startswith("festival:"):
            _need("text2wave")
            subprocess.run(["text2wave", "-eval", f"(voice_{voice.split(':', 1)[1]})", "-o",
                            str(raw)], input=text.encode("latin-1"), check=True)
        else:
            _need("espeak-ng")
            subprocess.run(["espeak-ng", "-v", voice, "-w", str(raw), text], check=True)
        _need("sox")
        # -D: no dither, so a test hears the same samples in every run.
        subprocess.run(["sox", str(raw), "-D", "-r", "16000", "-c", "1", "-b", "16", str(out),
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
def base_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A multilingual Whisper base in CTranslate2 format, assembled once a session from the
    two test packages that carry it (its model.bin split in two)."""
    return basemodel.assemble(tmp_path_factory.mktemp("models") / "base")


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    """Base URL (…/v1) of a warm faster-whisper-server serving the bundled tiny.en."""
    with contextlib.ExitStack() as stack:
        with procs.session_owned():
            url = stack.enter_context(running_server())
        yield url


# A microphone keeps its own clock whatever the machine does; a player process does not. A
# 200 ms buffer rides out the scheduling delays of a loaded machine, where a small one ran
# dry and put pauses into the speech that the daemon then rightly heard.
PLAYER = ("paplay", "--latency-msec=200")


class PrivatePulse(private_pulse.PrivatePulse):
    """The tests' sound server (see ``tools/private_pulse.py``), which also plays WAVs."""

    def play(self, sink: str, wav: Path) -> subprocess.Popen:
        return procs.spawn([*PLAYER, "-d", sink, str(wav)], env=self.env)


def _private_root() -> Path:
    # A short path: a Unix socket's path is limited to 108 bytes.
    return Path(tempfile.mkdtemp(prefix="pa-"))


@pytest.fixture(scope="session")
def pulse() -> Iterator[PrivatePulse]:
    """The test run's own sound server (one per pytest worker), the default for every client
    the tests start: PULSE_SERVER is set for the session."""
    root = _private_root()
    server = PrivatePulse(root)
    with procs.session_owned():
        server.start()
    os.environ["PULSE_SERVER"] = server.server
    try:
        yield server
    finally:
        os.environ.pop("PULSE_SERVER", None)
        server.kill()
        shutil.rmtree(root, ignore_errors=True)


def pulse_server() -> str:
    """The running sound server's address, for clients given a private XDG_RUNTIME_DIR
    (where libpulse would otherwise look for it)."""
    info = subprocess.run(["pactl", "info"], capture_output=True, text=True, check=True,
                          timeout=30).stdout
    for line in info.splitlines():
        if line.startswith("Server String:"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"pactl info names no server: {info}")


@pytest.fixture
def virtual_mic(pulse: PrivatePulse) -> Iterator[str]:
    """A null sink whose monitor is a microphone; yields the sink name.

    Clients are pointed at it with PULSE_SOURCE (see ``mic_env``), not by changing the
    server's default source, so tests sharing the server do not interfere."""
    name = f"dictmic{uuid.uuid4().hex[:8]}"
    module = pulse.load_sink(name)
    player = procs.spawn(["pacat", "-d", name, "/dev/zero"], stderr=subprocess.DEVNULL)
    try:
        yield name
    finally:
        procs.stop_group(player)
        pulse.pactl("unload-module", module)


def mic_env(sink: str, **extra: str) -> dict[str, str]:
    return {**os.environ, "PULSE_SOURCE": f"{sink}.monitor", **extra}


@pytest.fixture
def private_pulse(tmp_path: Path) -> Iterator[PrivatePulse]:
    """A PrivatePulse of the test's own, not yet started; killed at the end."""
    root = _private_root()
    server = PrivatePulse(root)
    try:
        yield server
    finally:
        server.kill()
        shutil.rmtree(root, ignore_errors=True)


def play(sink: str, wav: Path) -> subprocess.Popen:
    """Play ``wav`` into the virtual microphone ``sink``; ``.wait()`` returns once all of it
    was played."""
    return procs.spawn([*PLAYER, "-d", sink, str(wav)])


class XServer:
    def __init__(self, display: str, proc: subprocess.Popen) -> None:
        self.display, self.proc = display, proc

    def hang(self) -> None:
        """The X server stops answering (SIGSTOP). It is stopped rather than killed so that
        its display number stays its own: a killed server's number is free at once, and
        another test's X server that took it would receive this test's keystrokes."""
        self.proc.send_signal(signal.SIGSTOP)

    def close(self) -> None:
        self.proc.send_signal(signal.SIGCONT)
        procs.stop_group(self.proc, signal.SIGTERM)


@pytest.fixture
def xserver() -> Iterator[XServer]:
    """A real X server (Xvfb); it picks a free display number itself and tells us."""
    _need("Xvfb")
    read, write = os.pipe()
    # -r: no key autorepeat. Under load xdotool's release may come 660 ms after its press,
    # and the server then typed the key twice ("Dearr Samantha"). -noreset: a server resets
    # when its last client leaves, and a client that connects meanwhile is refused ("unable
    # to open display", seen once between two of the daemon's xmodmap calls); a desktop's
    # server always has its window manager connected, so it never resets mid-session.
    proc = procs.spawn(["Xvfb", "-displayfd", str(write), "-nolisten", "tcp", "-r", "-noreset"],
                       pass_fds=(write,), stderr=subprocess.DEVNULL)
    os.close(write)
    server = None
    try:
        number = b""
        # Generous: Xvfb starts in well under a second, but a loaded machine is slower.
        deadline = time.monotonic() + 60
        while not number.endswith(b"\n"):
            ready, _, _ = select.select([read], [], [], max(0.0, deadline - time.monotonic()))
            chunk = os.read(read, 16) if ready else b""
            if not chunk:
                pytest.fail("Xvfb did not start")
            number += chunk
        server = XServer(f":{int(number)}", proc)
        yield server
    finally:
        os.close(read)
        if server:
            server.close()
        else:
            procs.stop_group(proc, signal.SIGTERM)


@pytest.fixture
def xdisplay(xserver: XServer) -> str:
    return xserver.display


@pytest.fixture
def sway() -> Iterator[Sway]:
    """A headless sway of the test's own, as an unprivileged user (tests/wayland.py)."""
    from wayland import Sway

    for tool in ("sway", "swaymsg", "foot", "wtype", "wl-copy", "wl-paste"):
        _need(tool)
    rig = Sway()
    try:
        yield rig
    finally:
        rig.close()


@pytest.fixture
def refused_port() -> Iterator[socket.socket]:
    """A loopback port bound but not listening: connections are refused, and no other
    program can take it. A FaultServer can adopt it later (``sock=``)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    try:
        yield s
    finally:
        s.close()


def dictation_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "dictation", *args]


def dictation(env: dict[str, str], *args: str, timeout: float = 300
              ) -> subprocess.CompletedProcess:
    """``dictation ARGS`` run to its end in ``env``; whatever it says, never a traceback."""
    done = subprocess.run(dictation_cmd(*args), capture_output=True, text=True, env=env,
                          timeout=timeout)
    assert "Traceback" not in done.stderr, done.stderr
    return done


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


@pytest.fixture
def typing_window(xdisplay: str) -> Iterator[TextWindow]:
    """A Tk text field with the focus (test_typer.TextWindow), and the tools the activity
    watcher of typing that corrects itself needs."""
    from test_typer import TextWindow  # it needs this module loaded first

    for tool in ("xdotool", "xinput", "xmodmap"):
        _need(tool)
    w = TextWindow(xdisplay)
    yield w
    w.close()


class Daemon:
    """``dictation run ARGS`` as a child process, every line of its stdout and stderr seen."""

    def __init__(self, sink: str | None, *args: str, prefix: tuple[str, ...] = (),
                 base_env: dict[str, str] | None = None, ready: str = "listening on",
                 **env: str) -> None:
        """On the virtual mic ``sink`` (None: the default source); ``base_env`` replaces
        os.environ (a private PulseAudio's). Returns once stderr says ``ready``."""
        pin = {"PULSE_SOURCE": f"{sink}.monitor"} if sink else {}
        if "--stop-grace" not in args:
            # A loaded machine's engine may take seconds an utterance: a stop waits for the
            # text within the test's own bound. Tests of the grace itself pass theirs.
            args = (*args, "--stop-grace", "45")
        self.proc = procs.spawn([*prefix, *dictation_cmd("run", *args)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env={**(base_env or os.environ), **pin, **env})
        self.out = procs.Stream(self.proc.stdout)
        self.err = procs.Stream(self.proc.stderr)
        if ready:
            # Generous: it loads no model first, but Python starting under load is slow.
            self.wait_stderr(ready, 120)

    @property
    def stderr(self) -> str:
        return self.err.text

    def wait_stderr(self, needle: str, timeout: float) -> str:
        return self.err.wait(lambda text: needle in text, timeout, f"no {needle!r} on stderr")

    _wait_stderr = wait_stderr

    def line(self, timeout: float) -> str:
        """The next line of stdout."""
        try:
            return self.out.line(timeout)
        except AssertionError as err:
            raise AssertionError(f"stdout: {err}; stderr so far: {self.stderr}") from None

    def stop(self, sig: int = signal.SIGINT, timeout: float = 60) -> tuple[str, str, int]:
        """Signal it and wait for its exit: (stdout no ``line`` took, all of stderr, code)."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout)
        finally:
            procs.stop_group(self.proc)  # whatever it started goes too
        return self.out.rest(), self.err.rest(), code
