"""The microphone: capture via sounddevice, and riding out a device that goes away.

A device can vanish mid-run (unplugged, a Bluetooth drop, a sound server restart) or be absent
at start. The source then ends the utterance in progress, says so once, and reopens with
backoff; the daemon stays up meanwhile. PortAudio lists only the devices present when it was
initialised, so every retry re-initialises it first.

Following the default device needs nothing here: PortAudio's ALSA "default" device is the
sound server's, and PulseAudio moves a stream that did not ask for a particular source to the
new default source when it changes (PipeWire's pulse server is meant to as well). PortAudio
itself could only notice a new default after re-initialising, which would close the stream.
"""

from __future__ import annotations

import asyncio
import logging
import time

import numpy as np
import soxr

from dictation.audio.devices import PORTAUDIO, InputDevice, find_input_device, import_sounddevice
from dictation.audio.handoff import QUIET_HOLD_S, Handoff
from dictation.audio.wav import SAMPLE_RATE
from dictation.errors import DeviceError
from dictation.records import GAP

log = logging.getLogger("dictation")

WAITING = "waiting for microphone"  # the source's state while it has nothing to capture from
RETRY_S = (0.5, 10.0)  # reopen backoff: the first wait, doubled up to the second
CALM_S = 5.0  # a run of overflows or dropped blocks is over after this long without one


class Episode:
    """A fault that comes and goes, block by block: one line when it starts, one with the
    count when it has not recurred for CALM_S, never a line per block."""

    def __init__(self, started: str, ended: str) -> None:
        self.started = started
        self.ended = ended  # formatted with count= and seconds=
        self.total = 0
        self.active = False
        self._count = 0
        self._first = self._last = 0.0

    def hit(self, now: float) -> None:
        self.total += 1
        self._count += 1
        self._last = now
        if not self.active:
            self.active, self._first = True, now
            log.warning("%s", self.started)

    def tick(self, now: float) -> None:
        if self.active and now - self._last >= CALM_S:
            log.info("%s", self.ended.format(count=self._count,
                                             seconds=self._last - self._first))
            self.active, self._count = False, 0


