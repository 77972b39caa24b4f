"""How late the microphone's audio reaches the pipeline, for a capture block size and the
sound server's fragment size: what a larger block costs every utterance's end.

Short clicks are played into the virtual microphone; a recorder on the same monitor (parec at
10 ms) stamps when each click reached the sound server's clients, and the product's own
MicSource stamps when the block holding it reached the asyncio loop. The difference, over
every click, is the delay that the block and the fragments add (plus the recorder's own
~10 ms, the same for every setting). Settings are measured in turns, several rounds.

    .venv/bin/python bench/capture_delay.py [--rounds 3] [--clicks 30] [--out FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import sys
import tempfile
import time
from pathlib import Path

import corpus
import numpy as np
from rig import recorder, virtual_mic

# (block s, PULSE_LATENCY_MSEC); None: unset, the sound server's default fragments
SETTINGS = ((0.05, None), (0.08, None), (0.1, None), (0.1, 50))
CLICK_S, GAP_S = 0.01, 0.35
ONSET = 0.1  # a click is 0.5 of full scale; the keeper plays digital zeros


def clicks_wav(n: int, path: Path) -> Path:
    rate = corpus.RATE
    one = np.concatenate([np.full(round(CLICK_S * rate), 0.5, np.float32),
                          np.zeros(round(GAP_S * rate), np.float32)])
    corpus.write_wav(path, np.concatenate([np.zeros(rate // 2, np.float32), np.tile(one, n)]))
    return path


def onsets(x: np.ndarray, rate: int) -> list[int]:
    """Sample index of each click's first loud sample."""
    loud = np.flatnonzero(np.abs(x) > ONSET)
    if not loud.size:
        return []
    starts = [int(loud[0])]
    starts += [int(b) for a, b in itertools.pairwise(loud) if b - a > rate * GAP_S / 2]
    return starts


async def capture(block_s: float, sink: str, wav: Path, rec: object) -> list[float]:
    from dictation.audio.devices import find_input_device
    from dictation.audio.mic import MicSource

    mic = MicSource(find_input_device(None))
    mic.block_s = block_s
    queue: asyncio.Queue = asyncio.Queue()
    arrivals: list[tuple[float, np.ndarray]] = []
    task = asyncio.create_task(mic.run(queue))
    await asyncio.sleep(1.0)  # the stream running steadily before the clicks
    rec.start()  # type: ignore[attr-defined]
    player = await asyncio.create_subprocess_exec("paplay", "--latency-msec=20", "-d", sink,
                                                  str(wav))
    done = asyncio.create_task(player.wait())
    while not done.done() or not queue.empty():
        try:
            block = await asyncio.wait_for(queue.get(), 0.5)
        except TimeoutError:
            continue
        if isinstance(block, np.ndarray):
            arrivals.append((time.monotonic(), block))
    await asyncio.sleep(0.5)
    while not queue.empty():
        if isinstance(block := queue.get_nowait(), np.ndarray):
            arrivals.append((time.monotonic(), block))
    mic.stop()
    await task
    x, counts, times = rec.stop()  # type: ignore[attr-defined]
    heard = [float(np.interp(i, counts, times)) for i in onsets(x, corpus.RATE)]
    got = [t for t, b in arrivals if np.abs(b).max() > ONSET * 32768]
    # Each click as the recorder heard it, and the first block holding it after that.
    delays = []
    for h in heard:
        later = [t - h for t in got if -0.05 < t - h < GAP_S]
        if later:
            delays.append(min(later))
    print(f"capture: {block_s} s blocks: {len(heard)} clicks heard, {len(delays)} found",
          file=sys.stderr)
    return delays


def main() -> int:
    p = argparse.ArgumentParser(description="Capture delay by block and fragment size.")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--clicks", type=int, default=30)
    p.add_argument("--out", type=Path)
    args = p.parse_args()
    results: dict[tuple[float, int | None], list[float]] = {s: [] for s in SETTINGS}
    with tempfile.TemporaryDirectory() as tmp, virtual_mic() as sink, recorder(sink) as rec:
        wav = clicks_wav(args.clicks, Path(tmp) / "clicks.wav")
        os.environ["PULSE_SOURCE"] = f"{sink}.monitor"
        for _ in range(args.rounds):
            for block_s, frag in SETTINGS:
                # Empty: libpulse ignores it, and MicSource sets no default of its own.
                os.environ["PULSE_LATENCY_MSEC"] = "" if frag is None else str(frag)
                results[(block_s, frag)] += asyncio.run(capture(block_s, sink, wav, rec))
    lines = ["| block | sound server fragments | clicks | delay median | p90 | max |",
             "| --- | --- | --- | --- | --- | --- |"]
    for (block_s, frag), d in results.items():
        frag_s = "its default" if frag is None else f"{frag} ms"
        lines.append(f"| {block_s * 1000:.0f} ms | {frag_s} | {len(d)} | "
                     + " | ".join(f"{np.percentile(d, q) * 1000:.0f} ms" if d else "n/a"
                                  for q in (50, 90, 100)) + " |")
    text = "\n".join(lines) + "\n\n```sh\n" + " ".join(
        [".venv/bin/python", "bench/capture_delay.py", *sys.argv[1:]]) + "\n```\n"
    print(text)
    if args.out:
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
