"""What a request costs the real faster-whisper-server (tiny.en, as the bench serves it): the
time to answer clips of the monologue 1-10 s long, one at a time, and two sent at once. A
breath of long speech is such a clip; this bounds how soon its text can be back.

    .venv/bin/python bench/server_cost.py [--prompt-chars 350] [--compute-type int8] [--beam 1]

``--prompt-chars``: each request carries that much text before it as the prompt, as the
daemon's do (the monologue's end, about 350 characters in a long run); ``--compute-type``,
``--beam``: the server decodes so, not as it ships.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import statistics
import sys
import time
from pathlib import Path

import httpx
import numpy as np

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parent / "tools")]

from local_server import running_server  # noqa: E402

from dictation.audio.codec import encode_wav, read_wav  # noqa: E402
from dictation.audio.wav import SAMPLE_RATE  # noqa: E402

CORPUS = HERE / ".corpus"
LENGTHS_S = (1.0, 2.0, 4.0, 8.0, 10.0)
REPEATS = 4


def clip(pcm: np.ndarray, start_s: float, end_s: float) -> bytes:
    return encode_wav(pcm[round(start_s * SAMPLE_RATE):round(end_s * SAMPLE_RATE)])


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--prompt-chars", type=int, default=0)
    p.add_argument("--compute-type")
    p.add_argument("--beam", type=int)
    args = p.parse_args()
    manifest = json.loads((CORPUS / "monologue.json").read_text())
    pcm = read_wav(CORPUS / manifest["wav"])  # 16 kHz int16
    said = " ".join(s["text"] for s in manifest["sentences"])
    prompt = said[len(said) - args.prompt_chars:] if args.prompt_chars else ""
    with running_server(compute_type=args.compute_type, beam_size=args.beam) as url, \
            httpx.Client(timeout=120) as client:
        def ask(wav: bytes) -> float:
            began = time.monotonic()
            client.post(f"{url}/audio/transcriptions", files={"file": ("c.wav", wav)},
                        data={"model": "whisper-1", "response_format": "verbose_json",
                              "temperature": "0", **({"prompt": prompt} if prompt else {})}
                        ).raise_for_status()
            return time.monotonic() - began

        print("| clip | answered in, median of 4 | each |\n|---|---|---|")
        for length in LENGTHS_S:
            times = [ask(clip(pcm, 1 + 3 * k, 1 + 3 * k + length)) for k in range(REPEATS)]
            print(f"| {length:g} s | {statistics.median(times):.2f} s | "
                  f"{', '.join(f'{t:.2f}' for t in times)} |")
        wavs = [clip(pcm, 1, 5), clip(pcm, 10, 14)]
        alone = [ask(w) for w in wavs]
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            both = list(pool.map(ask, wavs))
        print(f"\nTwo 4 s clips: {alone[0]:.2f} and {alone[1]:.2f} s one after the other; "
              f"{both[0]:.2f} and {both[1]:.2f} s sent at once.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
