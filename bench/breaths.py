"""Where long speech is cut, and how soon each sentence's text is there, with the engine's
answer time held fixed: the monologue's frames (the real VAD) through the real endpointer
and its speculation, the texts from the real faster-whisper-server (tiny.en), but every
answer handed over only when the audio clock has run ``latency`` seconds past its request.
The machine's load then changes nothing but how long the run takes, so breath speculation
can be compared at the answer times a quiet and a busy server give (bench/run.py measures
them on the day, with the load of the day).

Delivery is reduced to what the endpointer sees of it: an utterance put with a speculation's
text is there at once; any other is transcribed then, one at a time, each answer ``latency``
after its turn; the prompt is the text delivered so far. Per sentence: the time from the end
of its speech to the delivery of the piece that holds it (no thinking-pause wait, no join:
stdout adds those in bench/run.py). Per run: the cuts, the requests, and the sentence ends
that pieces hold inside them or miss at their ends.

    .venv/bin/python bench/breaths.py [--latency 0.7 1.3] [--ahead 1 2] [--out FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path

import corpus
import numpy as np
from run import REPO

from dictation.audio.codec import read_wav
from dictation.audio.vad import Vad
from dictation.records import Speech, Stats
from dictation.segment.endpointer import Endpointer
from dictation.segment.segmenter import Segmenter
from dictation.text.guard import GuardConfig
from dictation.transcribe.api import ApiTranscriber
from dictation.transcribe.engines import ApiConfig
from dictation.transcribe.scheduler import Lane, Scheduler
from dictation.transcript import Hint, Transcript

PROMPT_CHARS = 200  # the prompt: the end of the text delivered so far


class Clock:
    """The audio clock, and the answers waiting for it."""

    def __init__(self) -> None:
        self.now = 0.0
        self.due: list[tuple[float, asyncio.Future[None]]] = []

    def at(self, t: float) -> asyncio.Future[None]:
        future = asyncio.get_running_loop().create_future()
        self.due.append((t, future))
        return future

    def advance(self, t: float) -> None:
        self.now = t
        for item in [d for d in self.due if d[0] <= t]:
            self.due.remove(item)
            if not item[1].done():
                item[1].set_result(None)


class HeldEngine:
    """The real server's text, handed over ``latency`` s of audio after the request."""

    description = "the real faster-whisper-server, answers held"
    languages: tuple[str, ...] = ()

    def __init__(self, server: ApiTranscriber, clock: Clock, latency: float, slots: int | None
                 ) -> None:
        self.server, self.clock, self.latency, self.slots = server, clock, latency, slots
        self.asked: list[asyncio.Task[Transcript]] = []  # real requests, in flight or done

    async def prepare(self) -> None:
        pass

    async def aclose(self) -> None:
        pass

    async def transcribe(self, pcm: np.ndarray, prompt: str, hint: Hint | None = None
                         ) -> Transcript:
        due = self.clock.at(self.clock.now + self.latency)
        task = asyncio.ensure_future(self.server.transcribe(pcm, prompt, hint))
        self.asked.append(task)
        await due
        return await task

    async def caught_up(self) -> None:
        """Every real request made so far has its answer: the clock may go on (real time
        only stretches the run)."""
        if late := [t for t in self.asked if not t.done()]:
            await asyncio.wait(late)


@dataclass
class Desk:
    """Delivery as the endpointer sees it: free once the last piece's text is there."""

    clock: Clock
    server: ApiTranscriber
    latency: float
    busy_until: float = 0.0
    texts: list[str] = field(default_factory=list)
    pieces: list[tuple[float, float, float, str, str]] = field(default_factory=list)
    failed: None = None
    punctuates: bool = True
    jobs: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def free(self) -> bool:
        return self.clock.now >= self.busy_until

    async def caught_up(self) -> None:
        if late := [j for j in self.jobs if not j.done()]:
            await asyncio.wait(late)

    @property
    def idle(self) -> bool:
        return self.free

    def next_prompt(self) -> str:
        return " ".join(self.texts)[-PROMPT_CHARS:]

    def next_hint(self) -> None:
        return None

    def speaking(self, start_s: float) -> None:
        pass

    def put(self, item: Speech) -> None:
        spec, reason = item.speculation, "speculated"
        value = spec.call.value() if spec and spec.call.done() else None
        if value is not None:
            self._deliver(self.clock.now, item, value.text, reason)
            return
        if spec:
            spec.call.discard()
        self.busy_until = max(self.clock.now, self.busy_until) + self.latency
        at, prompt = self.busy_until, self.next_prompt()

        async def final() -> None:
            result = await self.server.transcribe(item.pcm, prompt)
            self._deliver(at, item, result.text, "transcribed")

        self.jobs.append(asyncio.ensure_future(final()))

    def _deliver(self, at: float, item: Speech, text: str, how: str) -> None:
        self.texts.append(text)
        self.pieces.append((at, item.start_s, item.end_s, how, text))


