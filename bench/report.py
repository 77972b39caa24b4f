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
SHOWN_TARGET_S = {"local": 0.6, "api": 1.0}  # a finished sentence typed, by engine
FLOOR_MARGIN_S = 0.3  # calm latency may exceed the model's own time by this much
THROUGHPUT_RATIO = 0.8  # our × real time against plain faster-whisper's
RSS_TARGET_MB = 60

ENGINE_NAMES = {
    "local": "local (embedded faster-whisper, bundled tiny.en, `--engine local`)",
    "api": "api (faster-whisper-server with the same tiny.en via `--base-url`, "
           "tools/local_server.py, same machine)",
}


@dataclass
class CaseResult:
    case: str
    duration_s: float
    engine: str = ""
    exit_code: int | None = None
    playback_s: float = 0.0  # wall time paplay took; ≈ duration when real time held
    start_delay: float | None = None  # paplay started → first sample on the monitor
    heard_end: list[float | None] = field(default_factory=list)  # per sentence, after t0
    slip: float | None = None  # playback gaps (underruns) by the last sentence, seconds
    lines: list[dict] = field(default_factory=list)  # text and arrival, s after playback start
    utterances: list[dict] = field(default_factory=list)  # from dictation's -v log
    stats: dict | None = None  # the daemon's exit line: utterances, requests, speculations
    load_s: float | None = None  # model load, as the daemon reports it (local engine)
    wer: float | None = None
    baseline_wer: float | None = None
    baseline_text: str | None = None
    latencies: list[float | None] = field(default_factory=list)  # per sentence
    shown: list[float] = field(default_factory=list)  # per sentence, typed and captions
    first_shown: list[float] = field(default_factory=list)  # its first text, before revisions
    revisions: int = 0  # pieces revised by a join or a refinement (the events' "revise")
    revised_by: dict = field(default_factory=dict)  # the revise events' "why": how many
    refined: dict | None = None  # the second pass's count line: offered, revised, late…
    deleted_chars: int = 0  # characters a typing sink took back for them
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
    formatting: dict | None = None  # false/missed sentence ends and capitals (formatting.py)
    cpu_pct: float | None = None
    vm_hwm_mb: float | None = None
    warnings: list[str] = field(default_factory=list)
    other_load: float | None = None  # cores used by other processes during the run
    error: str | None = None

    @property
    def requests_per_utterance(self) -> float | None:
        """Transcriber calls per utterance: above 1, speculations that were thrown away."""
        s = self.stats
        return s["requests"] / s["utterances"] if s and s["utterances"] else None


@dataclass
class Floor:
    """Model time alone, per sentence of a case (median of the repeats)."""

    engine: str
    case: str
    seconds: list[float] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)


@dataclass
class Throughput:
    """One long file through `dictation transcribe` and through plain faster-whisper."""

    duration_s: float
    reference: str
    ours_s: float | None = None
    ours_xrt: float | None = None
    ours_utterances: int | None = None
    ours_text: str = ""
    ours_wer: float | None = None
    plain_s: float | None = None
    plain_xrt: float | None = None
    plain_text: str = ""
    plain_wer: float | None = None
    stderr: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def ratio(self) -> float | None:
        return self.ours_xrt / self.plain_xrt if self.ours_xrt and self.plain_xrt else None


@dataclass
class Bench:
    """Everything one run measured."""

    label: str
    extra: list[str]
    engines: list[str]
    live: dict[str, dict[str, CaseResult]] = field(default_factory=dict)  # engine → case
    no_spec: dict[str, dict[str, CaseResult]] = field(default_factory=dict)  # --speculate 0
    floors: dict[str, dict[str, Floor]] = field(default_factory=dict)  # engine → case
    throughput: Throughput | None = None
    commands: dict[str, str] = field(default_factory=dict)  # section → reproducing command
    server: str = ""  # how the server decodes, where not as it ships


def _pct(xs: list[float | None], q: float) -> float | None:
    vals = [x for x in xs if x is not None]
    return float(np.percentile(vals, q)) if vals else None


def _f(x: float | None, fmt: str = ".3f", unit: str = "") -> str:
    return "n/a" if x is None else f"{x:{fmt}}{unit}"


def _s(x: float | None) -> str:
    return _f(x, ".2f", " s")


def _verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


