"""The hallucination guard measured: real short answers that must survive, noise that must
not turn into text, through both engines, with the guard before this change and after it.

    .venv/bin/python bench/guard.py [--out bench/guard.md] [--engines local api]
    .venv/bin/python bench/guard.py --reuse      # re-judge the last run's engine outputs

Speech: short answers from festival (slt) and two espeak-ng voices, at three levels, over a
quiet room (pink noise at -70 dBFS) and a noisy one (pink at -45 dBFS). Noise: white, pink and
brown noise, mains hum, clicks on silence, breath-like bursts and typing, steady and starting
after a quiet second (the background tracker then lags behind). Each clip is cut by the
product's VAD and segmenter with the live defaults; every utterance goes to the local engine
(tiny.en) and to faster-whisper-server (the same model, verbose_json), with no prompt and
with a prior transcript as the prompt. The engines' answers are kept in bench/.runs/guard.json
and judged by both guards, so the figures compare the same outputs.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import re
import shlex
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "tools"))

from dictation.audio.codec import read_wav  # noqa: E402
from dictation.audio.levels import measure  # noqa: E402
from dictation.audio.vad import SAMPLE_RATE, Vad  # noqa: E402
from dictation.records import Heard  # noqa: E402
from dictation.segment.endpointer import too_weak  # noqa: E402
from dictation.segment.segmenter import Segmenter  # noqa: E402
from dictation.text.guard import GuardConfig, judge  # noqa: E402
from dictation.text.verdict import Verdict, settle  # noqa: E402
from dictation.transcribe import Segment  # noqa: E402
from dictation.transcribe.engines import ApiConfig, LocalConfig  # noqa: E402

CORPUS = HERE / ".corpus" / "guard"
RAW = HERE / ".runs" / "guard.json"
PHRASES = ("Yes.", "No.", "Thank you.", "Okay.", "Bye.", "Thanks.", "You.")
VOICES = ("slt", "en-us", "en+f3")
LEVELS_DB = (0, -15, -25, -32)  # gain after normalising the speech to a -3 dBFS peak
ROOMS = {"quiet room": -70, "noisy room": -45}  # pink noise RMS, dBFS
PROMPT = "We deployed the new dashboard yesterday and it looks fine."
SECONDS = 6.0


def _dbfs(x: np.ndarray) -> float:
    return 20 * np.log10(max(1e-9, float(np.sqrt(np.mean(x ** 2)))))


def _sox_noise(kind: str, seconds: float) -> np.ndarray:
    """sox's noise generator, as float in [-1, 1] at 16 kHz."""
    out = CORPUS / f"{kind}-{seconds}.wav"
    if not out.exists():
        subprocess.run(["sox", "-n", "-r", "16000", "-c", "1", "-b", "16", str(out), "synth",
                        str(seconds), kind], check=True)
    return read_wav(out).astype(np.float32) / 32768


def _at(x: np.ndarray, dbfs: float) -> np.ndarray:
    return x * 10 ** ((dbfs - _dbfs(x)) / 20)


def _speech(text: str, voice: str) -> np.ndarray:
    key = re.sub(r"\W", "", text.lower())
    raw, out = CORPUS / f"{voice}-{key}.raw.wav", CORPUS / f"{voice}-{key}.wav"
    if not out.exists():
        if voice == "slt":
            subprocess.run(["text2wave", "-eval", "(voice_cmu_us_slt_arctic_hts)", "-o",
                            str(raw)], input=text.encode(), check=True)
        else:
            subprocess.run(["espeak-ng", "-v", voice, "-w", str(raw), text], check=True)
        subprocess.run(["sox", str(raw), "-D", "-r", "16000", "-c", "1", "-b", "16", str(out),
                        "norm", "-3", "pad", "1.0", "1.5"], check=True)
    return read_wav(out).astype(np.float32) / 32768


