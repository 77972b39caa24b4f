"""The reference for the idle figure: the capture loop anyone would write first, in about 60
lines, after sounddevice's own examples. sounddevice hands 30 ms blocks (numpy arrays) of the
default input at 16 kHz to a callback, the callback puts copies on a queue, and the main
thread asks webrtcvad about each one and gathers the speech into utterances, which it only
counts. No engine, no outputs, no state.

    .venv/bin/python bench/naive_capture.py     # prints "listening", Ctrl-C prints a count
"""

from __future__ import annotations

import queue
import signal
import sys

import numpy as np
import sounddevice as sd
import webrtcvad

RATE = 16000
FRAME = RATE * 30 // 1000  # samples in one 30 ms frame, what webrtcvad takes
END_FRAMES = 20  # 0.6 s of silence ends an utterance


def main() -> int:
    blocks: queue.Queue[np.ndarray | None] = queue.Queue()
    vad = webrtcvad.Vad(3)

    def callback(indata: np.ndarray, frames: int, when: object, status: object) -> None:
        blocks.put(indata.copy())

    def stop(*_: object) -> None:
        blocks.put(None)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    utterances, voiced, silent = 0, 0, 0
    with sd.InputStream(samplerate=RATE, channels=1, dtype="int16", blocksize=FRAME,
                        callback=callback):
        print("listening", file=sys.stderr, flush=True)
        while (block := blocks.get()) is not None:
            if vad.is_speech(block.tobytes(), RATE):
                voiced, silent = voiced + 1, 0
            elif voiced:
                silent += 1
                if silent >= END_FRAMES:
                    utterances, voiced, silent = utterances + 1, 0, 0
    print(f"{utterances} utterances", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