# --- the live cases ---------------------------------------------------------------------------

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
        if (f := r.formatting) is not None:
            out.append(f"{f['false_ends']} false sentence ends, {f['false_capitals']} false "
                       f"capitals ({f['missed_ends']} ends and {f['missed_capitals']} "
                       "capitals missed)")
    elif r.lines:  # even lines without a word (". . .") reach the user
        out.append("text: " + " / ".join(repr(x["text"]) for x in r.lines)[:200])
    if r.endpoint:
        out.append(f"latency = endpointing {np.median(r.endpoint):.2f} s + transcription "
                   f"{np.median(r.transcribe):.2f} s (medians)")
    if finals := [u["final_after"] for u in r.utterances if "final_after" in u]:
        # stdout prints final text; typing and the captions show it when delivered
        out.append(f"final (stdout) {np.median(finals):.2f} s median, {max(finals):.2f} s "
                   "at most after the text was shown")
    if r.first_shown and r.first_shown != r.shown:  # a join or a refinement changed pieces
        out.append(f"first text shown {_s(_pct(r.first_shown, 50))} median, "
                   f"{_s(_pct(r.first_shown, 90))} p90 (before revisions)")
    if m and m["sentences"]:
        per = 100 * r.revisions / len(m["sentences"])
        why = ", ".join(f"{n} {k}" for k, n in sorted(r.revised_by.items()))
        out.append(f"{r.revisions} revisions ({per:.0f} per 100 sentences"
                   f"{f': {why}' if why else ''}), {r.deleted_chars} characters deleted by "
                   "typing")
    if (f := r.refined) is not None:
        out.append(f"second pass: {f['offered']} pieces refined ({f['revised']} revised, "
                   f"{f['same']} the same, {f['late']} late, {f['failed']} failed), "
                   f"{f['busy']} left unrefined while speech or text waited")
    if r.stats and r.stats["requests"]:
        out.append(f"{r.stats['utterances']} utterances, {r.stats['requests']} requests "
                   f"({r.stats['used']} speculative used, {r.stats['discarded']} discarded)")
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


def targets(res: dict[str, CaseResult], engine: str) -> list[str]:
    def check(case: str, what: str, value: float | None, ok: bool | None) -> str:
        if case not in res or value is None or ok is None:
            return f"- {engine}: {what}: not measured"
        return f"- {engine}: {what}: {_verdict(ok)} ({value:g})"

    rows = []
    if (c := res.get("calm")) is not None:
        med = _pct(c.latencies, 50)
        rows.append(check("calm", "calm latency median ≤ 0.9 s",
                          None if med is None else round(med, 3),
                          None if med is None else med <= 0.9))
        shown, bound = _pct(c.shown, 50), SHOWN_TARGET_S.get(engine, 1.0)
        rows.append(check("calm", f"calm shown latency median ≤ {bound:g} s",
                          None if shown is None else round(shown, 3),
                          None if shown is None else shown <= bound))
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
            rows.append(f"- {engine}: monologue: **no forced split seen** "
                        "(max_length never fired)")
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
        rows.append(check(next(iter(res)), f"peak RSS ≤ {RSS_TARGET_MB} MB",
                          round(max(peaks), 1), max(peaks) <= RSS_TARGET_MB))
    return rows


