"""Interim results measured: how soon the first provisional words of a sentence appear, how
often words shown as stable change later, what interims cost in CPU, and whether they delay
finals; with the local engine and with the API engine (faster-whisper-server, same model).

    .venv/bin/python bench/interim.py [--case calm] [--interim 0.7] [--out bench/interim.md]

The case's WAV is played at real time as ``dictation run --input FILE`` (no --fast: a file is
then paced like a microphone), once with ``--interim 0`` and once with interims on, per engine.
Interim and final lines come from ``-v``'s debug log, stamped when they arrive; time 0 is the
"listening on" line, just before capture starts (so latencies err on the long side by the few
milliseconds between the two). CPU is the daemon's user+system time (and the server's, read
from /proc, for the API engine) divided by the audio's length.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shlex
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "tools"))

import corpus  # noqa: E402
from local_server import running_server  # noqa: E402

INTERIM = re.compile(r"debug: interim (\d+): ([\d.]+)-([\d.]+) s: '(.*)' \(stable '(.*)'\)$")
DONE = re.compile(r"debug: utterance (\d+): [\d.]+ s of audio, text ([\d.]+) s after its end")
TOTALS = re.compile(r"(\d+) utterances, (\d+) transcriptions \(.*, (\d+) interim\)")


def words(text: str) -> list[str]:
    return re.sub(r"[^a-z0-9' ]", " ", text.lower()).split()


def cpu_of(pid: int) -> float:
    """User+system CPU seconds of a running process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_pid(url: str) -> int:
    port = url.rsplit(":", 1)[1].split("/")[0]
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmd = (proc / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"faster_whisper_server" in b" ".join(cmd) and port.encode() in cmd:
                return int(proc.name)
    raise RuntimeError(f"no server process on port {port}")


def run(wav: str, engine: list[str], interim: float, server: int | None) -> dict:
    cmd = [sys.executable, "-m", "dictation", "-v", "run", "--input", wav, *engine,
           "--interim", str(interim)]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(HERE.parent)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_before = cpu_of(server) if server else 0.0
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)
    t0 = None
    lines: list[tuple[float, str]] = []
    assert proc.stderr is not None
    for line in proc.stderr:
        now = time.monotonic()
        if t0 is None and "listening on" in line:
            t0 = now
        lines.append((now - (t0 or now), line.rstrip("\n")))
    out = proc.stdout.read() if proc.stdout else ""
    proc.wait()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        raise RuntimeError(f"{shlex.join(cmd)} failed:\n" + "\n".join(x for _, x in lines))
    return {"cmd": cmd, "lines": lines, "finals": out.splitlines(),
            "cpu": after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime,
            "server_cpu": cpu_of(server) - server_before if server else 0.0}


def sentence_of(sentences: list[dict], start: float, end: float) -> int:
    """The sentence an utterance covering ``start``–``end`` s holds most of."""
    overlap = [min(end, s["end"]) - max(start, s["start"]) for s in sentences]
    return int(np.argmax(overlap))


