"""Push-to-talk release → text latency, and the control socket's round trip.

A real daemon (embedded engine, `--mode push-to-talk`) listens on a PulseAudio virtual
microphone. For each sentence of the calm case: `press`, the sentence is played, `release` the
moment playback ends, and the time from the release to the text on stdout is measured. The
daemon's own debug log gives the model's time for the same utterance, so the pipeline's
overhead (latency minus model time) is read off each utterance directly.

    .venv/bin/python bench/control.py            # writes bench/control.md
"""

from __future__ import annotations

import argparse
import os
import queue
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import corpus
import direct
import numpy as np
import rig

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from dictation.control.client import request  # noqa: E402

WAITED = re.compile(r"utterance (\d+): [\d.]+ s of audio, text [\d.]+ s after its end "
                    r"\(([\d.]+) s waited")


def pct(xs: list[float], q: float) -> float:
    return float(np.percentile(xs, q))


class Lines:
    """A stream's lines with their arrival times, read on a thread."""

    def __init__(self, stream) -> None:
        self.q: queue.Queue[tuple[float, str]] = queue.Queue()
        self.all: list[str] = []
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream) -> None:
        for line in stream:
            self.all.append(line)
            self.q.put((time.monotonic(), line.rstrip("\n")))

    def get(self, timeout: float) -> tuple[float, str]:
        return self.q.get(timeout=timeout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "control.md")
    ap.add_argument("--round-trips", type=int, default=300)
    ap.add_argument("--cli-calls", type=int, default=30)
    args = ap.parse_args()

    m = corpus.load(corpus.build("calm"))
    clips = direct.sentence_clips(m, tail_s=0.2)
    tmp = Path(tempfile.mkdtemp(prefix="dictbench"))
    wavs = []
    for i, c in enumerate(clips):
        wavs.append(tmp / f"s{i}.wav")
        corpus.write_wav(wavs[-1], c.astype(np.float32) / 32768)
    sock = tmp / "control.sock"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DICTATION_", "OPENAI_"))}
    env["DICTATION_CONFIG"] = os.devnull
    cmd = [str(REPO / ".venv" / "bin" / "dictation"), "run", "-v", "--engine", "local",
           "--mode", "push-to-talk", "--socket", str(sock)]
    rows = []
    with rig.virtual_mic() as sink:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=env, cwd=REPO)
        out, err = Lines(proc.stdout), Lines(proc.stderr)
        try:
            deadline = time.monotonic() + 60
            while not any("ready on" in e for e in err.all):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("bench: the daemon did not start:\n" + "".join(err.all))
                time.sleep(0.1)
            for i, wav in enumerate([wavs[0], *wavs]):  # the first one warms up
                request(sock, "press")
                subprocess.run(["paplay", "--latency-msec=20", "-d", sink, str(wav)],
                               check=True)
                released = time.monotonic()
                request(sock, "release")
                try:
                    at, text = out.get(15)
                except queue.Empty:
                    print(f"sentence {i}: no text", file=sys.stderr)
                    continue
                time.sleep(0.3)  # the debug line is written before the text; let it be read
                waited = [float(g.group(2)) for e in err.all if (g := WAITED.search(e))]
                if i:
                    rows.append({"latency": at - released, "text": text, "model": waited[-1]})
            trips = []
            for _ in range(args.round_trips):
                t = time.perf_counter()
                request(sock, "status")
                trips.append((time.perf_counter() - t) * 1000)
            cli = []
            for _ in range(args.cli_calls):
                t = time.perf_counter()
                subprocess.run([cmd[0], "ctl", "status", "--socket", str(sock)], check=True,
                               stdout=subprocess.DEVNULL, env=env)
                cli.append((time.perf_counter() - t) * 1000)
        finally:
            proc.terminate()
            proc.wait(30)
            (tmp / "daemon.log").write_text("".join(err.all))
    lat = [r["latency"] for r in rows]
    over = [r["latency"] - r["model"] for r in rows]
    model = [r["model"] for r in rows]
    lines = [
        "# Push-to-talk and control socket",
        "",
        f"`.venv/bin/python bench/control.py` — {len(rows)} sentences of the calm case, "
        "embedded engine (tiny.en), 2-core machine; the release is sent the moment playback "
        "ends.",
        "",
        "| measure | median | p90 |",
        "|---|---|---|",
        f"| release → text | {statistics.median(lat):.3f} s | {pct(lat, 90):.3f} s |",
        f"| model time of the same utterance | {statistics.median(model):.3f} s | "
        f"{pct(model, 90):.3f} s |",
        f"| release → text minus model time | {statistics.median(over) * 1000:.0f} ms | "
        f"{pct(over, 90) * 1000:.0f} ms |",
        f"| control round trip (status, in-process client, {len(trips)} calls) | "
        f"{statistics.median(trips):.2f} ms | {pct(trips, 90):.2f} ms |",
        f"| `dictation ctl status` as a process ({len(cli)} calls) | "
        f"{statistics.median(cli):.0f} ms | {pct(cli, 90):.0f} ms |",
        "",
    ]
    args.out.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
