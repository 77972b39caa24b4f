"""The local engine's settings compared on the corpus sentences, without microphone or daemon:
WER and model time per sentence for the short window against the full one, greedy against beam
search, and a speculation's cut (0.09 s after the last word) against an utterance's end.

    .venv/bin/python bench/settings.py [--repeats 2] [--out bench/settings.md]

Each setting transcribes every sentence of calm, quick and noisy, cut as the segmenter sends
it and with the prompt the daemon would build; repeats show how much tiny.en int8 output varies
from run to run on this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import shlex
import statistics
import sys
import time
from pathlib import Path

import corpus
import jiwer
from direct import _offline, sentence_clips, sentence_prompts
from whisper_normalizer.english import EnglishTextNormalizer

HERE = Path(__file__).resolve().parent
CASES = ("calm", "quick", "noisy")
SETTINGS = {  # name → (LocalConfig fields, seconds kept after the last word)
    "default (short window, greedy), utterance end": ({}, 0.3),
    "default, speculation's cut": ({}, 0.09),
    "full window": ({"full_window": True}, 0.3),
    "beam 5": ({"beam_size": 5}, 0.3),
    "beam 5, full window (as faster-whisper-server)": ({"beam_size": 5, "full_window": True},
                                                        0.3),
}

_norm = EnglishTextNormalizer()


async def run_setting(fields: dict, tail_s: float, manifests: dict[str, dict]
                      ) -> tuple[dict[str, float], float]:
    from dictation.transcribe.engines import LocalConfig
    from dictation.transcribe.local import LocalTranscriber

    engine = LocalTranscriber(LocalConfig(**fields))
    try:
        await engine.prepare()
        wer, seconds = {}, []
        for case, m in manifests.items():
            hyp = []
            for pcm, prompt in zip(sentence_clips(m, tail_s), sentence_prompts(m), strict=True):
                t0 = time.perf_counter()
                hyp.append((await engine.transcribe(pcm, prompt)).text)
                seconds.append(time.perf_counter() - t0)
            ref = " ".join(s["text"] for s in m["sentences"])
            wer[case] = jiwer.wer(_norm(ref), _norm(" ".join(hyp)))
        return wer, statistics.median(seconds)
    finally:
        await engine.aclose()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--out", type=Path, default=HERE / "settings.md")
    args = p.parse_args()
    _offline()
    manifests = {c: corpus.load(corpus.build(c)) for c in CASES}
    rows = ["| setting | run | " + " | ".join(f"WER {c}" for c in CASES)
            + " | WER all | model time median |",
            "| --- | --- | " + " | ".join("---" for _ in CASES) + " | --- | --- |"]
    for name, (fields, tail) in SETTINGS.items():
        for run in range(1, args.repeats + 1):
            print(f"settings: {name}, run {run}", file=sys.stderr)
            wer, secs = asyncio.run(run_setting(fields, tail, manifests))
            rows.append(f"| {name} | {run} | "
                        + " | ".join(f"{wer[c]:.3f}" for c in CASES)
                        + f" | {statistics.mean(wer.values()):.3f} | {secs:.2f} s |")
    command = shlex.join([".venv/bin/python", "bench/settings.py", *sys.argv[1:]])
    text = "\n".join(["# Local engine settings on the corpus sentences", "", *rows, "",
                      f"Reproduce: `{command}`", ""])
    args.out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