def analyse(r: dict, sentences: list[dict], minutes: float) -> dict:
    first: dict[int, float] = {}
    interims: dict[int, list[tuple[str, str]]] = {}
    latencies = []
    for t, line in r["lines"]:
        if m := INTERIM.search(line):
            seq, text, stable = int(m[1]), m[4], m[5]
            interims.setdefault(seq, []).append((text, stable))
            k = sentence_of(sentences, float(m[2]), float(m[3]))
            if text and k not in first:
                first[k] = t - sentences[k]["start"]
        elif m := DONE.search(line):
            latencies.append(float(m[2]))
    totals = next(m for _, x in r["lines"] if (m := TOTALS.search(x)))
    finals = [words(f) for f in r["finals"]]
    stable_n = stable_changed = all_n = all_changed = 0
    for seq, seen in interims.items():
        final = finals[seq - 1] if seq - 1 < len(finals) else []
        for text, stable in seen:
            for n_field, wl in (("stable", words(stable)), ("all", words(text))):
                changed = sum(i >= len(final) or w != final[i] for i, w in enumerate(wl))
                if n_field == "stable":
                    stable_n, stable_changed = stable_n + len(wl), stable_changed + changed
                else:
                    all_n, all_changed = all_n + len(wl), all_changed + changed
    firsts = sorted(first.values())
    return {
        "finals": r["finals"], "utterances": int(totals[1]), "requests": int(totals[2]),
        "interims": int(totals[3]), "shown": sum(map(len, interims.values())),
        "first_med": float(np.median(firsts)) if firsts else None,
        "first_p90": float(np.percentile(firsts, 90)) if firsts else None,
        "sentences_with_interim": len(first),
        "stable_changed": stable_changed / stable_n if stable_n else None,
        "all_changed": all_changed / all_n if all_n else None,
        "cpu_per_min": r["cpu"] / minutes, "server_cpu_per_min": r["server_cpu"] / minutes,
        "lat_med": float(np.median(latencies)) if latencies else None,
        "lat_p90": float(np.percentile(latencies, 90)) if latencies else None,
    }


def fmt(x: float | None, pattern: str = "{:.2f}") -> str:
    return "–" if x is None else pattern.format(x)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--case", default="calm", choices=corpus.CASES)
    p.add_argument("--interim", type=float, default=0.7)
    p.add_argument("--engines", nargs="+", default=["local", "api"], choices=["local", "api"])
    p.add_argument("--out", type=Path, default=HERE / "interim.md")
    args = p.parse_args()
    m = corpus.load(corpus.build(args.case))
    minutes = m["duration"] / 60
    rows = []
    for engine in args.engines:
        if engine == "local":
            for interim in (0.0, args.interim):
                r = run(m["wav"], ["--engine", "local"], interim, None)
                rows.append(("local", interim, analyse(r, m["sentences"], minutes)))
        else:
            with running_server() as url:
                pid = server_pid(url)
                for interim in (0.0, args.interim):
                    r = run(m["wav"], ["--base-url", url], interim, pid)
                    rows.append(("api", interim, analyse(r, m["sentences"], minutes)))
    lines = [
        "# Interim results", "",
        f"Case `{args.case}` ({len(m['sentences'])} sentences, {m['duration']:.1f} s) played "
        "at real time as `dictation run --input FILE` (no `--fast`), tiny.en on 2 cores; "
        "the API engine is faster-whisper-server with the same model on this machine.", "",
        f"    .venv/bin/python bench/interim.py --case {args.case} --interim {args.interim}",
        "",
        "| engine | --interim | first interim word after sentence start: median / p90 (s) "
        "| stable words later changed | interim words later changed | interims shown / "
        "requests | daemon CPU s per audio min | server CPU s per audio min | final "
        "latency after utterance end: median / p90 (s) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for engine, interim, a in rows:
        lines.append(
            f"| {engine} | {interim:g} | {fmt(a['first_med'])} / {fmt(a['first_p90'])} "
            f"({a['sentences_with_interim']}/{len(m['sentences'])} sentences) "
            f"| {fmt(a['stable_changed'], '{:.1%}')} | {fmt(a['all_changed'], '{:.1%}')} "
            f"| {a['shown']} / {a['interims']} | {a['cpu_per_min']:.1f} "
            f"| {fmt(a['server_cpu_per_min'] if engine == 'api' else None, '{:.1f}')} "
            f"| {fmt(a['lat_med'])} / {fmt(a['lat_p90'])} |")
    same = {e: len({tuple(a["finals"]) for en, _, a in rows if en == e}) == 1
            for e in args.engines}
    lines += ["", "Finals identical with and without interims: "
              + ", ".join(f"{e}: {'yes' if ok else 'NO'}" for e, ok in same.items()) + ".", "",
              "A word counts as changed when the final text has a different word (or none) at "
              "its position (case and punctuation ignored); every displayed interim counts, "
              "so a stable word shown three times counts three times. Final latency is from "
              "the utterance's end (the segmenter closing it) to its text (the `-v` line).",
              ""]
    args.out.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
