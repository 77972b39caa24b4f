"""A PulseAudio server of one test run's or one benchmark's own.

Its own runtime directory, cookie-less socket and null sinks: nothing depends on (or
disturbs) a sound server the machine has, another test run or another benchmark. Clients
find it through PULSE_SERVER, which libpulse reads and so does the ALSA pulse plugin that
PortAudio's "default" and "pulse" devices go through. Used by the tests' fixtures and by
the benchmark's virtual microphone.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

START_S = 60.0  # generous: a loaded machine has taken seconds to start it


def _spawn(cmd: list[str], env: dict[str, str], **kw: object) -> subprocess.Popen:
    # A process group of its own, so a stop takes its children too.
    return subprocess.Popen(cmd, env=env, start_new_session=True, **kw)  # type: ignore[call-overload]


def stop_group(proc: subprocess.Popen, sig: int = signal.SIGKILL, timeout: float = 10) -> None:
    """End ``proc`` and everything in its process group."""
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        if proc.poll() is None:
            proc.send_signal(sig)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout)


class PrivatePulse:
    """A sound server in ``root`` (keep the path short: a Unix socket's path is limited to
    108 bytes). It can be killed (SIGKILL) and started again."""

    def __init__(self, root: Path) -> None:
        self.dir = root
        self.server = f"unix:{root / 'native'}"
        self.env = {**os.environ, "PULSE_SERVER": self.server}
        self.proc: subprocess.Popen | None = None
        self._players: list[subprocess.Popen] = []

    def start(self, *sinks: str) -> None:
        for tool in ("pulseaudio", "pacat", "pactl"):
            if shutil.which(tool) is None:
                raise RuntimeError(f"{tool} is not installed (make deps-test installs it)")
        # The environment as it is now: a test's process token reaches the server.
        self.env = {**os.environ, "PULSE_SERVER": self.server}
        home = {"HOME": str(self.dir), "XDG_RUNTIME_DIR": str(self.dir)}
        modules = [f"--load=module-native-protocol-unix socket={self.dir / 'native'} "
                   "auth-anonymous=1",
                   *(f"--load=module-null-sink sink_name={s}" for s in sinks)]
        self.proc = _spawn(
            ["pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--use-pid-file=no",
             *modules], env={**self.env, **home}, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + START_S
        while self.pactl("info").returncode != 0:
            if self.proc.poll() is not None:
                raise RuntimeError("pulseaudio exited")
            if time.monotonic() > deadline:
                raise RuntimeError("pulseaudio did not start")
            time.sleep(0.1)
        for sink in sinks:
            self.steady(sink)

    def steady(self, sink: str, *args: str) -> subprocess.Popen:
        """Digital silence played into ``sink`` for as long as the server runs: a null sink's
        monitor delivers audio fitfully while nothing plays, a real microphone steadily.
        ``args`` go to pacat (a format, a latency)."""
        player = _spawn(["pacat", "--playback", "-d", sink, *args, "/dev/zero"], env=self.env,
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._players.append(player)
        return player

    def kill(self) -> None:
        for p in [*self._players, *([self.proc] if self.proc else [])]:
            stop_group(p)
        self._players = []

    def pactl(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["pactl", *args], env=self.env, capture_output=True, text=True,
                              timeout=30)

    def load_sink(self, name: str) -> str:
        """A new null sink; the module's index, to unload it."""
        done = self.pactl("load-module", "module-null-sink", f"sink_name={name}")
        if done.returncode != 0:
            raise RuntimeError(f"cannot load a null sink: {done.stderr.strip()}")
        return done.stdout.strip()
