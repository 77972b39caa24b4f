"""`dictation status --follow`: what a status bar's follower costs while it waits for a daemon,
how soon it sees one start, and how soon a change reaches it.

1. **Waiting.** A follower with no daemon, for ``--idle-seconds`` (30): its CPU time and
   context switches from /proc (inotify sleeps; a poll would show here).
2. **Pick-up.** A daemon started after the follower: the follower's line for it, against the
   first answer to `status` requests sent every 5 ms (the soonest a poll could know).
3. **Push.** ``toggle`` sent on the control socket → the follower's line for the change,
   over ``--toggles`` changes.

The daemon reads a file of silence at real time in toggle mode: no engine is ever asked.

    .venv/bin/python bench/follow.py            # writes bench/follow.md
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import wave
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from dictation.control.client import request  # noqa: E402

DICTATION = str(REPO / ".venv" / "bin" / "dictation")


class Lines:
    """A stream's lines with their arrival times."""

    def __init__(self, stream) -> None:
        self.lines: list[tuple[float, str]] = []
        self.cond = threading.Condition()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream) -> None:
        for line in stream:
            with self.cond:
                self.lines.append((time.monotonic(), line.rstrip("\n")))
                self.cond.notify_all()

    def wait(self, check, after: int = 0, timeout: float = 60) -> tuple[float, str]:
        """The first line from the ``after``-th on that passes ``check``."""
        def found() -> list[tuple[float, str]]:
            return [(at, t) for at, t in self.lines[after:] if check(t)]

        with self.cond:
            assert self.cond.wait_for(found, timeout), self.lines
            return found()[0]


def cpu(pid: int) -> tuple[float, int]:
    """(CPU seconds, context switches) of ``pid`` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text()
                  .splitlines() if ":" in line)
    switches = int(status["voluntary_ctxt_switches"]) + int(status["nonvoluntary_ctxt_switches"])
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), switches


def answered(sock: Path, timeout: float = 60) -> float:
    """When the daemon first answered, asked every 5 ms."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            request(sock, "status")
            return time.monotonic()
        except Exception:  # not there yet
            time.sleep(0.005)
    raise SystemExit("no daemon answered")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "follow.md")
    ap.add_argument("--idle-seconds", type=float, default=30)
    ap.add_argument("--toggles", type=int, default=40)
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="dictfollow"))
    sock = tmp / "run" / "dictation" / "control.sock"
    silence = tmp / "silence.wav"
    with wave.open(str(silence), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(bytes(2 * 16000 * int(args.idle_seconds + 120)))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DICTATION_", "OPENAI_"))}
    env["DICTATION_CONFIG"] = os.devnull
    follower = subprocess.Popen([DICTATION, "status", "--follow", "--format", "bar",
                                 "--socket", str(sock)], stdout=subprocess.PIPE, text=True,
                                env=env)
    out = Lines(follower.stdout)
    daemon = None
    try:
        out.wait(lambda t: t == "off")
        c0, s0, t0 = *cpu(follower.pid), time.monotonic()
        time.sleep(args.idle_seconds)
        c1, s1, t1 = *cpu(follower.pid), time.monotonic()
        daemon = subprocess.Popen([DICTATION, "run", "--input", str(silence), "--mode", "toggle",
                                   "--base-url", "http://127.0.0.1:9/v1", "--socket",
                                   str(sock)], stderr=subprocess.DEVNULL, env=env)
        ready = answered(sock)
        seen, _ = out.wait(lambda t: t == "idle")
        pushes = []
        for i in range(args.toggles):
            want = "listening" if i % 2 == 0 else "idle"
            count = len(out.lines)
            sent = time.monotonic()
            request(sock, "toggle")
            at, _ = out.wait(lambda t, w=want: t == w, after=count)
            pushes.append(at - sent)
    finally:
        for proc in (daemon, follower):
            if proc:
                proc.kill()
                proc.wait()
    pushes.sort()
    rows = [
        f"| waiting with no daemon, {t1 - t0:.0f} s | {c1 - c0:.2f} s CPU, "
        f"{s1 - s0} context switches |",
        f"| a daemon starts: the follower's line, after the first answer to a 5 ms poll | "
        f"{1000 * (seen - ready):+.0f} ms |",
        f"| `toggle` → the follower's line ({len(pushes)} changes) | median "
        f"{1000 * statistics.median(pushes):.1f} ms, p90 "
        f"{1000 * pushes[int(0.9 * (len(pushes) - 1))]:.1f} ms |"]
    text = ("# status --follow\n\n`.venv/bin/python bench/follow.py` — one follower "
            "(`--format bar`), a daemon in toggle mode on a file of silence, "
            f"{os.cpu_count()}-core machine.\n\n| measure | result |\n|---|---|\n"
            + "\n".join(rows) + "\n")
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
