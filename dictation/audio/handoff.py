"""Handing captured blocks from PortAudio's thread to the loop: each block at once while
speech may be under way, a few together while the room is quiet.

Every hand-off wakes the loop (``call_soon_threadsafe`` writes to its self-pipe) and then the
segmenter's task; in a quiet room those wake-ups were most of what listening cost. Held audio
is only later, never lost or reordered, and the later part is the start of an utterance, never
its end: the loop asks for every block at once (``hold(False)``) from the block that opens an
utterance on, and with the segmenter's defaults (0.25 s of speech, then a pause of 0.24 s at
least) no utterance ends within the hold of opening, so the blocks that end it arrive one by
one. A gate action (push-to-talk released) flushes first, so it still
lands after exactly the audio captured before it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import numpy as np

QUIET_HOLD_S = 0.25
"""How long a block may wait while no utterance is open: five 50 ms blocks per wake-up instead
of one. Speech that starts meanwhile reaches the segmenter at most this much later, all at
once, and is caught up with long before it ends (docs/idle.md)."""


class Handoff:
    """Blocks from the audio thread (:meth:`put`) to the loop (:meth:`take`), with ``wake``
    (thread-safe: it schedules a take on the loop) called once ``limit`` blocks wait.

    A deque's append and popleft are atomic, so the audio thread never takes a lock or waits.
    """

    def __init__(self, wake: Callable[[], None], quiet_blocks: int) -> None:
        self._wake = wake
        self._blocks: deque[tuple[np.ndarray, bool]] = deque()
        self.quiet_blocks = max(1, quiet_blocks)
        self.limit = 1  # every block at once until the loop says the room is quiet

    def put(self, block: np.ndarray, overflow: bool) -> None:
        """On the audio thread: keep the block; wake the loop once enough wait."""
        self._blocks.append((block, overflow))
        if len(self._blocks) >= self.limit:
            self._wake()

    def hold(self, quiet: bool) -> None:
        """On the loop: gather blocks while ``quiet``; otherwise hand each over at once."""
        self.limit = self.quiet_blocks if quiet else 1

    def take(self) -> tuple[list[np.ndarray], bool]:
        """On the loop: the blocks waiting, oldest first, and whether input overflowed in any
        of them. Empty when an earlier take already had them."""
        blocks, overflow = [], False
        while self._blocks:
            block, lost = self._blocks.popleft()
            blocks.append(block)
            overflow |= lost
        return blocks, overflow
