"""Benchmark `dictation run` end to end: corpus speech played into a PulseAudio virtual
microphone, the real faster-whisper-server (tiny.en) as the endpoint, lines timed on stdout.

    .venv/bin/python bench/run.py [--cases calm quick ...] [--out bench/results.md]
        [--label NAME] [--append] [-- extra args for `dictation run`]

See bench/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import corpus
import httpx
import jiwer
import numpy as np
from whisper_normalizer.english import EnglishTextNormalizer

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tools"))

from local_server import running_server  # noqa: E402

SPEECH_CASES = ("calm", "quick", "monologue", "noisy", "noise")
ALL_CASES = (*SPEECH_CASES, "idle")
BASELINE_CASES = ("calm", "quick", "monologue", "noisy")  # whole-file WER is defined
SETTLE_S = 3.0  # after playback: time for the last utterance to end and be transcribed
SPLIT_NEAR_S = 2.0  # a lost word this close to a forced split is blamed on the split

_normalizer = EnglishTextNormalizer()


def words(text: str) -> list[str]:
    return _normalizer(text).split()


# --- PulseAudio virtual microphone --------------------------------------------------------

def _pactl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["pactl", *args], capture_output=True, text=True, timeout=30)


def _default_source() -> str | None:
    for line in _pactl("info").stdout.splitlines():
        if line.startswith("Default Source:"):
            return line.split(":", 1)[1].strip()
    return None


def _sink_state(name: str) -> str:
    for line in _pactl("list", "short", "sinks").stdout.splitlines():
        cols = line.split()
        if len(cols) > 1 and cols[1] == name:
            return cols[-1]
    return "missing"


@contextmanager
def virtual_mic() -> Iterator[str]:
    """A uniquely named null sink whose monitor is the default source; yields the sink name.

    A null sink with nothing playing is suspended or idle, and then its monitor delivers no
    samples at all: the daemon would hear nothing until paplay starts, and paplay would wait
    ~1-2 s for the sink to resume, which would count as latency. A stream of digital silence
    keeps the sink running, so the monitor behaves like a real microphone in a quiet room.

    The previous default source is restored afterwards, so a desktop session or a parallel
    test run is left as it was found."""
    if _pactl("info").returncode != 0:
        # Warns when run as root; the warning is harmless.
        subprocess.run(["pulseaudio", "--start", "--exit-idle-time=-1"], capture_output=True)
        deadline = time.monotonic() + 15
        while _pactl("info").returncode != 0:
            if time.monotonic() > deadline:
                raise SystemExit("bench: PulseAudio did not start")
            time.sleep(0.2)
    name = f"dictbench{uuid.uuid4().hex[:8]}"
    loaded = _pactl("load-module", "module-null-sink", f"sink_name={name}")
    if loaded.returncode != 0:
        raise SystemExit(f"bench: cannot load a null sink: {loaded.stderr.strip()}")
    module = loaded.stdout.strip()
    previous = _default_source()
    _pactl("set-default-source", f"{name}.monitor")
    keeper = subprocess.Popen(["pacat", "--playback", "-d", name, "--raw", "--format=s16le",
                               "--rate=16000", "--channels=1", "/dev/zero"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 15
        while _sink_state(name) != "RUNNING":
            if keeper.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"bench: null sink {name} did not start running")
            time.sleep(0.1)
        time.sleep(1.0)  # RUNNING comes before the monitor delivers steadily
        yield name
    finally:
        keeper.terminate()
        keeper.wait(10)
        if previous and previous != f"{name}.monitor":
            _pactl("set-default-source", previous)
        _pactl("unload-module", module)


# --- the daemon under test ----------------------------------------------------------------

@dataclass
class Line:
    t: float  # monotonic arrival time
    text: str


class Daemon:
    """`python -m dictation run` with both pipes read by threads that stamp each line."""

    def __init__(self, url: str, sink: str, extra: list[str]) -> None:
        # -v: the per-utterance debug lines show where and why utterances were cut.
        cmd = [sys.executable, "-m", "dictation", "-v", "run", "--base-url", url, *extra]
        # PULSE_SOURCE as well as the default source: a parallel test run that changes the
        # server's default source must not redirect this daemon's microphone.
        env = {**os.environ, "PULSE_SOURCE": f"{sink}.monitor"}
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, bufsize=1, env=env, cwd=REPO)
        self.out: list[Line] = []
        self.err: list[Line] = []
        self.listening = threading.Event()
        self._threads = [threading.Thread(target=self._read, args=(s, d), daemon=True)
                         for s, d in ((self.proc.stdout, self.out), (self.proc.stderr, self.err))]
        for t in self._threads:
            t.start()

    def _read(self, stream: object, into: list[Line]) -> None:
        for text in iter(stream.readline, ""):  # type: ignore[attr-defined]
            into.append(Line(time.monotonic(), text.rstrip("\n")))
            if into is self.err and "listening on" in text:
                self.listening.set()

    def wait_listening(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not self.listening.wait(0.2):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"dictation did not start listening: {self.stderr()}")

    def cpu_s(self) -> float:
        """User + system CPU seconds of the process, all threads, from /proc/PID/stat."""
        stat = Path(f"/proc/{self.proc.pid}/stat").read_text()
        fields = stat.rsplit(")", 1)[1].split()  # the command name may hold spaces
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def vm_hwm_mb(self) -> float:
        """Peak resident set size so far (VmHWM)."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self, timeout: float = 120) -> int | None:
        """SIGINT (finish the utterance in progress), then wait; None when it hung."""
        self.proc.send_signal(signal.SIGINT)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return None
        for t in self._threads:
            t.join(5)
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stderr(self) -> str:
        return "\n".join(line.text for line in self.err)


