"""Audio sources: a microphone via sounddevice, or an audio file paced like one.

Every source yields 16 kHz mono int16 blocks into an asyncio queue and ends with ``None``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np
import soxr

from dictation.codec import decode_file, to_16k_int16
from dictation.errors import DeviceError
from dictation.vad import SAMPLE_RATE

log = logging.getLogger("dictation")

BLOCK_S = 0.03  # a file's blocks: one VAD frame each, so pacing matches a frame's arrival


class FileSource:
    """Plays a decoded audio or video file into the pipeline, at real time like a microphone
    or as fast as the pipeline takes it."""

    def __init__(self, path: Path, *, realtime: bool = True) -> None:
        self.pcm = decode_file(path)  # decode now so a bad file fails before anything starts
        self.path = path
        self.realtime = realtime
        self.read = 0  # samples handed to the pipeline
        self.description = f"file {path.name} ({len(self.pcm) / SAMPLE_RATE:.1f} s"
        self.description += ", real time)" if realtime else ", fast)"
        self.can_wait = not realtime  # at real time it stands for a microphone
        self._stopping = False

    def stop(self) -> None:
        self._stopping = True

    def unread(self) -> str | None:
        """What of the file was never processed, after an early stop; None if all was."""
        if self.read >= len(self.pcm):
            return None
        return (f"{self.path} was not processed from {self.read / SAMPLE_RATE:.1f} s on; "
                "the file itself still holds that audio")

    async def run(self, out: asyncio.Queue[np.ndarray | None]) -> None:
        step = int(SAMPLE_RATE * BLOCK_S)
        t0 = time.monotonic()
        try:
            for pos in range(0, len(self.pcm), step):
                if self._stopping:
                    break
                await out.put(self.pcm[pos:pos + step])  # waits when full: a file can
                self.read = min(len(self.pcm), pos + step)
                if self.realtime:
                    delay = t0 + (pos + step) / SAMPLE_RATE - time.monotonic()
                    if delay > 0:
                        await asyncio.sleep(delay)
                else:
                    await asyncio.sleep(0)
        finally:
            await out.put(None)


def import_sounddevice() -> ModuleType:
    try:
        import sounddevice
    except OSError:
        raise DeviceError("PortAudio library not found: install it with "
                          "'apt-get install libportaudio2'") from None
    return sounddevice


@dataclass(frozen=True)
class InputDevice:
    index: int
    name: str
    rate: int
    channels: int
    is_default: bool


def input_devices() -> list[InputDevice]:
    sd = import_sounddevice()
    try:
        default = sd.default.device[0]
        return [InputDevice(d["index"], d["name"], int(d["default_samplerate"]),
                            d["max_input_channels"], d["index"] == default)
                for d in sd.query_devices() if d["max_input_channels"] > 0]
    except sd.PortAudioError as err:
        raise DeviceError(f"cannot list audio devices: {err}") from None


def find_input_device(spec: str | None) -> InputDevice:
    """Resolve ``--input``: None for the default device, an index, or a name substring."""
    devices = input_devices()
    if not devices:
        raise DeviceError("no input device found")
    if spec is None:
        for d in devices:
            if d.is_default:
                return d
        raise DeviceError("no default input device found")
    if spec.isdigit():
        for d in devices:
            if d.index == int(spec):
                return d
        raise DeviceError(f"no input device with index {spec}; see 'dictation devices'")
    matches = [d for d in devices if spec.lower() in d.name.lower()]
    exact = [d for d in matches if d.name.lower() == spec.lower()]
    if len(exact) == 1 or len(matches) == 1:
        return (exact or matches)[0]
    if not matches:
        raise DeviceError(f"no input device matches '{spec}'; see 'dictation devices'")
    names = ", ".join(f"{d.index}: {d.name}" for d in matches)
    raise DeviceError(f"'{spec}' matches several input devices ({names}); give an index")


class MicSource:
    """Captures a sounddevice InputStream at the device's native rate."""

    block_s = 0.05  # 20 wake-ups a second: a third of the CPU of 30 ms blocks, ≤ 50 ms later
    can_wait = False  # capture never waits on the engine

    def __init__(self, device: InputDevice) -> None:
        self.device = device
        self.description = f"microphone '{device.name}' ({device.rate} Hz)"
        self.overflows = 0  # PortAudio lost input before we saw it
        self.dropped = 0  # the pipeline's queue was full: it is stalled
        self._out: asyncio.Queue[np.ndarray | None] | None = None
        self._early: list[np.ndarray] = []  # blocks captured before run() was given a queue
        self._stop = asyncio.Event()
        self._reported = 0.0

    def stop(self) -> None:
        self._stop.set()

    def unread(self) -> None:
        """A microphone has no rest to report: what was not captured was never recorded."""
        return None

    def open(self) -> None:
        """Open and start the stream now, on the running loop, so a busy or missing device
        fails before the pipeline starts."""
        sd = import_sounddevice()
        loop = asyncio.get_running_loop()
        rate = self.device.rate
        resampler = soxr.ResampleStream(rate, SAMPLE_RATE, 1, dtype="float32")
        self._resampler = resampler

        def on_block(block: np.ndarray, overflow: bool) -> None:  # on the loop thread
            if overflow:
                self.overflows += 1
            samples = block[:, 0] if block.shape[1] == 1 else block.mean(axis=1)
            pcm = to_16k_int16(resampler.resample_chunk(samples.astype(np.float32) / 32768),
                               SAMPLE_RATE)
            out = self._out
            if out is None:
                self._early.append(pcm)
            elif out.full():
                self.dropped += 1
            else:
                out.put_nowait(pcm)
            if (overflow or self.dropped) and time.monotonic() - self._reported > 5:
                self._reported = time.monotonic()
                log.warning("audio lost: %d input overflows, %d blocks dropped by a stalled "
                            "pipeline", self.overflows, self.dropped)

        def callback(indata: np.ndarray, frames: int, when: object, status: object) -> None:
            # PortAudio thread: copy and hand over, nothing else (exceptions here are lost).
            loop.call_soon_threadsafe(on_block, indata.copy(), status.input_overflow)

        channels = 1
        try:
            sd.check_input_settings(self.device.index, channels=1, samplerate=rate, dtype="int16")
        except (sd.PortAudioError, ValueError):
            channels = min(2, self.device.channels)  # some hardware only opens in stereo
        try:
            self._stream = sd.InputStream(
                device=self.device.index, samplerate=rate, channels=channels, dtype="int16",
                blocksize=int(rate * self.block_s), callback=callback)
            self._stream.start()
        except sd.PortAudioError as err:
            raise DeviceError(f"cannot open input device '{self.device.name}': {err} "
                              "(is it busy or unplugged?)") from None

    async def run(self, out: asyncio.Queue[np.ndarray | None]) -> None:
        if not hasattr(self, "_stream"):
            self.open()
        for pcm in self._early:
            out.put_nowait(pcm)
        self._early.clear()
        self._out = out
        stream = self._stream
        try:
            while not self._stop.is_set():
                try:
                    await asyncio.wait_for(self._stop.wait(), 0.5)
                except TimeoutError:
                    if not stream.active:
                        raise DeviceError(f"input device '{self.device.name}' stopped "
                                          "delivering audio (unplugged?)") from None
        finally:
            stream.stop()
            stream.close()
            await asyncio.sleep(0)  # let blocks already handed over reach the queue
            self._out = None
            tail = self._resampler.resample_chunk(np.zeros(0, np.float32), last=True)
            await out.put(to_16k_int16(tail, SAMPLE_RATE))
            await out.put(None)
