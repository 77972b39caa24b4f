"""Blocks from the audio thread to the loop (dictation/audio/handoff.py): one wake-up per
block while speech may be under way, one per few blocks in a quiet room, and never a block
lost or out of order. Pure: a real thread stands in for PortAudio's."""

from __future__ import annotations

import threading

import numpy as np

from dictation.audio.handoff import Handoff


def block(i: int) -> np.ndarray:
    return np.full((800, 1), i, dtype=np.int16)


def test_every_block_wakes_the_loop_until_the_room_is_quiet() -> None:
    wakes: list[int] = []
    h = Handoff(lambda: wakes.append(1), quiet_blocks=5)
    for i in range(3):
        h.put(block(i), False)
    assert len(wakes) == 3
    blocks, overflow = h.take()
    assert [int(b[0, 0]) for b in blocks] == [0, 1, 2] and not overflow


def test_a_quiet_room_wakes_the_loop_once_per_five_blocks() -> None:
    wakes: list[int] = []
    h = Handoff(lambda: wakes.append(1), quiet_blocks=5)
    h.hold(True)
    for i in range(4):
        h.put(block(i), False)
    assert not wakes  # four blocks wait
    h.put(block(4), True)
    assert len(wakes) == 1
    blocks, overflow = h.take()
    assert [int(b[0, 0]) for b in blocks] == [0, 1, 2, 3, 4]
    assert overflow  # one of them overflowed: it is not lost in the batch
    assert h.take() == ([], False)  # a second wake-up finds nothing


def test_speech_ends_the_holding_and_the_waiting_blocks_come_first() -> None:
    wakes: list[int] = []
    h = Handoff(lambda: wakes.append(1), quiet_blocks=5)
    h.hold(True)
    h.put(block(0), False)
    h.put(block(1), False)
    h.hold(False)
    assert [int(b[0, 0]) for b in h.take()[0]] == [0, 1]  # what the loop takes at once
    h.put(block(2), False)
    assert len(wakes) == 1  # the next block is handed over by itself


def test_blocks_from_another_thread_arrive_whole_and_in_order() -> None:
    taken: list[int] = []
    woken = threading.Event()
    h = Handoff(woken.set, quiet_blocks=4)
    h.hold(True)

    def produce() -> None:
        for i in range(2000):
            h.put(block(i), False)

    t = threading.Thread(target=produce)
    t.start()
    while t.is_alive() or woken.is_set():
        woken.wait(0.5)
        woken.clear()
        taken += [int(b[0, 0]) for b in h.take()[0]]
    t.join()
    taken += [int(b[0, 0]) for b in h.take()[0]]
    assert taken == list(range(2000))