# --- measuring ----------------------------------------------------------------------------

def _proc_stat(pid: str) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


class Load:
    """CPU the rest of the machine used meanwhile, in cores: everything busy minus this
    benchmark's process tree (server, daemon, players) and the PulseAudio server. It tells a
    slow dictation from a machine busy with other work."""

    def __init__(self) -> None:
        self._start = self._snapshot()

    @staticmethod
    def _snapshot() -> tuple[int, int, int]:
        cpu = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
        total, busy = sum(cpu), sum(cpu) - cpu[3] - cpu[4]  # idle and iowait are not busy
        parents: dict[str, str] = {}
        ours = 0
        for d in Path("/proc").iterdir():
            if not d.name.isdigit():
                continue
            try:
                f = _proc_stat(d.name)
                comm = (d / "comm").read_text().strip()
            except OSError:  # exited meanwhile
                continue
            parents[d.name] = f[1]
            if comm == "pulseaudio":
                ours += int(f[11]) + int(f[12])
        me = str(os.getpid())
        for pid in parents:
            p = pid
            while p in parents and p != me:
                p = parents[p]
            if p == me:
                # Own time plus that of reaped children (cutime, cstime): each process is
                # counted once, live or reaped.
                try:
                    f = _proc_stat(pid)
                except OSError:
                    continue
                ours += sum(int(v) for v in f[11:15])
        return total, busy, ours

    def others_cores(self) -> float:
        t0, b0, o0 = self._start
        t1, b1, o1 = self._snapshot()
        return max(0.0, (b1 - b0) - (o1 - o0)) / max(1, t1 - t0) * (os.cpu_count() or 1)


@dataclass
class CaseResult:
    case: str
    duration_s: float
    exit_code: int | None = None
    playback_s: float = 0.0  # wall time paplay took; ≈ duration when real time held
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


UTTERANCE_RE = re.compile(r"utterance (\d+): ([\d.]+)-([\d.]+) s, ended by (\w+)")
TRANSCRIBED_RE = re.compile(r"utterance (\d+): [\d.]+ s of audio transcribed in ([\d.]+) s")


def play_case(m: dict, url: str, sink: str, extra: list[str]) -> CaseResult:
    r = CaseResult(m["case"], m["duration"])
    load = Load()
    d = Daemon(url, sink, extra)
    try:
        d.wait_listening()
        cpu0, w0 = d.cpu_s(), time.monotonic()
        t0 = time.monotonic()  # just before paplay starts: its start-up counts as latency
        player = subprocess.run(["paplay", "--latency-msec=20", "-d", sink, m["wav"]],
                                capture_output=True, text=True, timeout=m["duration"] + 60)
        r.playback_s = time.monotonic() - t0
        if player.returncode != 0:
            r.error = f"paplay failed: {player.stderr.strip()}"
        time.sleep(SETTLE_S)
        r.vm_hwm_mb = d.vm_hwm_mb()
        r.cpu_pct = 100 * (d.cpu_s() - cpu0) / (time.monotonic() - w0)
        r.exit_code = d.stop()
        r.other_load = load.others_cores()
    except (RuntimeError, subprocess.TimeoutExpired) as err:
        d.kill()
        r.error = str(err)
        return r
    r.lines = [{"t": round(line.t - t0, 3), "text": line.text} for line in d.out]
    for line in d.err:
        if g := UTTERANCE_RE.search(line.text):
            # The log line is written the moment the segmenter closes the utterance, so its
            # arrival dates the cut on the playback clock.
            r.utterances.append({"seq": int(g[1]), "start": float(g[2]), "end": float(g[3]),
                                 "reason": g[4], "closed_at": round(line.t - t0, 3)})
        elif g := TRANSCRIBED_RE.search(line.text):
            for u in r.utterances:
                if u["seq"] == int(g[1]):
                    u["took"], u["done_at"] = float(g[2]), round(line.t - t0, 3)
        elif "warning" in line.text or "error" in line.text or "Traceback" in line.text:
            r.warnings.append(line.text)
    score(r, m)
    return r


