"""What the daemon tells the world besides text: start and stop cues, and the service
manager's readiness, status and watchdog (see notify.py)."""

from __future__ import annotations

import asyncio
import logging
import shutil
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

import numpy as np

from dictation.control.status import status_line
from dictation.env import child_env
from dictation.errors import ConfigError
from dictation.records import Quiet

log = logging.getLogger("dictation")

CUE_RATE = 48000


def tone(start_hz: float, end_hz: float, seconds: float = 0.09, volume: float = 0.2
         ) -> np.ndarray:
    """A short glide with soft edges (no click): rising means on, falling means off."""
    n = int(CUE_RATE * seconds)
    freq = np.linspace(start_hz, end_hz, n)
    wave = np.sin(2 * np.pi * np.cumsum(freq) / CUE_RATE)
    ramp = min(n // 4, int(CUE_RATE * 0.01))
    env = np.ones(n)
    env[:ramp] = np.linspace(0, 1, ramp)
    env[-ramp:] = np.linspace(1, 0, ramp)
    # Silence around it: a stream's first and last buffers can be lost as it opens and
    # closes (PortAudio on PulseAudio drops what is still queued at close).
    pad = np.zeros(int(CUE_RATE * 0.15))
    return np.concatenate([pad[:len(pad) // 3], wave * env * volume, pad]).astype(np.float32)


START_TONE = (660.0, 990.0)
STOP_TONE = (990.0, 660.0)


class Notifier(Protocol):
    def ready(self, status: str) -> None: ...

    def status(self, text: str) -> None: ...

    def watchdog(self) -> None: ...

    def stopping(self) -> None: ...


class Cues:
    """``sound``: a short tone on the default output; ``notify``: a desktop notification that
    replaces the previous one. Neither ever holds up the pipeline."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="cue")
        self._tasks: set[asyncio.Task[None]] = set()
        if kind == "notify" and not shutil.which("notify-send"):
            raise ConfigError("--cues notify needs notify-send (Debian package libnotify-bin)")
        if kind == "sound":
            self._tones = {True: tone(*START_TONE), False: tone(*STOP_TONE)}

    def __call__(self, listening: bool) -> None:
        loop = asyncio.get_running_loop()
        if self.kind == "sound":
            fut = loop.run_in_executor(self._pool, self._play, self._tones[listening])
            fut.add_done_callback(lambda f: f.exception())
        elif self.kind == "notify":
            task = loop.create_task(self._notify("Listening…" if listening else "Stopped"))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    @staticmethod
    def _play(wave: np.ndarray) -> None:
        import sounddevice as sd

        from dictation.audio.devices import PORTAUDIO

        try:
            with PORTAUDIO:  # not while the microphone re-initialises PortAudio
                sd.play(wave, CUE_RATE, blocking=True)
        except Exception as err:  # no output device is no reason to stop dictating
            log.debug("cue: %s", err)

    @staticmethod
    async def _notify(body: str) -> None:
        try:
            proc = await asyncio.create_subprocess_exec(
                "notify-send", "--app-name=dictation", "--expire-time=1500",
                "--hint=string:x-canonical-private-synchronous:dictation",
                "--hint=string:x-dunst-stack-tag:dictation", "Dictation", body,
                stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL, env=child_env())
            await asyncio.wait_for(proc.wait(), 5)
        except (OSError, TimeoutError) as err:
            log.debug("cue: notify-send: %s", err)

    def close(self) -> None:
        self._pool.shutdown(wait=False)


class DaemonObserver(Quiet):
    """The pipeline's observer for a daemon: watchdog pings, status, cues."""

    def __init__(self, notifier: Notifier | None = None, cues: Cues | None = None) -> None:
        self._notifier = notifier
        self._cues = cues

    def block(self) -> None:
        if self._notifier:
            self._notifier.watchdog()

    def state(self, status: dict[str, Any]) -> None:
        if self._notifier:
            self._notifier.status(status_line(status))

    def gate(self, listening: bool) -> None:
        if self._cues:
            self._cues(listening)