def live_table(b: Bench, manifests: dict[str, dict]) -> list[str]:
    """One row per case and engine, the engines of a case next to each other."""
    lines = ["| case | engine | WER | whole-file WER | latency median | p90 | "
             "shown median | p90 | requests / utterance | notes |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    cases = dict.fromkeys(c for res in b.live.values() for c in res if c != "idle")
    for case in cases:
        for engine, res in b.live.items():
            if (r := res.get(case)) is None:
                continue
            lines.append(f"| {case} | {engine} | {_f(r.wer)} | {_f(r.baseline_wer)} | "
                         f"{_s(_pct(r.latencies, 50))} | {_s(_pct(r.latencies, 90))} | "
                         f"{_s(_pct(r.shown, 50))} | {_s(_pct(r.shown, 90))} | "
                         f"{_f(r.requests_per_utterance, '.2f')} | "
                         f"{notes(r, manifests.get(case)).replace('|', '/')} |")
    return lines


def resources(b: Bench) -> list[str]:
    lines = ["| engine | CPU listening to a silent mic | peak RSS (VmHWM) | model load | "
             "CPU while dictating (for information) |", "| --- | --- | --- | --- | --- |"]
    for engine, res in b.live.items():
        i = res.get("idle")
        idle = "not measured" if i is None else (f"**error** {i.error}" if i.error else
                                                 f"{_f(i.cpu_pct, '.2f')} % of one core")
        peaks = {c: r.vm_hwm_mb for c, r in res.items() if r.vm_hwm_mb is not None}
        peak = (f"{max(peaks.values()):.1f} MB (" + ", ".join(f"{c} {v:.0f}"
                                                          for c, v in peaks.items()) + ")"
                if peaks else "n/a")
        loads = [r.load_s for r in res.values() if r.load_s is not None]
        load = f"{np.median(loads):.1f} s (median of {len(loads)} starts)" if loads else "none"
        active = ", ".join(f"{c} {r.cpu_pct:.1f} %" for c, r in res.items()
                           if c != "idle" and r.cpu_pct is not None)
        lines.append(f"| {engine} | {idle} | {peak} | {load} | {active or 'n/a'} |")
    busy = [f"{e}/{c} {r.other_load:.2f}" for e, res in b.live.items()
            for c, r in res.items() if r.other_load is not None]
    if busy:
        lines += ["", f"Other load on the machine during each run, in cores of "
                      f"{os.cpu_count()}: {', '.join(busy)}"]
    return lines


# --- floor, speculation, throughput ------------------------------------------------------------

def floor_section(b: Bench) -> list[str]:
    lines = ["| case | engine | latency median | p90 | floor median | floor p90 | "
             "latency − floor | latency / floor | of which endpointing |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    rows = []
    cases = dict.fromkeys(c for fl in b.floors.values() for c in fl)
    for case in cases:
        for engine, fl in b.floors.items():
            if (f := fl.get(case)) is None:
                continue
            floor = _pct(f.seconds, 50)
            r = b.live.get(engine, {}).get(case)
            lat = _pct(r.latencies, 50) if r else None
            diff = None if lat is None or floor is None else lat - floor
            ratio = None if lat is None or not floor else lat / floor
            lines.append(f"| {case} | {engine} | {_s(lat)} | "
                         f"{_s(_pct(r.latencies, 90) if r else None)} | {_s(floor)} | "
                         f"{_s(_pct(f.seconds, 90))} | {_s(diff)} | {_f(ratio, '.1f', '×')} | "
                         f"{_s(_pct(r.endpoint, 50) if r else None)} |")
            if case == "calm" and r is not None and lat is not None and floor is not None:
                rows.append(f"- {engine}: calm latency median ≤ floor + {FLOOR_MARGIN_S:g} s: "
                            f"{_verdict(diff <= FLOOR_MARGIN_S)} ({lat:.2f} s against "
                            f"{floor:.2f} + {FLOOR_MARGIN_S:g} s)")
    return [*lines, "", "Targets:", *(rows or ["- not measured (no live calm run)"])]


def speculation_section(b: Bench) -> list[str]:
    lines = ["| case | engine | WER with | without | latency median with | without | "
             "p90 with | without | requests / utterance with | without |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    rows = []
    for engine, off in b.no_spec.items():
        for case, r0 in off.items():
            r1 = b.live.get(engine, {}).get(case)
            if r1 is None:
                continue
            lines.append(f"| {case} | {engine} | {_f(r1.wer)} | {_f(r0.wer)} | "
                         f"{_s(_pct(r1.latencies, 50))} | {_s(_pct(r0.latencies, 50))} | "
                         f"{_s(_pct(r1.latencies, 90))} | {_s(_pct(r0.latencies, 90))} | "
                         f"{_f(r1.requests_per_utterance, '.2f')} | "
                         f"{_f(r0.requests_per_utterance, '.2f')} |")
            if r1.wer is not None and r0.wer is not None:
                rows.append(f"- {engine}, {case}: WER with speculation ≤ without: "
                            f"{_verdict(r1.wer <= r0.wer)} ({r1.wer:.3f} with, "
                            f"{r0.wer:.3f} without)")
    return [*lines, "", "Targets (tiny.en int8 output varies slightly from run to run, so a "
            "difference of one word either way is noise):", *rows]


def speculation_setting(extra: list[str]) -> str:
    """What "with speculation" meant in this run: the extra arguments' last word on it, else
    the product's default per engine."""
    given = None
    for i, a in enumerate(extra):
        if a == "--speculate" and i + 1 < len(extra):
            given = extra[i + 1]
        elif a.startswith("--speculate="):
            given = a.split("=", 1)[1]
    if given is not None:
        return f"`--speculate {given}`"
    from dictation.cli.options import SPECULATE_S

    return "the engine's default (" + ", ".join(f"{e} {s:g} s"
                                                for e, s in SPECULATE_S.items()) + ")"


def throughput_section(t: Throughput) -> list[str]:
    if t.error:
        return [f"**error**: {t.error}"]
    m, sec = divmod(int(t.duration_s), 60)  # as the product prints it
    lines = ["| run | audio | time | × real time | WER | output |",
             "| --- | --- | --- | --- | --- | --- |",
             f"| `dictation transcribe` (local engine, defaults) | {m}:{sec:02d} | "
             f"{_f(t.ours_s, '.1f', ' s')} | {_f(t.ours_xrt, '.1f', '×')} | {_f(t.ours_wer)} | "
             f"{t.ours_utterances} utterances |",
             f"| faster-whisper, whole file (30 s windows, int8, 2 threads, beam 1) | "
             f"{m}:{sec:02d} | {_f(t.plain_s, '.1f', ' s')} | {_f(t.plain_xrt, '.1f', '×')} | "
             f"{_f(t.plain_wer)} | one call |", ""]
    rows = []
    if (ratio := t.ratio) is not None:
        rows.append(f"- speed ratio ≥ {THROUGHPUT_RATIO:g}: {_verdict(ratio >= THROUGHPUT_RATIO)}"
                    f" ({ratio:.2f}: {t.ours_xrt:g}× against {t.plain_xrt:.1f}×)")
    if t.ours_wer is not None and t.plain_wer is not None:
        rows.append(f"- WER no worse than faster-whisper's: "
                    f"{_verdict(t.ours_wer <= t.plain_wer)} ({t.ours_wer:.3f} against "
                    f"{t.plain_wer:.3f})")
    return [*lines, "Targets:", *rows]


# --- the whole report -----------------------------------------------------------------------

def _repro(b: Bench, key: str) -> list[str]:
    return ["", f"Reproduce: `{b.commands[key]}`"] if key in b.commands else []


def transcripts(b: Bench) -> list[str]:
    out = ["<details><summary>Transcripts (arrival time after playback start)</summary>", ""]
    runs = [(f"{e}, {c}", r) for e, res in b.live.items() for c, r in res.items()]
    runs += [(f"{e}, {c}, --speculate 0", r) for e, res in b.no_spec.items()
             for c, r in res.items()]
    for name, r in runs:
        if r.case == "idle" or r.error:
            continue
        out.append(f"**{name}**")
        out += [f"- {x['t']:.2f} s: {x['text']}" for x in r.lines] or ["- (nothing)"]
        if r.baseline_text is not None:
            out.append(f"- whole file: {r.baseline_text.strip()}")
        out.append("")
    for engine, fl in b.floors.items():
        for case, f in fl.items():
            out += [f"**floor, {engine}, {case}** (per sentence: model time, text)",
                    *[f"- {s:.2f} s: {t}" for s, t in zip(f.seconds, f.texts, strict=True)],
                    ""]
    if (t := b.throughput) is not None and not t.error:
        out += ["**throughput, dictation transcribe**", "", t.ours_text.strip(), "",
                "**throughput, faster-whisper**", "", t.plain_text.strip(), ""]
    return [*out, "</details>", ""]


def report(b: Bench, manifests: dict[str, dict]) -> str:
    commit = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=REPO,
                            capture_output=True, text=True).stdout.strip() or "unknown"
    when = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    lines = [f"## {b.label}", "",
             f"{when}; commit {commit}; {os.cpu_count()} cores; "
             f"`dictation run` args: `{shlex.join(b.extra) or '(defaults)'}`.", ""]
    if b.live or b.floors:
        lines += ["Engines:", "", *[f"- {ENGINE_NAMES.get(e, e)}"
                                    + (f"; the server's {b.server}" if e == "api" and b.server
                                       else "") for e in b.engines], ""]
    if b.live:
        lines += ["### Dictating", "", *live_table(b, manifests), "", *resources(b), "",
                  "Targets:", *[t for e, res in b.live.items() for t in targets(res, e)],
                  *_repro(b, "live"), ""]
    if b.floors:
        lines += ["### Latency against the model's own time", "",
                  "floor: the engine alone on each sentence's clip, one at a time, nothing "
                  "else running; faster-whisper: the library with its standard 30 s window, "
                  "for reference.", "", *floor_section(b), *_repro(b, "floor"), ""]
    if b.no_spec:
        lines += ["### With and without speculation", "",
                  f"with: {speculation_setting(b.extra)}; without: `--speculate 0`.", "",
                  *speculation_section(b), *_repro(b, "speculation"), ""]
    if b.throughput is not None:
        lines += ["### File throughput", "",
                  f"calm, quick, monologue and noisy end to end "
                  f"({b.throughput.duration_s:.0f} s); times exclude model loading.", "",
                  *throughput_section(b.throughput), *_repro(b, "throughput")]
        if "transcribe" in b.commands:
            lines.append(f"The product's figure alone, once a run has built the file and with "
                         f"no OPENAI_* variable set: `{b.commands['transcribe']}`")
        lines.append("")
    lines += [f"Reproduce everything above: `{b.commands.get('all', '')}`", "",
              *transcripts(b)]
    return "\n".join(lines)