def score(r: CaseResult, m: dict) -> None:
    """WER, per-sentence latency, lost words, merges and splits from the timed lines."""
    hyp_text = " ".join(line["text"] for line in r.lines)
    r.words_out = len(words(hyp_text))
    sentences = m["sentences"]
    if not sentences:
        return
    r.wer = jiwer.wer(_normalizer(" ".join(s["text"] for s in sentences)),
                      _normalizer(hyp_text) or "")
    # Word-level alignment, each word tagged with its sentence or its line.
    ref, ref_sent, hyp, hyp_line = [], [], [], []
    for i, s in enumerate(sentences):
        ws = words(s["text"])
        ref += ws
        ref_sent += [i] * len(ws)
    for j, line in enumerate(r.lines):
        ws = words(line["text"])
        hyp += ws
        hyp_line += [j] * len(ws)
    line_of: dict[int, int] = {}  # reference word → line holding it (equal or substituted)
    if hyp:
        out = jiwer.process_words(" ".join(ref), " ".join(hyp))
        for c in out.alignments[0]:
            if c.type in ("equal", "substitute"):
                for k in range(c.ref_end_idx - c.ref_start_idx):
                    line_of[c.ref_start_idx + k] = hyp_line[c.hyp_start_idx + k]
            elif c.type == "insert":
                r.inserted += hyp[c.hyp_start_idx:c.hyp_end_idx]
    for k, w in enumerate(ref):
        if k not in line_of:
            s = sentences[ref_sent[k]]
            pos = [i for i, x in enumerate(ref_sent) if x == ref_sent[k]]
            # No per-word times: place the word evenly within its sentence.
            frac = (pos.index(k) + 0.5) / len(pos)
            r.lost.append({"word": w, "sentence": ref_sent[k],
                           "t": round(s["start"] + frac * (s["end"] - s["start"]), 2)})
    sentence_lines: list[set[int]] = [set() for _ in sentences]
    for k, j in line_of.items():
        sentence_lines[ref_sent[k]].add(j)
    for i, s in enumerate(sentences):
        idx = [k for k in range(len(ref)) if ref_sent[k] == i and k in line_of]
        if not idx:
            r.latencies.append(None)
            continue
        if idx[-1] != max(k for k in range(len(ref)) if ref_sent[k] == i):
            r.approx_latency.append(i)
        line = r.lines[line_of[idx[-1]]]
        r.latencies.append(round(line["t"] - s["end"], 3))
        if (u := utterance_of(r, line["t"])) is not None:
            r.endpoint.append(round(u["closed_at"] - s["end"], 3))
            r.transcribe.append(round(line["t"] - u["closed_at"], 3))
        if len(sentence_lines[i]) > 1:
            r.split.append(i)
    line_sents: dict[int, list[int]] = {}
    for i, js in enumerate(sentence_lines):
        for j in js:
            line_sents.setdefault(j, []).append(i)
    r.merged = [v for _, v in sorted(line_sents.items()) if len(v) > 1]


def utterance_of(r: CaseResult, t: float) -> dict | None:
    """The utterance a line at ``t`` came from: the last one whose transcription was logged
    before the line arrived (the log precedes delivery; 50 ms allows for thread jitter)."""
    done = [u for u in r.utterances if "done_at" in u and u["done_at"] <= t + 0.05]
    return max(done, key=lambda u: u["done_at"]) if done else None


def baseline(m: dict, url: str) -> str:
    """The whole case WAV in one request: what the model does with full context."""
    with open(m["wav"], "rb") as f:
        resp = httpx.post(f"{url}/audio/transcriptions", timeout=600,
                          files={"file": (Path(m["wav"]).name, f, "audio/wav")},
                          data={"response_format": "json", "model": "whisper-1"})
    resp.raise_for_status()
    return resp.json()["text"]


