"""Results of one benchmark run and their markdown report."""

from __future__ import annotations

import datetime
import os
import shlex
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
SPLIT_NEAR_S = 2.0  # a lost word this close to a forced split is blamed on the split


@dataclass
class CaseResult:
    case: str
    duration_s: float
    exit_code: int | None = None
    playback_s: float = 0.0  # wall time paplay took; ≈ duration when real time held
    start_delay: float | None = None  # paplay started → first sample on the monitor
    heard_end: list[float | None] = field(default_factory=list)  # per sentence, after t0
    slip: float | None = None  # playback gaps (underruns) by the last sentence, seconds
    lines: list[dict] = field(default_factory=list)  # text and arrival, s after playback start
    utterances: list[dict] = field(default_factory=list)  # from dictation's -v log
    wer: float | None = None
    baseline_wer: float | None = None
    baseline_text: str | None = None
    latencies: list[float | None] = field(default_factory=list)  # per sentence
    # The latency in two parts: sentence end → segmenter closed its utterance, then
    # → text on stdout (transcription and delivery).
    endpoint: list[float] = field(default_factory=list)
    transcribe: list[float] = field(default_factory=list)
    approx_latency: list[int] = field(default_factory=list)  # last word unmatched
    lost: list[dict] = field(default_factory=list)  # deleted reference words
    inserted: list[str] = field(default_factory=list)
    merged: list[list[int]] = field(default_factory=list)  # sentences sharing one line
    split: list[int] = field(default_factory=list)  # sentences spread over lines
    words_out: int = 0
    cpu_pct: float | None = None
    vm_hwm_mb: float | None = None
    warnings: list[str] = field(default_factory=list)
    other_load: float | None = None  # cores used by other processes during the run
    error: str | None = None


def _pct(xs: list[float | None], q: float) -> float | None:
    vals = [x for x in xs if x is not None]
    return float(np.percentile(vals, q)) if vals else None


def _f(x: float | None, fmt: str = ".3f", unit: str = "") -> str:
    return "n/a" if x is None else f"{x:{fmt}}{unit}"


def notes(r: CaseResult, m: dict | None) -> str:
    if r.error:
        return f"**error**: {r.error[:200]}"
    n = len(m["sentences"]) if m else 0
    out = [f"{len(r.lines)} lines / {n} sentences" if n
           else f"{r.words_out} words in {len(r.lines)} lines output"]
    if r.exit_code != 0:
        out.append(f"**exit code {r.exit_code}**")
    if r.merged:
        out.append("merged " + ", ".join("+".join(str(i + 1) for i in g) for g in r.merged))
    if r.split:
        out.append("split " + ", ".join(str(i + 1) for i in r.split))
    missing = [i + 1 for i, lat in enumerate(r.latencies) if lat is None]
    if missing:
        out.append(f"missing sentence(s) {missing}")
    forced = [u for u in r.utterances if u["reason"] == "max_length"]
    if forced:
        out.append("forced split at " + ", ".join(f"{u['closed_at']:.1f} s" for u in forced))
    if n:
        near = [w for w in r.lost if forced and
                min(abs(w["t"] - u["closed_at"]) for u in forced) <= SPLIT_NEAR_S]
        lost = ", ".join(f"'{w['word']}'@{w['t']:.1f}s" for w in r.lost[:8])
        more = " …" if len(r.lost) > 8 else ""
        out.append(f"{len(r.lost)} words lost{f' ({lost}{more})' if lost else ''}")
        if forced:
            out.append(f"{len(near)} lost within {SPLIT_NEAR_S:g} s of the split")
        if r.inserted:
            out.append(f"{len(r.inserted)} inserted")
    elif r.lines:  # even lines without a word (". . .") reach the user
        out.append("text: " + " / ".join(repr(x["text"]) for x in r.lines)[:200])
    if r.endpoint:
        out.append(f"latency = endpointing {np.median(r.endpoint):.2f} s + transcription "
                   f"{np.median(r.transcribe):.2f} s (medians)")
    if r.approx_latency:
        out.append(f"latency from an earlier word for {[i + 1 for i in r.approx_latency]}")
    if r.start_delay is not None and r.start_delay > 0.1:
        out.append(f"paplay started {r.start_delay:.2f} s late (not counted)")
    if r.slip is not None and r.slip > 0.1:
        out.append(f"playback gaps of {r.slip:.2f} s in all (not counted)")
    if m and m["sentences"] and None in r.heard_end:
        out.append("some sentence ends not found in the recording: WAV times used")
    if r.warnings:
        out.append(f"stderr: {r.warnings[0][:120]}")
    if r.other_load is not None and r.other_load > 0.25:
        out.append(f"busy machine: other processes used {r.other_load:.2f} cores")
    return "; ".join(out)


