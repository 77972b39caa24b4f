"""Could the real faster-whisper-server's timings place a sentence end behind a breath? In
long speech a breath's decode takes about as long as the speech between breaths, so the
breath where a sentence ended is often never transcribed on its own, and with the API engine
that sentence waits for a later confirmation or the 10 s cut. A server that times its
segments (verbose_json) and ends them where sentences end would say where, with no request
more. This asks the server what a breath's speculation would: the monologue from a
sentence's start (or the one before it) to 1 s into the next sentence, the text before it
as the prompt; and counts the segments, and the segment ends that fall at a sentence end
(within 0.3 s of the pause between the sentences, by the corpus manifest). The server takes
no `timestamp_granularities` (faster-whisper-server 0.0.3 reads only file, model_name,
language, prompt, response_format and temperature), so segments are all it can say. No
timing is measured: a busy machine changes nothing here.

    .venv/bin/python bench/segments.py [--into 1.0] [--out bench/segments.md]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

import corpus
import numpy as np
from run import REPO

from dictation.audio.codec import read_wav
from dictation.audio.vad import SAMPLE_RATE
from dictation.transcribe.api import ApiTranscriber
from dictation.transcribe.engines import ApiConfig

LEAD_S = 0.3  # pre-roll before a sentence's first word, as the segmenter keeps
REACH_S = 0.3  # a segment end this far from the pause between two sentences is at it


async def trial(engine: ApiTranscriber, pcm: np.ndarray, sentences: list[dict], first: int,
                last: int, into: float) -> tuple[int, int]:
    """Sentences ``first``..``last`` and ``into`` s of the next: (segments, segment ends at
    a sentence end with more speech after it)."""
    a = max(0.0, sentences[first]["start"] - LEAD_S)
    clip = pcm[round(a * SAMPLE_RATE):round((sentences[last + 1]["start"] + into)
                                             * SAMPLE_RATE)]
    prompt = " ".join(s["text"] for s in sentences[max(0, first - 2):first])
    result = await engine.transcribe(clip, prompt)
    pauses = [(sentences[i]["end"] - a, sentences[i + 1]["start"] - a)
              for i in range(first, last + 1)]
    at = sum(any(lo - REACH_S <= s.end <= hi + REACH_S for lo, hi in pauses)
             for s in result.segments[:-1])
    return len(result.segments), at


async def measure(into: float) -> list[tuple[int, int, int, int]]:
    from local_server import running_server  # tools/, on the path once run is imported

    data = corpus.load(corpus.build("monologue"))
    pcm = read_wav(Path(data["wav"]))
    sentences = data["sentences"]
    rows = []
    with running_server() as url:
        engine = ApiTranscriber(ApiConfig(base_url=url))
        try:
            for span in (0, 1):  # the sentence end is behind one sentence, or two
                for first in range(len(sentences) - 1 - span):
                    n, at = await trial(engine, pcm, sentences, first, first + span, into)
                    rows.append((span + 1, first + 1, n, at))
        finally:
            await engine.aclose()
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--into", type=float, default=1.0,
                    help="seconds of the next sentence the decode hears")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "segments.md")
    args = ap.parse_args()
    rows = asyncio.run(measure(args.into))
    lines = ["# Segment ends at sentence ends\n",
             f"`.venv/bin/python bench/segments.py {' '.join(sys.argv[1:])}`: the real "
             f"faster-whisper-server (tiny.en), the monologue, {args.into} s into the next "
             "sentence.", "",
             "| sentence ends inside | decodes | segments per decode | decodes with a segment "
             "end at a sentence end |", "|---|---|---|---|"]
    for span in (1, 2):
        mine = [r for r in rows if r[0] == span]
        counts = sorted({r[2] for r in mine})
        lines.append(f"| {span} | {len(mine)} | {', '.join(map(str, counts))} | "
                     f"{sum(r[3] > 0 for r in mine)} |")
    text = "\n".join(lines) + "\n"
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