def idle(url: str, sink: str, extra: list[str], seconds: float) -> CaseResult:
    """CPU of the daemon listening to a silent microphone."""
    r = CaseResult("idle", seconds)
    d = Daemon(url, sink, extra)
    try:
        d.wait_listening()
        time.sleep(3.0)  # past start-up work (lazy imports, stream warm-up)
        cpu0, w0, load = d.cpu_s(), time.monotonic(), Load()
        time.sleep(seconds)
        r.cpu_pct = 100 * (d.cpu_s() - cpu0) / (time.monotonic() - w0)
        r.other_load = load.others_cores()
        r.vm_hwm_mb = d.vm_hwm_mb()
        r.exit_code = d.stop()
    except RuntimeError as err:
        d.kill()
        r.error = str(err)
        return r
    r.lines = [{"t": 0.0, "text": line.text} for line in d.out]
    r.words_out = len(words(" ".join(x["text"] for x in r.lines)))
    return r


# --- report -------------------------------------------------------------------------------

def _pct(xs: list[float | None], q: float) -> float | None:
    vals = [x for x in xs if x is not None]
    return float(np.percentile(vals, q)) if vals else None


def _f(x: float | None, fmt: str = ".3f", unit: str = "") -> str:
    return "n/a" if x is None else f"{x:{fmt}}{unit}"


def notes(r: CaseResult, m: dict | None) -> str:
    if r.error:
        return f"**error**: {r.error[:200]}"
    n = len(m["sentences"]) if m else 0
    out = [f"{len(r.lines)} lines / {n} sentences" if n else f"{r.words_out} words output"]
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
    elif r.words_out:
        out.append("text: " + " / ".join(repr(x["text"]) for x in r.lines)[:200])
    if r.endpoint:
        out.append(f"latency = endpointing {np.median(r.endpoint):.2f} s + transcription "
                   f"{np.median(r.transcribe):.2f} s (medians)")
    if r.approx_latency:
        out.append(f"latency from an earlier word for {[i + 1 for i in r.approx_latency]}")
    if abs(r.playback_s - r.duration_s) > 0.5 and r.case != "idle":
        out.append(f"playback took {r.playback_s:.1f} s for {r.duration_s:.1f} s")
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
        rows.append(check("noise", "noise → 0 words", ns.words_out, ns.words_out == 0))
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


# --- main ---------------------------------------------------------------------------------

def parse(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    own, extra = (argv[: argv.index("--")], argv[argv.index("--") + 1:]) if "--" in argv \
        else (argv, [])
    p = argparse.ArgumentParser(description="Benchmark dictation on a virtual microphone.",
                                epilog="Arguments after -- go to `dictation run`.")
    p.add_argument("--cases", nargs="+", choices=ALL_CASES, default=list(ALL_CASES))
    p.add_argument("--out", type=Path, default=HERE / "results.md")
    p.add_argument("--label", help="name of this run in the output (default: the extra args)")
    p.add_argument("--append", action="store_true",
                   help="add this run to --out instead of replacing it (to compare settings)")
    p.add_argument("--idle-seconds", type=float, default=30.0)
    return p.parse_args(own), extra


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args, extra = parse(argv)
    label = args.label or (shlex.join(extra) if extra else "defaults")
    command = shlex.join([".venv/bin/python", "bench/run.py", *argv])
    cases = [c for c in ALL_CASES if c in args.cases]
    manifests = {c: corpus.load(corpus.build(c)) for c in cases if c in SPEECH_CASES}
    res: dict[str, CaseResult] = {}
    with running_server() as url, virtual_mic() as sink:
        baselines = {}
        for case in cases:
            if case in BASELINE_CASES:
                print(f"bench: {case}: whole-file baseline", file=sys.stderr)
                baselines[case] = baseline(manifests[case], url)
        for case in cases:
            print(f"bench: {case}: playing", file=sys.stderr)
            if case == "idle":
                res[case] = idle(url, sink, extra, args.idle_seconds)
                continue
            m = manifests[case]
            r = res[case] = play_case(m, url, sink, extra)
            if case in baselines:
                r.baseline_text = baselines[case]
                r.baseline_wer = jiwer.wer(_normalizer(" ".join(s["text"]
                                                                for s in m["sentences"])),
                                           _normalizer(baselines[case]))
    text = report(res, manifests, label, extra, command)
    print(text)
    old = args.out.read_text() if args.append and args.out.exists() else "# dictation benchmark\n"
    args.out.write_text(old.rstrip("\n") + "\n\n" + text)
    # Raw numbers and transcripts for later digging (gitignored).
    runs = HERE / ".runs"
    runs.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", label)[:40]
    (runs / f"{stamp}-{slug}.json").write_text(json.dumps(
        {"label": label, "extra": extra, "results": {c: asdict(r) for c, r in res.items()}},
        indent=1) + "\n")
    failed = [c for c, r in res.items() if r.error or r.exit_code != 0]
    if failed:
        print(f"bench: failed runs: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