def sentence_times(pieces: list[tuple[float, float, float, str, str]],
                   ends: list[float]) -> list[float | None]:
    """For each sentence end (but the last), seconds from it to the delivery of the piece
    that holds it: the first whose audio reaches it (a cut a frame or two before it still
    holds its last word's sound)."""
    out: list[float | None] = []
    for end in ends[:-1]:
        at = next((p[0] for p in pieces if p[2] >= end - 0.1), None)
        out.append(None if at is None else round(at - end, 2))
    return out


def held_ends(pieces: list[tuple[float, float, float, str, str]], ends: list[float]
              ) -> tuple[int, int]:
    """(sentence ends at a cut, within 0.3 s; cuts not at a sentence end)."""
    cuts = [p[2] for p in pieces[:-1]]
    at = sum(any(abs(c - e) <= 0.3 for c in cuts) for e in ends[:-1])
    off = sum(not any(abs(c - e) <= 0.3 for e in ends) for c in cuts)
    return at, off


async def replay(url: str, latency: float, ahead: int, frames: list, ends: list[float]
                 ) -> dict:
    """One run of the monologue at ``latency``, with ``ahead`` breaths at once at most."""
    server = ApiTranscriber(ApiConfig(base_url=url))
    clock, stats = Clock(), Stats()
    engine = HeldEngine(server, clock, latency, None if ahead > 1 else 1)
    desk = Desk(clock, server, latency)
    scheduler = Scheduler(engine, stats, Lane(engine.slots))  # type: ignore[arg-type]
    scheduler.clock = lambda: clock.now
    ep = Endpointer(Segmenter(), scheduler, desk, guard=GuardConfig(),  # type: ignore[arg-type]
                    speculate_s=0.09)
    try:
        for i, frame in enumerate(frames):
            clock.advance((i + 1) * 0.03)
            await engine.caught_up()
            await desk.caught_up()
            for _ in range(4):  # answers due now reach their callbacks
                await asyncio.sleep(0)
            ep.frame(frame)
            await asyncio.sleep(0)
        ep.end()
        await engine.caught_up()
        await desk.caught_up()
    finally:
        await scheduler.aclose()
        await server.aclose()
    times = sentence_times(desk.pieces, ends)
    found = sorted(t for t in times if t is not None)
    at, off = held_ends(desk.pieces, ends)
    return {"latency": latency, "ahead": ahead, "times": times, "pieces": desk.pieces,
            "median": statistics.median(found), "p90": found[round(0.9 * (len(found) - 1))],
            "requests": stats.requests, "discarded": stats.speculations_discarded,
            "at": at, "off": off}


async def measure(latencies: list[float], aheads: list[int]) -> list[dict]:
    from local_server import running_server  # tools/, on the path once run is imported

    data = corpus.load(corpus.build("monologue"))
    pcm = read_wav(Path(data["wav"]))
    frames = list(Vad().push(pcm))
    ends = [s["end"] for s in data["sentences"]]
    with running_server() as url:
        return [await replay(url, latency, ahead, frames, ends)
                for latency in latencies for ahead in aheads]


def report(runs: list[dict]) -> str:
    lines = ["# Breaths with the answer time held\n",
             f"`.venv/bin/python bench/breaths.py {' '.join(sys.argv[1:])}`: the monologue, "
             "the real faster-whisper-server's texts, each answer held to the latency given "
             "(audio time).", "",
             "| answer after | breaths at once | text after the sentence end, median | p90 | "
             "sentence ends cut at (of 12) | cuts elsewhere | requests | discarded |",
             "|---|---|---|---|---|---|---|---|"]
    for r in runs:
        lines.append(f"| {r['latency']} s | {r['ahead']} | {r['median']:.2f} s | "
                     f"{r['p90']:.2f} s | {r['at']} | {r['off']} | {r['requests']} | "
                     f"{r['discarded']} |")
    for r in runs:
        lines += ["", f"{r['latency']} s, {r['ahead']} at once: "
                  + " ".join("-" if t is None else f"{t:.2f}" for t in r["times"]), ""]
        lines += [f"- {at:6.2f} s: {a:5.2f}-{b:5.2f} s, {how}: {text}"
                  for at, a, b, how, text in r["pieces"]]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--latency", type=float, nargs="+", default=[0.7, 1.3],
                    help="seconds of audio from a request to its answer")
    ap.add_argument("--ahead", type=int, nargs="+", default=[1, 2],
                    help="breaths at the engine at once (1: as the local engine)")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "breaths.md")
    args = ap.parse_args()
    text = report(asyncio.run(measure(args.latency, args.ahead)))
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