class MicSource:
    """Captures a sounddevice InputStream at the device's native rate, and reopens it (or
    waits for a first device, when ``device`` is None) while there is none."""

    # 20 wake-ups a second while an utterance is open, 4 while none is (handoff.py). 80–100 ms
    # blocks cut listening's CPU by a quarter, but every utterance's end then showed 0.1–0.2 s
    # later (docs/idle.md measures both).
    block_s = 0.05
    can_wait = False  # capture never waits on the engine

    def __init__(self, device: InputDevice | None, spec: str | None = None) -> None:
        self.device = device
        self.spec = spec  # --input: what to look for again after a loss
        self.state: str | None = None if device else WAITING
        if device:
            self.description = f"microphone '{device.name}' ({device.rate} Hz)"
        else:
            self.description = (f"microphone '{spec}', once it appears" if spec
                                else "the default microphone, once there is one")
        self.overflow = Episode(
            "microphone input is being lost: overflows (the system did not read it in time)",
            "microphone input is whole again after {count} overflow(s) in {seconds:.1f} s")
        self.drop = Episode(
            "audio dropped: the pipeline is stalled and its queue is full",
            "the pipeline caught up; {count} audio block(s) were dropped in {seconds:.1f} s")
        self._out: asyncio.Queue[np.ndarray | str | None] | None = None
        self._early: list[np.ndarray] = []  # blocks captured before run() was given a queue
        self._stop = asyncio.Event()
        self._stream = None
        self._resampler: soxr.ResampleStream | None = None
        self._handoff: Handoff | None = None

    @property
    def overflows(self) -> int:  # PortAudio lost input before we saw it
        return self.overflow.total

    @property
    def dropped(self) -> int:  # the pipeline's queue was full: it is stalled
        return self.drop.total

    def stop(self) -> None:
        self._stop.set()

    def unread(self) -> None:
        """A microphone has no rest to report: what was not captured was never recorded."""
        return None

    def open(self) -> None:
        """Open and start the stream now, on the running loop, so a busy device fails before
        the pipeline starts."""
        assert self.device is not None
        sd = import_sounddevice()
        loop = asyncio.get_running_loop()
        device = self.device
        rate = device.rate
        # int16 in and out: a quarter of the time of converting to float and back.
        resampler = soxr.ResampleStream(rate, SAMPLE_RATE, 1, dtype="int16")
        handoff = Handoff(lambda: loop.call_soon_threadsafe(self._deliver),
                          round(QUIET_HOLD_S / self.block_s))

        def callback(indata: np.ndarray, frames: int, when: object, status: object) -> None:
            # PortAudio thread: copy and hand over, nothing else (exceptions here are lost).
            handoff.put(indata.copy(), status.input_overflow)

        channels = 1
        try:
            sd.check_input_settings(device.index, channels=1, samplerate=rate, dtype="int16")
        except (sd.PortAudioError, ValueError):
            channels = min(2, device.channels)  # some hardware only opens in stereo
        try:
            stream = sd.InputStream(
                device=device.index, samplerate=rate, channels=channels, dtype="int16",
                blocksize=int(rate * self.block_s), callback=callback)
            stream.start()
        except sd.PortAudioError as err:
            raise DeviceError(f"cannot open input device '{device.name}': {err} "
                              "(is it busy or unplugged?)") from None
        self._stream, self._resampler, self._handoff = stream, resampler, handoff

    def hold(self, quiet: bool) -> None:
        """Nothing is being heard (``quiet``): blocks may wait to be handed over a few at a
        time. Otherwise every block is handed over at once, starting with those waiting."""
        if self._handoff is not None:
            self._handoff.hold(quiet)
            if not quiet:
                self._deliver()

    def _deliver(self) -> None:
        """On the loop: the blocks the audio thread handed over, resampled, to the queue."""
        if self._handoff is None or self._resampler is None:
            return
        blocks, overflow = self._handoff.take()
        if not blocks:
            return
        now = time.monotonic()
        if overflow:
            self.overflow.hit(now)
        block = blocks[0] if len(blocks) == 1 else np.concatenate(blocks)
        samples = (block.reshape(-1) if block.shape[1] == 1
                   else block.mean(axis=1).astype(np.int16))
        pcm = self._resampler.resample_chunk(samples)
        out = self._out
        if out is None:
            self._early.append(pcm)
        elif out.full():
            self.drop.hit(now)
        else:
            out.put_nowait(pcm)

    async def run(self, out: asyncio.Queue[np.ndarray | str | None]) -> None:
        if self.device is None:
            log.warning("no microphone found; waiting for one")
            await self._reconnect(out)
        elif self._stream is None:
            self.open()
        for pcm in self._early:
            out.put_nowait(pcm)
        self._early.clear()
        self._out = out
        try:
            while not self._stop.is_set():
                try:
                    await asyncio.wait_for(self._stop.wait(), 0.5)
                except TimeoutError:
                    now = time.monotonic()
                    self.overflow.tick(now)
                    self.drop.tick(now)
                    if self._stream is not None and not self._stream.active:
                        name = self.device.name if self.device else "?"
                        await self._close(out)
                        await out.put(GAP)  # after the last audio: ends the utterance there
                        self.state = WAITING
                        log.warning("microphone '%s' lost; waiting for it (retrying)", name)
                        await self._reconnect(out)
        finally:
            await self._close(out)
            self._out = None
            await out.put(None)

    async def _close(self, out: asyncio.Queue[np.ndarray | str | None]) -> None:
        """Stop the stream and hand over everything it captured, the resampler's tail too."""
        stream, self._stream = self._stream, None
        if stream is None:
            return
        try:
            stream.stop()
            stream.close()
        except import_sounddevice().PortAudioError as err:  # a dead device may fail to close
            log.debug("closing the input stream: %s", err)
        self._deliver()  # blocks held back in a quiet room
        await asyncio.sleep(0)  # let blocks already handed over reach the queue
        if self._resampler is not None:
            await out.put(self._resampler.resample_chunk(np.zeros(0, np.int16), last=True))

    async def _reconnect(self, out: asyncio.Queue[np.ndarray | str | None]) -> None:
        """Retry with backoff until a device opens or the source is stopped."""
        sd = import_sounddevice()
        delay = RETRY_S[0]
        lost = self.device
        while not self._stop.is_set():
            try:
                await asyncio.wait_for(self._stop.wait(), delay)
                return
            except TimeoutError:
                pass
            delay = min(2 * delay, RETRY_S[1])
            if not out.full():  # still alive, still waiting (the service watchdog's ping)
                out.put_nowait(GAP)
            # A fresh PortAudio sees the devices present now; it takes ~40 ms. On the loop
            # thread: sounddevice silences stderr meanwhile, which would swallow other threads'
            # log lines.
            if not PORTAUDIO.acquire(blocking=False):  # a cue is playing: next time
                continue
            try:
                if sd._initialized:  # not after a failed _initialize
                    sd._terminate()
                sd._initialize()
                # After a loss look for the same device by name (indices shift), or for the
                # default device again; before any device, for what --input names.
                spec = self.spec if lost is None or self.spec is None else lost.name
                self.device = find_input_device(spec)
                self.open()
            except (DeviceError, sd.PortAudioError) as err:
                log.debug("microphone: %s", err)
                continue
            finally:
                PORTAUDIO.release()
            self.state = None
            name = self.device.name
            self.description = f"microphone '{name}' ({self.device.rate} Hz)"
            if lost is None:
                log.info("found microphone '%s'", name)
            elif lost.name == name:
                log.info("microphone '%s' is back", name)
            else:
                log.info("microphone '%s' is gone; now listening on microphone '%s'",
                         lost.name, name)
            return
