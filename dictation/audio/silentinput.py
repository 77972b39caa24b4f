"""A microphone that hears nothing: after a while of input far below speech, one line that
names the source, gives its level and points to `dictation devices`.

The watch costs a comparison and a clock read per block: it takes the block levels the
pipeline already measures (audio/levels.py). A line is said once for each class of level
(digital silence: muted or turned down to zero; near silence: a wrong or unplugged input),
so a quiet run says it once, not every 20 s.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import time
from collections.abc import Callable

from dictation.records import Final, Quiet

log = logging.getLogger("dictation")

SILENT_AFTER_S = 20.0
"""How long input stays far below speech, with nothing said, before the line."""
QUIET_DBFS = -70.0
"""Far below speech: speech at a microphone reads -40 to -20 dBFS and a quiet room's noise
through a working one about -60; below -70 the source hears next to nothing."""
DIGITAL_DBFS = -90.0
"""Below this the samples are within one step of zero (16-bit: -90.3 dBFS): a muted source, or
its volume at zero. Not lower: resampling to 16 bits dithers (audio/mic.py), and digital
silence comes out as ±1 in a quarter of its samples, about -96 dBFS."""


def level_class(dbfs: float) -> str | None:
    """The class of a quiet level, None for a level that is not quiet."""
    if dbfs >= QUIET_DBFS:
        return None
    return "digital silence" if dbfs < DIGITAL_DBFS else "near silence"


class SilentInput(Quiet):
    """Watches block levels; ``report(loudest_dbfs, level_class)`` once per class when a
    whole ``after_s`` window stayed quiet with no text delivered."""

    def __init__(self, report: Callable[[float, str], None], *,
                 after_s: float = SILENT_AFTER_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._report = report
        self._after_s = after_s
        self._clock = clock
        self._since = clock()
        self._loudest = -math.inf
        self._said: str | None = None  # the class last reported

    def level(self, dbfs: float) -> None:
        if dbfs > self._loudest:
            self._loudest = dbfs
        now = self._clock()
        if now - self._since < self._after_s:
            return
        quiet = level_class(self._loudest)
        if quiet is not None and quiet != self._said:
            self._said = quiet
            self._report(self._loudest, quiet)
        self._since, self._loudest = now, -math.inf

    def final(self, event: Final) -> None:
        """Something was said: the input works; the window starts again."""
        self._since, self._loudest = self._clock(), -math.inf


def watch(source: object) -> Quiet:
    """The watch for a run's source: a microphone's; a file's silence is its own business."""
    from dictation.audio.mic import MicSource

    if not isinstance(source, MicSource):
        return Quiet()
    return watch_microphone(lambda: source.device.name if source.device else None)


def watch_microphone(device: Callable[[], str | None]) -> SilentInput:
    """The watch for a microphone; ``device()`` is PortAudio's name for it now (it may
    change as devices come and go). Asking the sound server which source that is runs off
    the loop, since pactl may take a while."""
    tasks: set[asyncio.Task[None]] = set()

    def report(dbfs: float, quiet: str) -> None:
        name = device()
        if name is None:
            return
        task = asyncio.get_running_loop().create_task(_say(name, dbfs, quiet))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    return SilentInput(report)


async def _say(device: str, dbfs: float, quiet: str) -> None:
    from dictation.audio.soundserver import portaudio_source

    source = await asyncio.to_thread(portaudio_source, device, dict(os.environ))
    log.warning("%s for %.0f s from %s: at most %.0f dBFS, where speech is -40 to -20; is it "
                "muted, or the wrong source? see `dictation devices`", quiet, SILENT_AFTER_S,
                source, max(dbfs, -120.0))