def _bursts(x: np.ndarray, on_s: float, off_s: float) -> np.ndarray:
    """``x`` gated on and off with raised-cosine edges: breaths, not a steady hiss."""
    period = int((on_s + off_s) * SAMPLE_RATE)
    on = int(on_s * SAMPLE_RATE)
    env = np.zeros(period, np.float32)
    env[:on] = np.sin(np.linspace(0, np.pi, on)) ** 2
    return x * np.resize(env, x.size)


def noise_clips() -> dict[str, np.ndarray]:
    n = int(SECONDS * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    rng = np.random.default_rng(7)
    room = _at(_sox_noise("pinknoise", SECONDS), -70)
    clips = {"digital silence": np.zeros(n, np.float32), "quiet room": room}
    for kind in ("whitenoise", "pinknoise", "brownnoise"):
        for level in (-50, -30):
            clips[f"{kind[:-5]} noise {level} dBFS"] = _at(_sox_noise(kind, SECONDS), level)
    hum = sum(np.sin(2 * np.pi * f * t) / k for k, f in enumerate((50, 100, 150, 250), 1))
    clips["50 Hz hum -30 dBFS"] = _at(hum.astype(np.float32), -30)
    buzz = np.sign(np.sin(2 * np.pi * 60 * t)).astype(np.float32)
    clips["60 Hz buzz -35 dBFS"] = _at(buzz, -35)
    clicks = room.copy()
    for start in np.arange(0.5, SECONDS, 0.7):
        i = int(start * SAMPLE_RATE)
        clicks[i:i + 40] += 0.5 * np.hanning(40) * np.sign(rng.standard_normal(40))
    clips["clicks on silence"] = clicks
    pink = _sox_noise("pinknoise", SECONDS)
    clips["breaths"] = room + _at(_bursts(pink, 0.7, 1.3), -35)
    typing = room.copy()
    for start in np.sort(rng.uniform(0.3, SECONDS - 0.1, 30)):
        i = int(start * SAMPLE_RATE)
        typing[i:i + 480] += _at(rng.standard_normal(480).astype(np.float32), -25) * \
            np.exp(-np.arange(480) / 80)
    clips["typing"] = typing
    swell = (1 + 0.6 * np.sin(2 * np.pi * 0.4 * t)).astype(np.float32)
    clips["fan changing speed"] = _at(_sox_noise("pinknoise", SECONDS) * swell, -40)
    clips["traffic swells"] = _at(_sox_noise("brownnoise", SECONDS) * swell ** 2, -35)
    for name in ("pink noise -30 dBFS", "white noise -30 dBFS", "50 Hz hum -30 dBFS"):
        onset = clips[name].copy()
        onset[:SAMPLE_RATE] = room[:SAMPLE_RATE]
        clips[f"{name}, starting after 1 s"] = onset
    return clips


def speech_clips() -> list[tuple[str, str, str, int, np.ndarray]]:
    """(phrase, voice, room, level, audio)."""
    out = []
    for phrase in PHRASES:
        for voice in VOICES:
            s = _speech(phrase, voice)
            for room, room_db in ROOMS.items():
                bg = _at(_sox_noise("pinknoise", round(s.size / SAMPLE_RATE + 0.5, 1)),
                         room_db)[: s.size]
                for level in LEVELS_DB:
                    out.append((phrase, voice, room, level, s * 10 ** (level / 20) + bg))
    return out


def utterances(audio: np.ndarray) -> list[tuple[np.ndarray, Heard]]:
    """The clip as the daemon cuts it, each utterance with what the VAD measured."""
    pcm = np.clip(audio * 32768, -32768, 32767).astype(np.int16)
    vad, seg = Vad(), Segmenter()
    found = []
    frames = list(vad.push(pcm)) + list(vad.flush())
    for f in frames:
        if (u := seg.push(f.is_speech, f.level, f)) is not None:
            found.append(u)
    if (u := seg.flush()) is not None:
        found.append(u)
    return [(np.concatenate([f.pcm for f in u.payloads]), measure(u.payloads)) for u in found]


async def transcribe_all(engines: list[str], url: str | None) -> list[dict]:
    from dictation.transcribe.api import ApiTranscriber
    from dictation.transcribe.local import LocalTranscriber

    made = {"local": lambda: LocalTranscriber(LocalConfig()),
            "api": lambda: ApiTranscriber(ApiConfig(base_url=url or "", api_key="unused",
                                                    response_format="verbose_json"))}
    jobs: list[tuple[dict, np.ndarray]] = []
    for name, audio in noise_clips().items():
        for pcm, heard in utterances(audio):
            for prompt in ("", PROMPT):
                jobs.append(({"kind": "noise", "clip": name, "prompt": prompt,
                              "heard": heard.__dict__}, pcm))
    for phrase, voice, room, level, audio in speech_clips():
        clip = f"{phrase} {voice} {room} {level} dB"
        cut = utterances(audio)
        for pcm, heard in cut:
            jobs.append(({"kind": "speech", "clip": clip, "phrase": phrase, "room": room,
                          "level": level, "voice": voice, "prompt": "",
                          "heard": heard.__dict__}, pcm))
        if not cut:  # the segmenter heard nothing: a drop before any guard
            jobs.append(({"kind": "speech", "clip": clip, "phrase": phrase, "room": room,
                          "level": level, "voice": voice, "prompt": "", "heard": None},
                         np.zeros(0, np.int16)))
    rows = []
    for engine in engines:
        t = made[engine]()
        await t.prepare()
        began = time.monotonic()
        for meta, pcm in jobs:
            row = {**meta, "engine": engine, "text": "", "segments": []}
            if pcm.size:
                result = await t.transcribe(pcm, meta["prompt"])
                row["text"] = result.text
                row["segments"] = [s.__dict__ for s in result.segments]
                if not meta["prompt"] and _drawn(result.segments):
                    # Asked again, a random draw is drawn anew (the daemon's re-ask).
                    again = await t.transcribe(pcm, "")
                    row["redraw"] = {**row, "text": again.text,
                                     "segments": [s.__dict__ for s in again.segments]}
            rows.append(row)
        print(f"{engine}: {len(jobs)} utterances in {time.monotonic() - began:.0f} s",
              file=sys.stderr)
        await t.aclose()
    return rows


# The guard before this change, kept here to compare against: a stock phrase below 12 dB,
# a prompt echo or wordless text was dropped; everything was sent.
_OLD_PHRASES = frozenset({
    "you", "thank you", "thanks", "thank you very much", "thanks for watching",
    "thank you for watching", "thanks for listening", "bye", "so", "okay", "oh",
    "please subscribe", "subtitles by the amara org community", "music",
})


def _old_norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s']", " ", text.lower()).split())


def before(row: dict) -> str:
    text, prompt, said = row["text"], row["prompt"], _old_norm(row["text"])
    given = _old_norm(prompt)
    if not said or (given and (said == given or (len(said.split()) >= 3
                                                 and f" {said} " in f" {given} "))):
        return ""
    if said in _OLD_PHRASES and row["heard"]["snr_db"] < 12.0:
        return ""
    return text


def _drawn(segments: tuple[Segment, ...]) -> bool:
    return any((s.temperature or 0.0) >= GuardConfig().last_temperature for s in segments)


def _verdict(row: dict, config: GuardConfig) -> Verdict | None:
    heard = Heard(**row["heard"])
    if too_weak(heard, config) or not row["text"]:
        return None
    segments = tuple(Segment(**s) for s in row["segments"])
    return judge(row["text"], row["prompt"], heard, segments, config)


def after(row: dict, config: GuardConfig, unprompted: dict | None = None) -> str:
    """What the guard lets out of ``row``. A text suspected of echoing the prompt is settled
    as delivery settles it, by the same utterance transcribed without the prompt
    (``unprompted``, the run's own row for it)."""
    verdict = _verdict(row, config)
    if unprompted is None and not row["prompt"]:
        # Asked again without a prompt, the engine answers the same, but for a random draw.
        unprompted = row.get("redraw", row)
    if verdict is not None and verdict.suspect and unprompted is not None:
        verdict = settle(verdict, _verdict(unprompted, config))[0]
    return "" if verdict is None or verdict.reason else verdict.text


def pairs(rows: list[dict]) -> dict[int, dict]:
    """Each prompted row's unprompted twin: the same utterance, sent just before it."""
    return {id(b): a for a, b in itertools.pairwise(rows)
            if b["prompt"] and not a["prompt"] and a["clip"] == b["clip"]
            and a["engine"] == b["engine"] and a["heard"] == b["heard"]}


def report(rows: list[dict], config: GuardConfig, command: str) -> str:
    lines = ["# Hallucination guard", "", f"    {command}", "",
             f"Thresholds: not sent below {config.min_snr_db} dB above the background or "
             f"{config.min_speech_share:.0%} speech frames; stock phrases trusted from "
             f"{config.clear_speech_db} dB; a segment is silence at no_speech_prob > "
             f"{config.no_speech_prob} with avg_logprob < {config.max_logprob}, > 0.3 with "
             f"< {config.unsure_logprob}, or > {config.sure_no_speech}; a random draw at "
             f"temperature {config.last_temperature} below {config.max_logprob} with "
             "no_speech_prob > 0.3 stands only if a second draw says it too (see guard.py).",
             ""]
    engines = sorted({r["engine"] for r in rows})
    lines += ["## Real short answers (false drops)", "",
              "Clips where the engine's raw output held the phrase's words, and how many of "
              "those still came out after each guard.", "",
              "| engine | condition | clips | engine heard it | kept before | kept after |",
              "|---|---|---|---|---|---|"]
    for engine in engines:
        groups: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
        for r in rows:
            if r["engine"] == engine and r["kind"] == "speech":
                groups[f"{r['room']}, {r['level']} dB"][r["clip"]].append(r)
        total = [0, 0, 0, 0]
        for cond in sorted(groups, key=lambda c: (c.split(",")[0], -int(c.split()[-2]))):
            clips = groups[cond]
            counts = [len(clips), 0, 0, 0]
            for utts in clips.values():
                want = _old_norm(utts[0]["phrase"])
                if any(_old_norm(u["text"]) == want for u in utts):
                    counts[1] += 1
                    counts[2] += any(_old_norm(before(u)) == want for u in utts if u["heard"])
                    counts[3] += any(_old_norm(after(u, config)) == want
                                     for u in utts if u["heard"])
            total = [a + b for a, b in zip(total, counts, strict=True)]
            lines.append(f"| {engine} | {cond} | " + " | ".join(map(str, counts)) + " |")
        lines.append(f"| {engine} | **all** | " + " | ".join(f"**{n}**" for n in total) + " |")
    lines += ["", "## Noise and silence (false passes)", "",
              "Utterances the segmenter cut from 6 s noise clips (each sent with no prompt "
              "and with a prior transcript as the prompt), how many the guard let through "
              "as text, and the characters typed.", "",
              "| engine | utterances | sent after | text before | text after | "
              "chars before | chars after |", "|---|---|---|---|---|---|---|"]
    passes: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for engine in engines:
        noise = [r for r in rows if r["engine"] == engine and r["kind"] == "noise"]
        twin = pairs(noise)
        b = [before(r) for r in noise]
        a = [after(r, config, twin.get(id(r))) for r in noise]
        sent = sum(not too_weak(Heard(**r["heard"]), config) for r in noise)
        lines.append(f"| {engine} | {len(noise)} | {sent} | {sum(map(bool, b))} | "
                     f"{sum(map(bool, a))} | {sum(map(len, b))} | {sum(map(len, a))} |")
        for r, x, y in zip(noise, b, a, strict=True):
            if x or y:
                passes[engine].append((r["clip"], x, y))
    lines += ["", "What came through (before → after):", ""]
    for engine, items in passes.items():
        for clip, x, y in items:
            lines.append(f"- {engine}, {clip}: {x[:60]!r} → {y[:60]!r}")
    lines += ["", "## What the VAD measured", "",
              "| kind | utterances | dB above background: min / median | speech share: "
              "min / median |", "|---|---|---|---|"]
    for kind, cond in (("speech, quiet room", lambda r: r.get("room") == "quiet room"),
                       ("speech, noisy room", lambda r: r.get("room") == "noisy room"),
                       ("noise", lambda r: r["kind"] == "noise")):
        hs = [r["heard"] for r in rows if r["engine"] == engines[0] and r["heard"]
              and cond(r) and (r["kind"] == "noise" or r["prompt"] == "")]
        if hs:
            snr = sorted(h["snr_db"] for h in hs)
            share = sorted(h["speech_share"] for h in hs)
            lines.append(f"| {kind} | {len(hs)} | {snr[0]:.1f} / {snr[len(snr) // 2]:.1f} | "
                         f"{share[0]:.2f} / {share[len(share) // 2]:.2f} |")
    lines += ["", "## Choices", "",
              "- **The energy floor cannot tell noise from speech.** Noise that opens an "
              "utterance at all stood 10.6 dB or more above the tracked background (the VAD "
              "already gates frames 3.5 dB above it, and noise that starts suddenly stands "
              "far above a background tracked from the quiet before), while real answers in "
              "the noisy room rose as little as 9.2 dB. The floor (6 dB, 10 % speech frames) "
              "is therefore set under the quietest real speech: it only saves requests on "
              "the VAD's marginal triggers. The model's own measures do the separating.",
              "- **Segment confidence.** Whisper's rule (no_speech_prob > 0.6 and "
              "avg_logprob < -1.0) let every hallucination above through: tiny.en gave them "
              "no_speech_prob 0.37-0.6. Real answers never went below -1.14 log-probability "
              "nor above 0.76 no-speech probability.",
              "- **Loops are cut, not dropped:** a run of the same word (5+), pair (4+) or "
              "phrase (3+) in a row keeps one occurrence, plus the words before and after it, "
              "so a real sentence with a looping tail keeps its sentence. A loop of a stock "
              "phrase (\"you you you…\") is dropped; text that gzip still shrinks more than "
              "2.4× after cutting is dropped.",
              "- **Caveat:** the thresholds were chosen on these same outputs (no held-out "
              "set), and the margins are thin (-1.14 against -1.28; 0.76 against 0.87): "
              "more voices, real microphones and other models may move them."]
    return "\n".join(lines) + "\n"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--engines", nargs="+", default=["local", "api"], choices=("local", "api"))
    p.add_argument("--out", type=Path, default=HERE / "guard.md")
    p.add_argument("--reuse", action="store_true", help="judge the last run's outputs again")
    args = p.parse_args()
    os.environ["HF_HUB_OFFLINE"] = "1"
    CORPUS.mkdir(parents=True, exist_ok=True)
    RAW.parent.mkdir(parents=True, exist_ok=True)
    if args.reuse:
        rows = json.loads(RAW.read_text())
    elif "api" in args.engines:
        from local_server import running_server

        with running_server() as url:
            rows = asyncio.run(transcribe_all(args.engines, url))
    else:
        rows = asyncio.run(transcribe_all(args.engines, None))
    RAW.write_text(json.dumps(rows))
    command = "python bench/guard.py " + shlex.join(
        [a for a in sys.argv[1:] if a != "--reuse"])
    text = report(rows, GuardConfig(), command.strip())
    args.out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
