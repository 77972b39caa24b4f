"""Benchmark `dictation run` end to end on both engines: corpus speech played into a PulseAudio
virtual microphone, lines timed on stdout. The local engine runs in the daemon; the API engine
talks to the real faster-whisper-server (tiny.en) on the same machine. Then each engine alone
on each sentence (the latency floor), and one long file through `dictation transcribe` against
plain faster-whisper (throughput).

    .venv/bin/python bench/run.py [--engines local api] [--cases calm quick ...]
        [--no-floor] [--no-compare-speculation] [--no-throughput] [--out bench/results.md]
        [--label NAME] [--append] [-- extra args for `dictation run`]

See bench/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import corpus
import direct
import formatting
import httpx
import jiwer
from report import Bench, CaseResult, report
from rig import Daemon, Line, Load, Recorder, heard_ends, recorder, virtual_mic
from whisper_normalizer.english import EnglishTextNormalizer

from dictation.text.revise import edit

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tools"))

from local_server import running_server  # noqa: E402

SPEECH_CASES = ("calm", "quick", "monologue", "noisy", "noise", "hesitation")
ALL_CASES = (*SPEECH_CASES, "idle")
BASELINE_CASES = ("calm", "quick", "monologue", "noisy", "hesitation")  # whole-file WER
FLOOR_CASES = ("calm", "quick")  # also the cases run again with --speculate 0
ENGINES = ("local", "api")
IDLE_S = 30.0  # the CPU measurement while listening to a silent mic
RUNS = HERE / ".runs"  # raw results, gitignored
SETTLE_S = 3.0  # after playback: time for the last utterance to end and be transcribed

_normalizer = EnglishTextNormalizer()


def words(text: str) -> list[str]:
    return _normalizer(text).split()


def wer(reference: str, hypothesis: str) -> float:
    return jiwer.wer(_normalizer(reference), _normalizer(hypothesis) or "")


@dataclass(frozen=True)
class Engine:
    name: str
    args: tuple[str, ...]  # what selects it on `dictation run`'s command line

    @staticmethod
    def make(name: str, url: str) -> Engine:
        return Engine(name, ("--engine", "local") if name == "local" else ("--base-url", url))

    def daemon(self, sink: str, extra: list[str]) -> Daemon:
        # The local engine loads its model after "listening": wait for it before playing.
        return Daemon(list(self.args), sink, extra, wait_model=self.name == "local")


# The daemon's -v lines; the range dash has been both "-" and an en dash.
UTTERANCE_RE = re.compile(r"utterance (\d+): ([\d.]+)[-\u2013]([\d.]+) s, ended by (\w+)")
TRANSCRIBED_RE = re.compile(r"utterance (\d+): [\d.]+ s of audio, text ([\d.]+) s after its "
                            r"end \(([\d.]+) s waited(, speculative)?\)")
# When a piece of text became final (stdout prints it then), after it was last delivered or
# revised (typed): the difference between the two latencies.
FINAL_RE = re.compile(r"utterance (\d+): final ([\d.]+) s after it was delivered"
                      r"(?: \(([\d.]+) s after it was first shown\))?")
# The daemon's exit line; an interim count may follow the discarded ones.
# The second pass's count, at the end of a run with --refine-model.
REFINED_RE = re.compile(r"refined (\d+) piece\(s\): (\d+) revised, (\d+) the same, (\d+) "
                        r"late, (\d+) failed; (\d+) not refined")
EXIT_RE = re.compile(r"(\d+) utterances, (\d+) transcriptions \((\d+) speculative used, "
                     r"(\d+) discarded[,)]")


def play_case(m: dict, engine: Engine, sink: str, rec: Recorder, extra: list[str]
              ) -> CaseResult:
    r = CaseResult(m["case"], m["duration"], engine.name)
    load = Load()
    RUNS.mkdir(exist_ok=True)
    events = RUNS / f"events-{engine.name}-{m['case']}.jsonl"
    events.unlink(missing_ok=True)
    d = engine.daemon(sink, [*extra, "--events", str(events)])
    try:
        d.wait_listening()
        cpu0, w0 = d.cpu_s(), time.monotonic()
        rec.start()
        t0 = time.monotonic()  # the clock origin of every time in the result
        player = subprocess.run(["paplay", "--latency-msec=20", "-d", sink, m["wav"]],
                                capture_output=True, text=True, timeout=m["duration"] + 60)
        r.playback_s = time.monotonic() - t0
        r.heard_end, r.start_delay = heard_ends(m, *rec.stop(), t0)
        found = [h - s["end"] for h, s in zip(r.heard_end, m["sentences"], strict=True)
                 if h is not None]
        r.slip = round(found[-1] - found[0], 3) if found else None
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
    r.load_s = d.load_s
    r.lines = [{"t": round(line.t - t0, 3), "text": line.text} for line in d.out]
    # The daemon's -v log on the same clock, kept beside the events to explain a figure.
    (RUNS / f"log-{engine.name}-{m['case']}.txt").write_text(
        "".join(f"{line.t - t0:8.3f} {line.text}\n" for line in d.err))
    read_log(r, d.err, t0)
    read_revisions(r, events)
    score(r, m)
    return r


def read_revisions(r: CaseResult, events: Path) -> None:
    """The joins the event stream reports, and what a typing sink deleted for them: its
    backspaces (text.revise.edit, as the xdotool sink computes them)."""
    if not events.exists():
        return
    for line in events.read_text().splitlines():
        e = json.loads(line)
        if e.get("type") == "revise" and e["text"]:
            r.revisions += 1
            r.deleted_chars += edit(e["old_text"], e["text"])[0]
            why = e.get("why", "joined")
            r.revised_by[why] = r.revised_by.get(why, 0) + 1


def read_log(r: CaseResult, err: list[Line], t0: float) -> None:
    """Utterance cuts, transcription times, the exit summary and any trouble from stderr."""
    for line in err:
        if g := UTTERANCE_RE.search(line.text):
            # The log line is written the moment the segmenter closes the utterance, so its
            # arrival dates the cut on the playback clock.
            r.utterances.append({"seq": int(g[1]), "start": float(g[2]), "end": float(g[3]),
                                 "reason": g[4], "closed_at": round(line.t - t0, 3)})
        elif g := TRANSCRIBED_RE.search(line.text):
            # Logged when the text is there, before it is printed.
            for u in r.utterances:
                if u["seq"] == int(g[1]):
                    u.update(after_end=float(g[2]), waited=float(g[3]),
                             speculative=bool(g[4]), done_at=round(line.t - t0, 3))
        elif g := FINAL_RE.search(line.text):
            for u in r.utterances:
                if u["seq"] == int(g[1]):
                    u.update(final_after=float(g[2]), final_at=round(line.t - t0, 3),
                             first_after=float(g[3] or g[2]))
        elif g := REFINED_RE.search(line.text):
            r.refined = dict(zip(("offered", "revised", "same", "late", "failed", "busy"),
                                 map(int, g.groups()), strict=True))
        elif g := EXIT_RE.search(line.text):
            r.stats = {"utterances": int(g[1]), "requests": int(g[2]), "used": int(g[3]),
                       "discarded": int(g[4])}
        elif "warning" in line.text or "error" in line.text or "Traceback" in line.text:
            r.warnings.append(line.text)


def score(r: CaseResult, m: dict) -> None:
    """WER, per-sentence latency, lost words, merges and splits from the timed lines."""
    hyp_text = " ".join(line["text"] for line in r.lines)
    r.words_out = len(words(hyp_text))
    sentences = m["sentences"]
    if not sentences:
        return
    r.wer = wer(" ".join(s["text"] for s in sentences), hyp_text)
    f = formatting.measure([s["text"] for s in sentences], [x["text"] for x in r.lines])
    r.formatting = {"false_ends": f.false_ends, "false_capitals": f.false_capitals,
                    "missed_ends": f.missed_ends, "missed_capitals": f.missed_capitals}
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
        # When the word reached the microphone; the WAV's own time if the recording failed.
        heard = r.heard_end[i] if i < len(r.heard_end) and r.heard_end[i] is not None \
            else s["end"]
        idx = [k for k in range(len(ref)) if ref_sent[k] == i and k in line_of]
        if not idx:
            r.latencies.append(None)
            continue
        if idx[-1] != max(k for k in range(len(ref)) if ref_sent[k] == i):
            r.approx_latency.append(i)
        line = r.lines[line_of[idx[-1]]]
        r.latencies.append(round(line["t"] - heard, 3))
        # Typing and the captions showed it when it was delivered: before stdout, by as long
        # as the piece stayed open after.
        final = logged_before(r, line["t"], "final_at")
        r.shown.append(round(line["t"] - heard - (final["final_after"] if final else 0.0), 3))
        # Before a revision (a join, a refinement) changed it, its first text showed earlier.
        r.first_shown.append(round(line["t"] - heard - (final["first_after"] if final else 0.0),
                                   3))
        if (u := logged_before(r, line["t"], "done_at")) is not None:
            r.endpoint.append(round(u["closed_at"] - heard, 3))
            r.transcribe.append(round(line["t"] - u["closed_at"], 3))
        if len(sentence_lines[i]) > 1:
            r.split.append(i)
    line_sents: dict[int, list[int]] = {}
    for i, js in enumerate(sentence_lines):
        for j in js:
            line_sents.setdefault(j, []).append(i)
    r.merged = [v for _, v in sorted(line_sents.items()) if len(v) > 1]


def logged_before(r: CaseResult, t: float, key: str) -> dict | None:
    """The utterance whose ``key`` line ("done_at": its text came; "final_at": its piece
    became final) was logged last before the line at ``t`` was printed: the log comes first,
    and 50 ms allows for thread jitter."""
    done = [u for u in r.utterances if key in u and u[key] <= t + 0.05]
    return max(done, key=lambda u: u[key]) if done else None


def baseline(m: dict, url: str) -> str:
    """The whole case WAV in one request: what the model does with full context."""
    with open(m["wav"], "rb") as f:
        resp = httpx.post(f"{url}/audio/transcriptions", timeout=600,
                          files={"file": (Path(m["wav"]).name, f, "audio/wav")},
                          data={"response_format": "json", "model": "whisper-1"})
    resp.raise_for_status()
    return resp.json()["text"]


def idle(engine: Engine, sink: str, extra: list[str], seconds: float) -> CaseResult:
    """CPU of the daemon listening to a silent microphone."""
    r = CaseResult("idle", seconds, engine.name)
    d = engine.daemon(sink, extra)
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
    r.load_s = d.load_s
    r.lines = [{"t": 0.0, "text": line.text} for line in d.out]
    r.words_out = len(words(" ".join(x["text"] for x in r.lines)))
    read_log(r, d.err, 0.0)
    return r


def play_all(cases: list[str], manifests: dict[str, dict], engine: Engine, sink: str,
             rec: Recorder, extra: list[str], args: argparse.Namespace,
             baselines: dict[str, str]) -> dict[str, CaseResult]:
    res: dict[str, CaseResult] = {}
    for case in cases:
        print(f"bench: {engine.name}: {case}: playing {shlex.join(extra)}", file=sys.stderr)
        if case == "idle":
            res[case] = idle(engine, sink, extra, args.idle_seconds)
            continue
        m = manifests[case]
        r = res[case] = play_case(m, engine, sink, rec, extra)
        if case in baselines:
            r.baseline_text = baselines[case]
            r.baseline_wer = wer(" ".join(s["text"] for s in m["sentences"]), baselines[case])
    return res


def measure(b: Bench, args: argparse.Namespace, manifests: dict[str, dict]) -> None:
    """Everything that needs the server: the live cases, then the floors."""
    live = [c for c in ALL_CASES if c in args.cases]
    again = [c for c in FLOOR_CASES if c in args.cases] if args.compare_speculation else []
    floor_cases = [c for c in FLOOR_CASES if c in args.cases] if args.floor else []
    with running_server(compute_type=args.server_compute, beam_size=args.server_beam) as url:
        baselines = {}
        for case in live:
            if case in BASELINE_CASES:
                print(f"bench: {case}: whole-file baseline", file=sys.stderr)
                baselines[case] = baseline(manifests[case], url)
        if live:
            with virtual_mic() as sink, recorder(sink) as rec:
                for name in b.engines:
                    e = Engine.make(name, url)
                    b.live[name] = play_all(live, manifests, e, sink, rec, b.extra, args,
                                            baselines)
                    if again:
                        b.no_spec[name] = play_all(again, manifests, e, sink, rec,
                                                   [*b.extra, "--speculate", "0"], args,
                                                   baselines)
        # After the microphone is gone: nothing else runs while the engines are timed.
        if floor_cases:
            b.floors = direct.floors({c: manifests[c] for c in floor_cases}, b.engines, url)


def throughput(manifests: dict[str, dict]) -> direct.Throughput:
    t = direct.throughput(manifests)
    if not t.error:
        t.ours_wer = wer(t.reference, t.ours_text)
        t.plain_wer = wer(t.reference, t.plain_text)
    return t


# --- main ---------------------------------------------------------------------------------

def parse(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    own, extra = (argv[: argv.index("--")], argv[argv.index("--") + 1:]) if "--" in argv \
        else (argv, [])
    p = argparse.ArgumentParser(description="Benchmark dictation on a virtual microphone.",
                                epilog="Arguments after -- go to `dictation run`.")
    p.add_argument("--engines", nargs="+", choices=ENGINES, default=list(ENGINES))
    p.add_argument("--cases", nargs="*", choices=ALL_CASES, default=list(ALL_CASES),
                   help="live cases (none: skip them)")
    p.add_argument("--floor", action=argparse.BooleanOptionalAction, default=True,
                   help="time each engine alone on the sentences of calm and quick")
    p.add_argument("--compare-speculation", action=argparse.BooleanOptionalAction,
                   default=True, help="run calm and quick again with --speculate 0")
    p.add_argument("--throughput", action=argparse.BooleanOptionalAction, default=True,
                   help="one long file through `dictation transcribe` and faster-whisper")
    p.add_argument("--out", type=Path, default=HERE / "results.md")
    p.add_argument("--label", help="name of this run in the output (default: the extra args)")
    p.add_argument("--append", action="store_true",
                   help="add this run to --out instead of replacing it (to compare settings)")
    p.add_argument("--idle-seconds", type=float, default=IDLE_S)
    p.add_argument("--server-compute", metavar="TYPE",
                   help="the server decodes with this compute type (int8, float32, …)")
    p.add_argument("--server-beam", type=int, metavar="N", help="… and this beam (1: greedy)")
    return p.parse_args(own), extra


def command(args: argparse.Namespace, extra: list[str], *, cases: list[str] | None = None,
            floor: bool = True, compare: bool = True, throughput: bool = True) -> str:
    """The command line that measures one section again (defaults left out)."""
    argv = [".venv/bin/python", "bench/run.py"]
    if args.engines != list(ENGINES) and (cases is None or cases):
        argv += ["--engines", *args.engines]
    cases = args.cases if cases is None else cases
    if cases != list(ALL_CASES):
        argv += ["--cases", *cases]
    if "idle" in cases and args.idle_seconds != IDLE_S:
        argv += ["--idle-seconds", f"{args.idle_seconds:g}"]
    if args.server_compute:
        argv += ["--server-compute", args.server_compute]
    if args.server_beam is not None:
        argv += ["--server-beam", str(args.server_beam)]
    argv += [flag for on, flag in ((floor, "--no-floor"),
                                   (compare, "--no-compare-speculation"),
                                   (throughput, "--no-throughput")) if not on]
    return shlex.join([*argv, *(["--", *extra] if extra else [])])


def server_settings(args: argparse.Namespace) -> str:
    """How the server decodes, where not as it ships."""
    return ", ".join([*([f"compute type {args.server_compute}"] if args.server_compute else []),
                      *([f"beam {args.server_beam}"] if args.server_beam is not None else [])])


def commands(argv: list[str], args: argparse.Namespace, extra: list[str]) -> dict[str, str]:
    pair = [c for c in FLOOR_CASES if c in args.cases]
    return {
        "all": shlex.join([".venv/bin/python", "bench/run.py", *argv]),
        "live": command(args, extra, floor=False, compare=False, throughput=False),
        "floor": command(args, extra, cases=pair, compare=False, throughput=False),
        "speculation": command(args, extra, cases=pair, floor=False, throughput=False),
        "throughput": command(args, [], cases=[], floor=False, compare=False),
        "transcribe": shlex.join(direct.transcribe_command()),
    }


def save(b: Bench, args: argparse.Namespace, text: str) -> None:
    old = args.out.read_text() if args.append and args.out.exists() else "# dictation benchmark\n"
    args.out.write_text(old.rstrip("\n") + "\n\n" + text)
    # Raw numbers and transcripts for later digging (gitignored).
    RUNS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", b.label)[:40]
    (RUNS / f"{stamp}-{slug}.json").write_text(json.dumps(asdict(b), indent=1) + "\n")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args, extra = parse(argv)
    label = args.label or (shlex.join(extra) if extra else "defaults")
    b = Bench(label, extra, list(dict.fromkeys(args.engines)),
              commands=commands(argv, args, extra), server=server_settings(args))
    needed = set(args.cases) | (set(direct.THROUGHPUT_CASES) if args.throughput else set())
    manifests = {c: corpus.load(corpus.build(c)) for c in SPEECH_CASES if c in needed}
    if args.cases:
        measure(b, args, manifests)
    if args.throughput:
        b.throughput = throughput(manifests)
    text = report(b, manifests)
    print(text)
    save(b, args, text)
    failed = [f"{e}/{c}" for e, res in (*b.live.items(), *b.no_spec.items())
              for c, r in res.items() if r.error or r.exit_code != 0]
    if b.throughput is not None and b.throughput.error:
        failed.append("throughput")
    if failed:
        print(f"bench: failed runs: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
