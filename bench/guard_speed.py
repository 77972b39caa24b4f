"""The text checks on hostile answers of up to 1 MB: each is linear in the answer's length.

    .venv/bin/python bench/guard_speed.py [--repeat 7]

For each shape of answer (distinct words as the issue's server sent, one word or one phrase
looping, many short loops, characters that force every slow path), the median time of:

- ``guard``: the guard as delivery calls it, with the length of the audio (11.7 s here, the
  bundled sample): an answer too long for its audio is refused before any other work;
- ``guard, no bound``: every check on the whole answer (judge without the audio's length);
- ``loops``: finding and cutting loops alone;
- ``parse``: the answer as JSON, parsed and sanitised.

Then the unbounded guard on 250 KB, 500 KB and 1 MB of two shapes: linear work doubles with
the input; quadratic work would quadruple.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from dictation.records import Heard  # noqa: E402
from dictation.text.guard import judge  # noqa: E402
from dictation.text.loops import find_loops  # noqa: E402
from dictation.transcribe.response import parse  # noqa: E402

MB = 1_000_000
AUDIO_S = 11.7
HEARD = Heard(30.0, 0.5)
PROMPT = "We deployed the new dashboard yesterday and it looks fine."


def shapes(size: int) -> dict[str, str]:
    rng = random.Random(1)
    words = ["the", "a", "of", "to", "and", "we", "went", "home", "said", "Hello,", "world."]
    return {k: v[:size] for k, v in {
        "distinct words": " ".join(f"word{i}" for i in range(size // 5)),
        "one word looping": "the " * (size // 4),
        "a phrase looping": "I'm going to go to the " * (size // 23 + 1),
        "many short loops": " ".join(f"x{i} " * 5 for i in range(size // 25)),
        "random common words": " ".join(rng.choice(words) for _ in range(size // 4)),
        "accented words": " ".join(f"wörd{i % 5000}" for i in range(size // 8)),
        "controls and brackets": "\u202e[(\x07" * (size // 4),
    }.items()}


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return statistics.median(times) * 1000


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=7)
    args = p.parse_args()
    print(f"Median of {args.repeat} runs, ms, on 1 MB answers:\n")
    print("| answer | guard | guard, no bound | loops | parse |")
    print("|---|---|---|---|---|")
    for name, text in shapes(MB).items():
        body = json.dumps({"text": text}).encode()
        row = [median_ms(lambda t=text: judge(t, PROMPT, HEARD, audio_s=AUDIO_S), args.repeat),
               median_ms(lambda t=text: judge(t, PROMPT, HEARD), args.repeat),
               median_ms(lambda t=text: find_loops(t), args.repeat),
               median_ms(lambda b=body: parse(b, "json"), args.repeat)]
        print(f"| {name} | {row[0]:.3f} | " + " | ".join(f"{ms:.1f}" for ms in row[1:]) + " |")
    print("\nThe guard with no bound, by size (ms):\n")
    print("| answer | 250 KB | 500 KB | 1 MB | 1 MB / 500 KB |")
    print("|---|---|---|---|---|")
    for name in ("distinct words", "random common words"):
        texts = [shapes(size)[name] for size in (MB // 4, MB // 2, MB)]
        row = [median_ms(lambda t=t: judge(t, PROMPT, HEARD), args.repeat) for t in texts]
        print(f"| {name} | " + " | ".join(f"{ms:.1f}" for ms in row)
              + f" | {row[2] / row[1]:.2f} |")


if __name__ == "__main__":
    main()
