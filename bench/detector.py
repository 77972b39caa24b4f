"""What the language detector costs, and what it answers, on the clips of bench/languages.py's
sessions through the multilingual Whisper base: over the whole window the decode encodes (the
speech, 5 s of silence after it, at least 10 s: what dictation did), and over the speech only
(the encoding's positions past the audio's end left out, plus ``--margin`` seconds); and with
``--joins``, a join's check of a continuation's language (transcribe/local.py
``languages_of``) asked of the continuation alone (as dictation does) or of its part of the
joint encoding: how often each lets a join through, within one language and across two, and
what each adds.

    .venv/bin/python bench/detector.py [--sessions espeak,festival] [--runs 5] [--margin 0]
                                       [--joins]

The encoding is made once per clip; both detector runs read it, taking turns ``--runs`` times,
so that both are timed in the same moments of the machine's load. A piece "changes" when the
language picked among the user's (language.pick), or its runner-up when unsure, differs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from languages import SESSIONS, session  # noqa: E402
from models import base  # noqa: E402

from dictation.transcribe.language import pick  # noqa: E402
from dictation.transcribe.windowed import load, window_frames  # noqa: E402


def speech_positions(frames: int, positions: int, margin_s: float = 0.0) -> int:
    """How many of an encoding's ``positions`` hold ``frames`` mel frames of audio and
    ``margin_s`` seconds after it (the encoder halves the frames: 50 positions a second)."""
    return min(positions, (frames + 1) // 2 + round(margin_s * 50))


def picked(probs: list, allowed: frozenset[str], audio_s: float) -> tuple[str, str | None]:
    got = pick([(token[2:-2], p) for token, p in probs], allowed, None, audio_s)
    return got.language, got.rival


def measure(name: str, model, runs: int, margin_s: float) -> dict:
    import ctranslate2
    from faster_whisper.audio import pad_or_trim

    allowed = frozenset(SESSIONS[name].languages)
    rows = []
    for lang, _text, pcm in session(name):
        audio = pcm.astype(np.float32) / 32768
        began = time.monotonic()
        model.window = window_frames(len(audio), False)
        features = model.feature_extractor(audio)
        content = features.shape[-1] - 1
        encoded = model.encode(pad_or_trim(features[..., :content]))
        encode_s = time.monotonic() - began
        n = speech_positions(content, encoded.shape[1], margin_s)
        whole_t, speech_t = [], []
        for _ in range(runs):
            t0 = time.monotonic()
            whole = model.model.detect_language(encoded)[0]
            t1 = time.monotonic()
            cut = ctranslate2.StorageView.from_array(np.ascontiguousarray(
                np.asarray(encoded)[:, :n]))
            speech = model.model.detect_language(cut)[0]
            t2 = time.monotonic()
            whole_t.append(t1 - t0)
            speech_t.append(t2 - t1)
        audio_s = len(audio) / 16000
        rows.append({"lang": lang, "whole": picked(whole, allowed, audio_s),
                     "speech": picked(speech, allowed, audio_s),
                     "whole_top": whole[0][0][2:-2], "speech_top": speech[0][0][2:-2],
                     "whole_s": statistics.median(whole_t),
                     "speech_s": statistics.median(speech_t), "encode_s": encode_s})
    return {"name": name, "rows": rows}


def joins(name: str, model, allowed: frozenset[str]) -> list[dict]:
    """Each clip as a fragment, and as its continuation the next clip (another language) and
    the clip of its own language after that: the join check's decision (is the fragment's
    language among those its continuation would be decoded in?) asked of the continuation
    alone and of its part of the joint encoding, and what each costs."""
    import ctranslate2

    clips = session(name)
    turn = len(SESSIONS[name].order)
    rows = []
    for i in range(len(clips) - turn):
        first_lang, _, first = clips[i]
        for lang, _, then in (clips[i + 1], clips[i + turn]):
            head = first[: len(first) - round(0.15 * 16000)]  # about a breath between
            joint = np.concatenate([head, then]).astype(np.float32) / 32768
            alone, alone_s = detect(model, then.astype(np.float32) / 32768, 0, allowed)
            part, part_s = detect(model, joint, len(head), allowed, ctranslate2)
            rows.append({"from": first_lang, "to": lang, "alone": first_lang in alone,
                         "part": first_lang in part, "alone_s": alone_s, "part_s": part_s})
    return rows


def detect(model, audio: np.ndarray, start: int, allowed: frozenset[str],
           ctranslate2=None) -> tuple[tuple[str, ...], dict[str, float]]:
    """The languages ``audio`` from sample ``start`` on would be decoded in (its encoding's
    positions from there on, read by the detector; the whole encoding when ``start`` is 0),
    and the times of the features and the detector's step, and of the encoding."""
    from faster_whisper.audio import pad_or_trim

    model.window = window_frames(len(audio), False)
    t0 = time.monotonic()
    features = model.feature_extractor(audio)
    t1 = time.monotonic()
    encoded = model.encode(pad_or_trim(features[..., :features.shape[-1] - 1]))
    t2 = time.monotonic()
    if start:
        encoded = ctranslate2.StorageView.from_array(np.ascontiguousarray(
            np.asarray(encoded)[:, start // 320:]))
    got = pick([(t[2:-2], p) for t, p in model.model.detect_language(encoded)[0]], allowed,
               None, (len(audio) - start) / 16000)
    spent = {"step": t1 - t0 + time.monotonic() - t2, "encoding": t2 - t1}
    return ((got.language,) if got.rival is None else (got.language, got.rival)), spent


def report_joins(name: str, rows: list[dict]) -> list[str]:
    alone = [r["alone_s"]["step"] + r["alone_s"]["encoding"] for r in rows]
    joint = [r["part_s"]["step"] for r in rows]
    same = [r for r in rows if r["from"] == r["to"]]
    other = [r for r in rows if r["from"] != r["to"]]
    return [f"{name} joins: {len(same)} in one language, joined: {sum(r['alone'] for r in same)}"
            f" asked alone, {sum(r['part'] for r in same)} asked of the joint encoding; "
            f"{len(other)} across languages, joined: {sum(r['alone'] for r in other)} alone, "
            f"{sum(r['part'] for r in other)} joint; decisions differ on "
            f"{sum(r['alone'] != r['part'] for r in rows)}",
            f"  what the check adds to a join: asked alone (as dictation does: features, "
            f"encoding and step) {ms(alone, 0.5)} median ({ms(alone, 0.9)} p90), and nothing "
            f"when the continuation then goes alone (its decode reuses the encoding and the "
            f"pick); asked of the joint encoding (features and step) "
            f"{ms(joint, 0.5)} median ({ms(joint, 0.9)} p90), which wastes the joint "
            f"encoding when the continuation goes alone"]


def ms(values: list[float], q: float) -> str:
    return f"{sorted(values)[min(len(values) - 1, int(q * len(values)))] * 1000:.0f} ms"


def report(result: dict) -> list[str]:
    rows = result["rows"]
    changed = [r for r in rows if r["whole"] != r["speech"]]
    right = (sum(r["whole"][0] == r["lang"] for r in rows),
             sum(r["speech"][0] == r["lang"] for r in rows))
    out = [f"{result['name']}: {len(rows)} pieces; picks changed {len(changed)}; "
           f"picked right {right[0]} whole, {right[1]} speech only; unsure "
           f"{sum(r['whole'][1] is not None for r in rows)} whole, "
           f"{sum(r['speech'][1] is not None for r in rows)} speech only",
           f"  detector step: whole window {ms([r['whole_s'] for r in rows], 0.5)} median "
           f"({ms([r['whole_s'] for r in rows], 0.9)} p90), speech only "
           f"{ms([r['speech_s'] for r in rows], 0.5)} median "
           f"({ms([r['speech_s'] for r in rows], 0.9)} p90)",
           f"  an utterance's encoding: {ms([r['encode_s'] for r in rows], 0.5)} median "
           f"({ms([r['encode_s'] for r in rows], 0.9)} p90)"]
    out += [f"  changed: {r['lang']}: whole {r['whole']}, speech only {r['speech']}"
            for r in changed]
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sessions", default="espeak,festival")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--margin", type=float, default=0.0,
                   help="seconds of encoding kept past the audio's end")
    p.add_argument("--joins", action="store_true",
                   help="also the join check, asked alone and of the joint encoding")
    p.add_argument("--out", type=Path, help="also write the lines there (bench/detector.md)")
    args = p.parse_args()
    os.environ["HF_HUB_OFFLINE"] = "1"
    model = load(str(base()), "cpu", "int8", len(os.sched_getaffinity(0)))
    lines = ["# The language detector: its cost, and a join's check", "",
             f"    python bench/detector.py {' '.join(sys.argv[1:])}".rstrip(), "",
             f"Load average {os.getloadavg()[0]:.1f} at the start."]
    for name in args.sessions.split(","):
        lines += ["", *report(measure(name, model, args.runs, args.margin))]
        if args.joins:
            allowed = frozenset(SESSIONS[name].languages)
            lines += report_joins(name, joins(name, model, allowed))
    lines += ["", f"Load average {os.getloadavg()[0]:.1f} at the end.", ""]
    lines = [f"- {line[2:]}" if line.startswith("  ") and line[2] != " " else line
             for line in lines]
    print("\n".join(lines))
    if args.out:
        args.out.write_text("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
