"""Audio sources: an audio file paced like a microphone (the microphone is in mic.py).

Every source yields 16 kHz mono int16 blocks into an asyncio queue and ends with ``None``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

import numpy as np

from dictation.audio.codec import decode_file
from dictation.audio.wav import SAMPLE_RATE

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

    def hold(self, quiet: bool) -> None:
        """A file's blocks are read when the pipeline takes them: nothing to hold."""

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