def targets(res: dict[str, CaseResult]) -> list[str]:
    def check(case: str, what: str, value: float | None, ok: bool | None) -> str:
        if case not in res or value is None or ok is None:
            return f"- {what}: not measured"
        return f"- {what}: {'met' if ok else '**missed**'} ({value:g})"

    rows = []
    if (c := res.get("calm")) is not None:
        med = _pct(c.latencies, 50)
        rows.append(check("calm", "calm latency median ≤ 0.9 s",
                          None if med is None else round(med, 3),
                          None if med is None else med <= 0.9))
        rows.append(check("calm", "calm WER ≤ whole-file WER", c.wer,
                          None if c.wer is None or c.baseline_wer is None
                          else c.wer <= c.baseline_wer))
    if (q := res.get("quick")) is not None:
        med = _pct(q.latencies, 50)
        rows.append(check("quick", "quick latency median ≤ 1.5 s",
                          None if med is None else round(med, 3),
                          None if med is None else med <= 1.5))
    if (mo := res.get("monologue")) is not None and not mo.error:
        forced = [u["closed_at"] for u in mo.utterances if u["reason"] == "max_length"]
        near = [w for w in mo.lost if any(abs(w["t"] - t) <= SPLIT_NEAR_S for t in forced)]
        rows.append(check("monologue", "monologue: no word lost at the forced split",
                          len(near), bool(forced) and not near))
        if not forced:
            rows.append("- monologue: **no forced split seen** (max_length never fired)")
    if (no := res.get("noisy")) is not None:
        rows.append(check("noisy", "noisy WER ≤ whole-file WER + 0.05", no.wer,
                          None if no.wer is None or no.baseline_wer is None
                          else no.wer <= no.baseline_wer + 0.05))
    if (ns := res.get("noise")) is not None and not ns.error:
        rows.append(check("noise", "noise → 0 words", ns.words_out, ns.words_out == 0)
                    + (f"; but {len(ns.lines)} lines without words were printed"
                       if ns.lines and not ns.words_out else ""))
    if (i := res.get("idle")) is not None and not i.error:
        rows.append(check("idle", "CPU while listening ≤ 1 % of a core",
                          round(i.cpu_pct or 0, 2), (i.cpu_pct or 0) <= 1.0))
    peaks = [r.vm_hwm_mb for r in res.values() if r.vm_hwm_mb is not None]
    if peaks:
        rows.append(check(next(iter(res)), "peak RSS ≤ 60 MB", round(max(peaks), 1),
                          max(peaks) <= 60))
    return rows


def report(res: dict[str, CaseResult], manifests: dict[str, dict], label: str,
           extra: list[str], command: str) -> str:
    commit = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=REPO,
                            capture_output=True, text=True).stdout.strip() or "unknown"
    when = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    lines = [
        f"## {label}", "",
        f"{when}; commit {commit}; {os.cpu_count()} cores; endpoint faster-whisper-server "
        f"with tiny.en (tools/local_server.py) on the same machine; "
        f"`dictation run` args: `{shlex.join(extra) or '(defaults)'}`", "",
        "| case | WER | whole-file WER | latency median | p90 | notes |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for case, r in res.items():
        if case == "idle":
            continue
        lines.append(f"| {case} | {_f(r.wer)} | {_f(r.baseline_wer)} | "
                     f"{_f(_pct(r.latencies, 50), '.2f', ' s')} | "
                     f"{_f(_pct(r.latencies, 90), '.2f', ' s')} | "
                     f"{notes(r, manifests.get(case)).replace('|', '/')} |")
    lines.append("")
    if (i := res.get("idle")) is not None:
        lines.append("- CPU while listening to a silent mic: "
                     + (f"**error** {i.error}" if i.error else
                        f"{_f(i.cpu_pct, '.2f')} % of one core over {i.duration_s:g} s"
                        + (f" ({i.words_out} words output)" if i.words_out else "")))
    peaks = {c: r.vm_hwm_mb for c, r in res.items() if r.vm_hwm_mb is not None}
    if peaks:
        each = ", ".join(f"{c} {v:.1f}" for c, v in peaks.items())
        lines.append(f"- Peak RSS (VmHWM): max {max(peaks.values()):.1f} MB ({each})")
    active = [f"{c} {r.cpu_pct:.1f} %" for c, r in res.items()
              if c != "idle" and r.cpu_pct is not None]
    if active:
        lines.append(f"- CPU while dictating (for information): {', '.join(active)}")
    busy = [f"{c} {r.other_load:.2f}" for c, r in res.items() if r.other_load is not None]
    if busy:
        lines.append(f"- Other load on the machine during each run, in cores of "
                     f"{os.cpu_count()}: {', '.join(busy)}")
    lines += ["", "Targets:", *targets(res), "", f"Reproduce: `{command}`", "", "<details>"
              "<summary>Transcripts (arrival time after playback start)</summary>", ""]
    for case, r in res.items():
        if case == "idle" or r.error:
            continue
        lines.append(f"**{case}**")
        lines += [f"- {x['t']:.2f} s: {x['text']}" for x in r.lines] or ["- (nothing)"]
        if r.baseline_text is not None:
            lines.append(f"- whole file: {r.baseline_text.strip()}")
        lines.append("")
    lines += ["</details>", ""]
    return "\n".join(lines)
