"""The longest the daemon's event loop stood still during a soak-like run, with ordinary and
with hostile answers; and how long a stop takes when the server hangs.

    .venv/bin/python bench/loop_stall.py [--minutes 10] [--stops 5]

The daemon runs as usual (`dictation run --input FILE --fast`), with a probe added on its
loop once it listens: a task that sleeps 5 ms over and over and records how late it wakes.
A callback that holds the loop for X ms makes the probe X ms late, so the largest lateness is
the longest stall. On a machine shared with other work that lateness also holds the time the process
waited for a CPU, so every callback is also timed in CPU time (``time.thread_time``, as
asyncio's debug mode times them in wall time with ``slow_callback_duration``): the longest of
those is the work the daemon itself put on its loop.

Cases: the soak corpus (bench/soak.py, ``--minutes`` of it) against faster-whisper-server
with the bundled tiny.en; the same audio against our fault server answering every utterance
with something hostile in turn (a 110 KB flood of distinct words, read and judged made up; a
999 KB word, 20,000 verbose segments and a 1 MB caption body of tags, all too big to be read
for their audio; a loop; escape sequences; a plain line), asked for ``--response-format
text`` so that JSON and caption bodies are both parsed.

Stops: `--stop-grace` left at its default (5 s), a server that accepts each request and never
answers, SIGTERM once the first request is in: the seconds from the signal to the exit.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tools"))
sys.path.insert(0, str(REPO / "tests"))

PROBE_S = 0.005


def probed_main(report: str) -> int:
    """Run dictation's own entry point with the probe on its loop (in the daemon's process)
    from the moment the pipeline runs (start-up, before it listens, is not measured), and
    every callback on the loop meanwhile timed in CPU time too."""
    import asyncio
    import asyncio.events

    from dictation.cli import main as cli
    from dictation.pipeline import Pipeline

    heavy: list[tuple[float, float, str]] = []  # cpu, wall, what: over 5 ms, and the most
    running = [False]
    step = asyncio.events.Handle._run

    def timed(handle: asyncio.events.Handle) -> None:
        cpu, wall = time.thread_time(), time.perf_counter()
        try:
            step(handle)
        finally:
            cpu = time.thread_time() - cpu
            if running[0] and (cpu > 0.005 or not heavy or cpu > max(heavy)[0]):
                heavy.append((cpu, time.perf_counter() - wall, _what(handle)))

    asyncio.events.Handle._run = timed  # type: ignore[method-assign]
    run = Pipeline.run

    async def probed_run(pipeline: Pipeline) -> int:
        loop = asyncio.get_running_loop()
        late: list[float] = []

        async def probe() -> None:
            while True:
                began = loop.time()
                await asyncio.sleep(PROBE_S)
                late.append(loop.time() - began - PROBE_S)

        task = asyncio.create_task(probe())
        running[0] = True
        try:
            return await run(pipeline)
        finally:
            running[0] = False
            task.cancel()
            Path(report).write_text(json.dumps({"late": late, "heavy": heavy}))

    Pipeline.run = probed_run  # type: ignore[method-assign]
    return cli.main()


def _what(handle: object) -> str:
    """The task a callback stepped (where it stopped next), or the callback itself."""
    callback = getattr(handle, "_callback", None)
    task = getattr(callback, "__self__", None)
    return repr(task if task is not None else handle)[:300]


def hostile(n: int) -> object:
    from faultserver import Reply, json_text

    i = n % 7
    if i == 0:
        return json_text(" ".join(f"word{k}" for k in range(12_000)))
    if i == 1:
        return json_text("x" * 999_000)
    if i == 2:
        return json_text("Before the loop. " + "Send it today. " * 400)
    if i == 3:
        segs = [{"start": k * 0.01, "end": k * 0.01 + 0.01, "text": f" seg{k}",
                 "avg_logprob": -0.2, "no_speech_prob": 0.01} for k in range(20_000)]
        return json_text(" ".join(s["text"] for s in segs), segments=segs)
    if i == 4:
        srt = "1\n00:00:00,000 --> 00:00:01,000\n" + "<b>" * 330_000
        return Reply(200, {"Content-Type": "text/plain"}, srt)
    if i == 5:
        return json_text("safe\x1b]52;c;SGVsbG8=\x07 text\x1b[31m red " * 20_000)
    return json_text(f"Line {n}.")


def run_case(wav: Path, base_url: str, fmt: str | None = None) -> dict:
    with tempfile.TemporaryDirectory(prefix="stall-") as tmp:
        return _run_case(Path(tmp), wav, base_url, fmt)


def _run_case(state: Path, wav: Path, base_url: str, fmt: str | None) -> dict:
    report = state / "late.json"
    env = {**os.environ, "PYTHONPATH": str(REPO), "XDG_STATE_HOME": str(state),
           "OPENAI_API_KEY": "sk-bench"}
    code = (f"import sys; sys.path.insert(0, {str(HERE)!r}); import loop_stall; "
            f"sys.exit(loop_stall.probed_main({str(report)!r}))")
    args = ["run", "--input", str(wav), "--fast", "--base-url", base_url, "--socket",
            str(state / "ctl.sock"), "--keep-dir", str(state / "kept")]
    if fmt:
        args += ["--response-format", fmt]
    began = time.monotonic()
    p = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                       env=env, timeout=3600)
    data = json.loads(report.read_text()) if report.exists() else {"late": [], "heavy": []}
    return {"code": p.returncode, "wall_s": time.monotonic() - began,
            "lines": p.stdout.count("\n"), "late_ms": sorted(x * 1000 for x in data["late"]),
            "heavy": sorted(data["heavy"], reverse=True), "stderr": p.stderr[-2000:]}


def stop_time(wav: Path) -> float:
    with tempfile.TemporaryDirectory(prefix="stop-") as tmp:
        return _stop_time(Path(tmp), wav)


def _stop_time(state: Path, wav: Path) -> float:
    from faultserver import HANG, FaultServer

    env = {**os.environ, "PYTHONPATH": str(REPO), "XDG_STATE_HOME": str(state),
           "OPENAI_API_KEY": "sk-bench"}
    with FaultServer(default=HANG) as srv:
        p = subprocess.Popen([sys.executable, "-m", "dictation", "run", "--input", str(wav),
                              "--fast", "--base-url", srv.url + "/v1", "--socket",
                              str(state / "ctl.sock")], env=env, stderr=subprocess.DEVNULL)
        while not srv.requests:
            time.sleep(0.01)
        began = time.monotonic()
        p.send_signal(signal.SIGTERM)
        p.wait(60)
        return time.monotonic() - began


def summary(name: str, r: dict) -> str:
    late = r["late_ms"] or [0.0]
    p99 = late[min(len(late) - 1, int(len(late) * 0.99))]
    cpu = r["heavy"][0][0] * 1000 if r["heavy"] else 0.0
    over = sum(1 for h in r["heavy"] if h[0] > 0.005)
    return (f"| {name} | {r['code']} | {r['wall_s']:.0f} s | {r['lines']} | {len(late)} | "
            f"{statistics.median(late):.2f} | {p99:.1f} | **{late[-1]:.1f}** | "
            f"{over} | **{cpu:.1f}** |")


def main() -> None:
    import soak
    from faultserver import FaultServer
    from local_server import running_server

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float, default=10.0)
    p.add_argument("--stops", type=int, default=5)
    args = p.parse_args()
    wav, said = soak.build(args.minutes)
    rows, heavy = [], []
    with running_server() as url:
        r = run_case(wav, url)
        rows.append(summary("faster-whisper-server", r))
        heavy += [("faster-whisper-server", *h) for h in r["heavy"][:3]]
    with FaultServer(default=lambda req: hostile(req.index)) as srv:
        r = run_case(wav, srv.url + "/v1", fmt="text")
        rows.append(summary("hostile answers", r))
        heavy += [("hostile answers", *h) for h in r["heavy"][:3]]
    stops = [stop_time(REPO / "dictation" / "data" / "sample.wav") for _ in range(args.stops)]
    print(f"{len(said)} sentences, {args.minutes:g} minutes of audio, probe every "
          f"{PROBE_S * 1000:.0f} ms; load average before: {os.getloadavg()[0]:.1f}.\n")
    print("| server | exit | wall | lines | probes | lateness median ms | p99 ms | max ms | "
          "callbacks over 5 ms CPU | longest callback, ms CPU |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    print("\nThe callbacks that used the most CPU on the loop (ms CPU / ms wall):\n")
    for case, cpu, wall, what in heavy:
        print(f"- {case}: {cpu * 1000:.1f} / {wall * 1000:.1f}: `{what[:160]}`")
    print(f"\nLoad average after: {os.getloadavg()[0]:.1f}.")
    print(f"\nSIGTERM during a hanging request, --stop-grace 5: exit after "
          f"{statistics.median(stops):.2f} s median ({', '.join(f'{s:.2f}' for s in stops)})")


if __name__ == "__main__":
    main()
