"""What `dictation run` costs while nobody speaks: CPU and memory of the daemon listening to
room noise on the virtual microphone, beside the naive capture loop (naive_capture.py) as the
reference, in the same run. Writes bench/idle.md.

    .venv/bin/python bench/idle.py [--rounds 5] [--seconds 40] [--engines api local]
        [--before REV ...] [--out bench/idle.md] [-- extra args for `dictation run`]

Each round measures every subject in turn (the order rotates), each alone on the noise case
of the corpus (40 s, white then pink, at the noisy case's level): CPU is the process's own
user + system time over the wall time of the playback, so other load on the machine moves it
little; the figure per subject is the median over rounds, and its ratio to the naive loop is
taken within each round. ``--before REV ...`` measures those revisions of the product as well,
each from a copy of its tree, on the same venv: before and after in turns.
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import corpus
import numpy as np
from rig import Load, cpu_s, memory_mb, product_env, stat_cpu_s, virtual_mic

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tools"))

from local_server import running_server  # noqa: E402

WARM_S = 3.0  # after "listening": start-up work (lazy imports, the stream's first blocks)
TARGET_CPU_PCT = 1.2  # the naive loop's figure when the target was set
TARGET_RSS_MB = 60
# The daemon's -v exit line: how many utterances the noise made it send to the engine.
EXIT_RE = re.compile(r"(\d+) utterances, \d+ transcriptions")


@dataclass(frozen=True)
class Subject:
    name: str
    argv: tuple[str, ...]
    cwd: Path = REPO
    ready: str = "listening"  # on stderr once it captures


@dataclass
class Figures:
    cpu_pct: list[float] = field(default_factory=list)
    pulse_pct: list[float] = field(default_factory=list)  # the sound server meanwhile
    hwm_mb: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)
    others: list[float] = field(default_factory=list)  # cores the rest of the machine used
    sent: list[int] = field(default_factory=list)  # utterances noise made the daemon send
    threads: dict[str, list[float]] = field(default_factory=dict)  # CPU % by thread_cpu_s
    errors: list[str] = field(default_factory=list)


def pulse_cpu_s() -> float:
    """CPU seconds of every PulseAudio server on the machine (ours is one of them)."""
    total = 0.0
    for d in Path("/proc").iterdir():
        try:
            if d.name.isdigit() and (d / "comm").read_text().strip() == "pulseaudio":
                total += cpu_s(int(d.name))
        except OSError:  # exited meanwhile
            continue
    return total


def thread_cpu_s(pid: int) -> dict[str, float]:
    """CPU seconds by kind of thread: the main thread (the daemon's asyncio loop), the sound
    server's client thread inside the ALSA plugin ("threaded-ml"), and all others (PortAudio's
    callback thread, workers)."""
    out: dict[str, float] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            comm = (task / "comm").read_text().strip()
            used = stat_cpu_s(task / "stat")
        except OSError:  # ended meanwhile
            continue
        kind = "main" if task.name == str(pid) else "pulse" if comm == "threaded-ml" else "rest"
        out[kind] = out.get(kind, 0.0) + used
    return out


def _wait_line(proc: subprocess.Popen, needle: str, timeout: float) -> list[str]:
    """Read stderr until a line holds ``needle``; a thread goes on adding the rest to the
    list returned."""
    lines: list[str] = []
    seen = threading.Event()

    def read() -> None:
        for line in iter(proc.stderr.readline, ""):  # type: ignore[union-attr]
            lines.append(line.rstrip("\n"))
            if needle in line:
                seen.set()

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + timeout
    while not seen.wait(0.2):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"no {needle!r}: " + " / ".join(lines[-5:]))
    return lines


def measure(s: Subject, sink: str, wav: str, into: Figures) -> None:
    with tempfile.TemporaryDirectory(prefix="dictation-idle-") as tmp:
        # A state directory and a control socket of its own: no spool left by another
        # subject, and no clash with a daemon the machine already runs.
        env = {**product_env(), "PULSE_SOURCE": f"{sink}.monitor", "XDG_STATE_HOME": tmp}
        if s.cwd != REPO:
            env["PYTHONPATH"] = str(s.cwd)  # that tree's product, not the venv's editable one
        argv = [a.replace("{tmp}", tmp) for a in s.argv]
        proc = subprocess.Popen(argv, cwd=s.cwd, env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        _measure(proc, s, sink, wav, into)


def _measure(proc: subprocess.Popen, s: Subject, sink: str, wav: str, into: Figures) -> None:
    lines: list[str] = []
    try:
        lines = _wait_line(proc, s.ready, 120)
        time.sleep(WARM_S)
        c0, p0, w0, load = cpu_s(proc.pid), pulse_cpu_s(), time.monotonic(), Load()
        t0 = thread_cpu_s(proc.pid)
        subprocess.run(["paplay", "-d", sink, wav], check=True, capture_output=True)
        wall = time.monotonic() - w0
        into.cpu_pct.append(100 * (cpu_s(proc.pid) - c0) / wall)
        t1 = thread_cpu_s(proc.pid)
        for kind, used in t1.items():
            into.threads.setdefault(kind, []).append(100 * (used - t0.get(kind, 0.0)) / wall)
        into.pulse_pct.append(100 * (pulse_cpu_s() - p0) / wall)
        into.others.append(load.others_cores())
        into.hwm_mb.append(memory_mb(proc.pid, "VmHWM"))
        into.rss_mb.append(memory_mb(proc.pid, "VmRSS"))
    except (RuntimeError, subprocess.CalledProcessError) as err:
        into.errors.append(str(err))
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    time.sleep(0.2)  # the reader thread's last lines
    for line in lines:
        if g := EXIT_RE.search(line):
            into.sent.append(int(g[1]))


@contextmanager
def tree_of(rev: str) -> Iterator[Path]:
    """The product's files at ``rev``, in a temporary directory."""
    with tempfile.TemporaryDirectory(prefix="dictation-idle-") as tmp:
        archive = subprocess.run(["git", "archive", rev, "dictation"], cwd=REPO, check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        yield Path(tmp)


def subjects(args: argparse.Namespace, url: str, before: dict[str, Path],
             extra: list[str]) -> list[Subject]:
    py = sys.executable
    out = [Subject("naive loop", (py, str(HERE / "naive_capture.py")))]
    for engine in args.engines:
        pick = ["--engine", "local"] if engine == "local" else ["--base-url", url]
        run = (py, "-m", "dictation", "-v", "run", *pick, "--socket", "{tmp}/control.sock",
               *extra)
        out.append(Subject(f"dictation {engine}", run))
        out += [Subject(f"dictation {engine} at {rev}", run, cwd=tree)
                for rev, tree in before.items()]
    return out


def _med(xs: list[float], fmt: str = ".2f") -> str:
    return format(float(np.median(xs)), fmt) if xs else "n/a"


def table(figs: dict[str, Figures]) -> list[str]:
    ref = figs["naive loop"].cpu_pct
    lines = ["| process | CPU, % of a core (median; min–max) | × naive loop (per round) | "
             "main / sound server client / other threads | peak RSS (VmHWM) | RSS at the end | "
             "sound server meanwhile | utterances sent |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for name, f in figs.items():
        if not f.cpu_pct:
            lines.append(f"| {name} | **error** {'; '.join(f.errors)[:200]} | | | | | | |")
            continue
        split = " / ".join(_med(f.threads.get(k, [])) for k in ("main", "pulse", "rest"))
        ratios = [a / b for a, b in zip(f.cpu_pct, ref, strict=False) if b > 0]
        spread = f"{min(f.cpu_pct):.2f}–{max(f.cpu_pct):.2f}"
        sent = "–" if not f.sent else f"{sum(f.sent)} in {len(f.sent)} runs"
        lines.append(f"| {name} | **{_med(f.cpu_pct)}** ({spread}) | {_med(ratios)} | "
                     f"{split} | {_med(f.hwm_mb, '.1f')} MB | {_med(f.rss_mb, '.1f')} MB | "
                     f"{_med(f.pulse_pct)} % | {sent} |")
    return lines


def report(figs: dict[str, Figures], args: argparse.Namespace, argv: list[str]) -> str:
    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO,
                            capture_output=True, text=True).stdout.strip()
    others = [x for f in figs.values() for x in f.others]
    text = ["# Idle cost", "",
            f"{when}; commit {commit}; {os.cpu_count()} cores; {args.rounds} rounds of "
            f"{args.seconds:g} s of room noise (the corpus's noise case) per process; other "
            f"load meanwhile {_med(others)} cores (median). Targets: ≤ {TARGET_CPU_PCT} % "
            f"of a core and ≤ {TARGET_RSS_MB} MB with the API engine, and no more than the "
            "naive loop.", "", *table(figs), "",
            "CPU is the process's own user + system time over the playback's wall time; the "
            "sound server's CPU is PulseAudio's over the same time (it resamples for a "
            "stream opened at 16 kHz). Errors: "
            + ("; ".join(f"{n}: {e}" for n, f in figs.items() for e in f.errors) or "none")
            + ".", "", "```sh", shlex.join([".venv/bin/python", "bench/idle.py", *argv]),
            "```", ""]
    return "\n".join(text)


def parse(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    own, extra = (argv[: argv.index("--")], argv[argv.index("--") + 1:]) if "--" in argv \
        else (argv, [])
    p = argparse.ArgumentParser(description="CPU and memory of dictation listening to noise.",
                                epilog="Arguments after -- go to `dictation run`.")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--seconds", type=float, default=40.0,
                   help="noise played per measurement (the noise case is 40 s; longer loops it)")
    p.add_argument("--engines", nargs="+", choices=("api", "local"), default=["api"])
    p.add_argument("--before", metavar="REV", nargs="+", default=[],
                   help="also measure the product at these revisions")
    p.add_argument("--out", type=Path, default=HERE / "idle.md")
    return p.parse_args(own), extra


def noise_wav(seconds: float) -> str:
    """The corpus's noise case, repeated or cut to ``seconds``."""
    m = corpus.load(corpus.build("noise"))
    x = corpus.read_wav(Path(m["wav"]))
    n = round(seconds * corpus.RATE)
    x = np.resize(x, n)
    path = HERE / ".runs" / f"idle-noise-{seconds:g}s.wav"
    path.parent.mkdir(exist_ok=True)
    corpus.write_wav(path, x)
    return str(path)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args, extra = parse(argv)
    wav = noise_wav(args.seconds)
    with ExitStack() as stack:
        before = {rev: stack.enter_context(tree_of(rev)) for rev in args.before}
        url = stack.enter_context(running_server())
        sink = stack.enter_context(virtual_mic())
        subs = subjects(args, url, before, extra)
        figs = {s.name: Figures() for s in subs}
        for r in range(args.rounds):
            for s in subs[r % len(subs):] + subs[: r % len(subs)]:
                print(f"idle: round {r + 1}: {s.name}", file=sys.stderr)
                measure(s, sink, wav, figs[s.name])
    text = report(figs, args, argv)
    print(text)
    args.out.write_text(text)
    return 1 if any(f.errors for f in figs.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
