"""The benchmark's test rig: a PulseAudio virtual microphone, a recorder of what it really
carried, the daemon under test with timed output, and the machine's background load."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import corpus
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tools"))
from private_pulse import PrivatePulse  # noqa: E402

# --- PulseAudio virtual microphone --------------------------------------------------------

def _sink_state(server: PrivatePulse, name: str) -> str:
    for line in server.pactl("list", "short", "sinks").stdout.splitlines():
        cols = line.split()
        if len(cols) > 1 and cols[1] == name:
            return cols[-1]
    return "missing"


@contextmanager
def _isolated() -> Iterator[PrivatePulse]:
    """A sound server and a runtime directory of this benchmark's own, in this process's
    environment while it runs, so every client it starts (players, recorder, the daemon and
    its `ctl`) uses them. Two benchmarks at once then share neither a microphone nor the
    control socket (its fallback path, with XDG_RUNTIME_DIR unset, is one per user)."""
    root = Path(tempfile.mkdtemp(prefix="pa-"))  # short: a socket's path is limited
    runtime = root / "run"
    runtime.mkdir(mode=0o700)
    server = PrivatePulse(root)
    saved = {k: os.environ.get(k) for k in ("PULSE_SERVER", "XDG_RUNTIME_DIR")}
    try:
        try:
            server.start()
        except RuntimeError as e:
            raise SystemExit(f"bench: {e}") from None
        os.environ.update(PULSE_SERVER=server.server, XDG_RUNTIME_DIR=str(runtime))
        yield server
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        server.kill()
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def virtual_mic() -> Iterator[str]:
    """A null sink whose monitor is the default source, on a sound server of the benchmark's
    own (``_isolated``); yields the sink name.

    A null sink with nothing playing is suspended or idle, and then its monitor delivers no
    samples at all: the daemon would hear nothing until paplay starts, and paplay would wait
    ~1-2 s for the sink to resume, which would count as latency. A stream of digital silence
    keeps the sink running, so the monitor behaves like a real microphone in a quiet room. It
    asks for paplay's 20 ms latency: at pacat's default (2 s) the sink renders in long periods,
    and a newly opened microphone or paplay then stalls for up to that long."""
    with _isolated() as server:
        name = f"dictbench{uuid.uuid4().hex[:8]}"
        server.load_sink(name)
        server.pactl("set-default-source", f"{name}.monitor")
        keeper = server.steady(name, "--raw", "--format=s16le", "--rate=16000",
                               "--channels=1", "--latency-msec=20")
        deadline = time.monotonic() + 15
        while _sink_state(server, name) != "RUNNING":
            if keeper.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"bench: null sink {name} did not start running")
            time.sleep(0.1)
        time.sleep(1.0)  # RUNNING comes before the monitor delivers steadily
        yield name


class Recorder:
    """What the microphone really heard, sample by sample with arrival times: parec on the
    sink's monitor. paplay at 20 ms latency can start late or underrun on a busy machine, and
    the gaps shift the speech later than the WAV says; timing sentences against this
    recording keeps such hiccups of the test rig out of the daemon's latency."""

    RATE = corpus.RATE

    def __init__(self, sink: str) -> None:
        self.proc = subprocess.Popen(
            ["parec", "-d", f"{sink}.monitor", "--raw", "--format=s16le", f"--rate={self.RATE}",
             "--channels=1", "--latency-msec=10"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self._lock = threading.Lock()
        self._on = False
        self._chunks: list[bytes] = []
        self._stamps: list[tuple[int, float]] = []  # (bytes so far, arrival time)
        self._bytes = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        fd = self.proc.stdout.fileno()  # type: ignore[union-attr]
        while data := os.read(fd, 4096):
            now = time.monotonic()
            with self._lock:
                if self._on:
                    self._chunks.append(data)
                    self._bytes += len(data)
                    self._stamps.append((self._bytes, now))

    def start(self) -> None:
        with self._lock:
            self._chunks, self._stamps, self._bytes, self._on = [], [], 0, True

    def stop(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Samples (float), and per read: samples so far and its arrival time."""
        with self._lock:
            self._on = False
            raw = b"".join(self._chunks)
            stamps = np.array(self._stamps or [(0, 0.0)], dtype=np.float64)
        x = np.frombuffer(raw[: len(raw) // 2 * 2], "<i2").astype(np.float32) / 32768
        return x, stamps[:, 0] / 2, stamps[:, 1]

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


ONSET = 100 / 32768  # above the keeper's digital zeros, below any speech or noise onset
TEMPLATE_S = 0.5  # the stretch of a sentence's end that is looked for in the recording


def best_match(x: np.ndarray, t: np.ndarray) -> tuple[int, float]:
    """Offset in ``x`` where ``t`` fits best, and the normalized correlation there."""
    n = len(x) + len(t)
    size = 1 << (n - 1).bit_length()
    corr = np.fft.irfft(np.fft.rfft(x, size) * np.conj(np.fft.rfft(t, size)), size)
    corr = corr[: len(x) - len(t) + 1]
    sq = np.concatenate(([0.0], np.cumsum(x.astype(np.float64) ** 2)))
    tt = float(np.sum(t.astype(np.float64) ** 2))
    # Floor the window energy: over digital silence it is ~0 and FFT round-off divided by it
    # would win; a window far quieter than the template cannot be the match anyway.
    energy = np.maximum(sq[len(t):] - sq[: len(x) - len(t) + 1], 0.01 * tt)
    ncc = corr / np.sqrt(energy * tt)
    k = int(np.argmax(ncc))
    return k, float(ncc[k])


def heard_ends(m: dict, rec: np.ndarray, counts: np.ndarray, times: np.ndarray,
               t0: float) -> tuple[list[float | None], float | None]:
    """When each sentence's last word reached the microphone (seconds after ``t0``), found
    by matching the sentence's end in the recording; and how late playback started."""
    rate = Recorder.RATE
    wav = corpus.read_wav(Path(m["wav"]))
    on_rec, on_wav = np.flatnonzero(np.abs(rec) > ONSET), np.flatnonzero(np.abs(wav) > ONSET)
    if not on_rec.size or not on_wav.size:
        return [None] * len(m["sentences"]), None
    base = int(on_rec[0] - on_wav[0])  # recording index of the WAV's first sample
    start_delay = float(np.interp(on_rec[0], counts, times)) - t0 - on_wav[0] / rate
    ends: list[float | None] = []
    slip = 0  # samples of underrun gaps so far: only ever grows
    for s in m["sentences"]:
        e, b = round(s["end"] * rate), round(s["start"] * rate)
        t = wav[max(b, e - round(TEMPLATE_S * rate)): e]
        want = base + slip + e - len(t)
        lo, hi = max(0, want - rate // 4), min(len(rec), want + len(t) + 3 * rate)
        if hi - lo <= len(t):
            ends.append(None)
            continue
        k, score = best_match(rec[lo:hi], t)
        if score < 0.5:  # not found: a rig failure, not the daemon's
            ends.append(None)
            continue
        end = lo + k + len(t)
        slip = max(slip, end - base - e)
        ends.append(round(float(np.interp(end, counts, times)) - t0, 3))
    return ends, round(start_delay, 3)


@contextmanager
def recorder(sink: str) -> Iterator[Recorder]:
    rec = Recorder(sink)
    try:
        yield rec
    finally:
        rec.close()


# --- the daemon under test ----------------------------------------------------------------

@dataclass
class Line:
    t: float  # monotonic arrival time
    text: str


def product_env() -> dict[str, str]:
    """The environment for the product under test: no OPENAI_* or DICTATION_* variable, no
    config file and no stored measurement can pick its engine, endpoint or settings behind
    the benchmark's back, and no model hub is asked for anything."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "DICTATION_"))}
    # A state directory of its own: models measured on this machine (`dictation models
    # bench`) would otherwise turn a second pass on (--refine-model auto) behind its back.
    state = REPO / "bench" / ".runs" / "state"
    # Nor does a case inherit what an earlier, failed run left in the spool: the product
    # would deliver it first, as it should, into this case's text.
    shutil.rmtree(state / "dictation" / "spool", ignore_errors=True)
    return {**env, "DICTATION_CONFIG": os.devnull, "HF_HUB_OFFLINE": "1",
            "XDG_STATE_HOME": str(state)}


# The local engine's info line once its model is loaded.
MODEL_READY_RE = re.compile(r"model .+ ready on .+ in ([\d.]+) s")


class Daemon:
    """`python -m dictation run` with both pipes read by threads that stamp each line.

    ``engine`` holds the arguments that pick the engine. With ``wait_model``, the daemon
    counts as started only once its model is loaded: the local engine listens at once and
    queues speech until then, which would add the load time to the first sentence."""

    def __init__(self, engine: list[str], sink: str, extra: list[str],
                 wait_model: bool = False) -> None:
        # -v: the per-utterance debug lines show where and why utterances were cut.
        cmd = [sys.executable, "-m", "dictation", "-v", "run", *engine, *extra]
        # PULSE_SOURCE as well as the default source: a parallel test run that changes the
        # server's default source must not redirect this daemon's microphone.
        env = {**product_env(), "PULSE_SOURCE": f"{sink}.monitor"}
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, bufsize=1, env=env, cwd=REPO)
        self.out: list[Line] = []
        self.err: list[Line] = []
        self.listening = threading.Event()
        self.ready = threading.Event()
        if not wait_model:
            self.ready.set()
        self.load_s: float | None = None  # the model's load time, as the daemon reports it
        self._threads = [threading.Thread(target=self._read, args=(s, d), daemon=True)
                         for s, d in ((self.proc.stdout, self.out), (self.proc.stderr, self.err))]
        for t in self._threads:
            t.start()

    def _read(self, stream: object, into: list[Line]) -> None:
        for text in iter(stream.readline, ""):  # type: ignore[attr-defined]
            into.append(Line(time.monotonic(), text.rstrip("\n")))
            if into is not self.err:
                continue
            if "listening on" in text:
                self.listening.set()
            elif g := MODEL_READY_RE.search(text):
                self.load_s = float(g[1])
                self.ready.set()

    def wait_listening(self, timeout: float = 60) -> None:
        """Until it listens and, if asked, its model is loaded."""
        deadline = time.monotonic() + timeout
        while not (self.listening.wait(0.2) and self.ready.wait(0.2)):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"dictation did not start listening: {self.stderr()}")

    def cpu_s(self) -> float:
        return cpu_s(self.proc.pid)

    def vm_hwm_mb(self) -> float:
        return memory_mb(self.proc.pid, "VmHWM")

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


# --- a process's own cost, and the machine's load -------------------------------------------

def _proc_stat(pid: str) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()  # name may hold ")"


def stat_cpu_s(stat: Path) -> float:
    """User + system CPU seconds from a /proc stat file: a process's (all its threads) or,
    under /proc/PID/task/TID, one thread's."""
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int) -> float:
    return stat_cpu_s(Path(f"/proc/{pid}/stat"))


def memory_mb(pid: int, key: str) -> float:
    """A size from /proc/PID/status in MB: VmHWM (peak resident set), VmRSS (now)…"""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Load:
    """CPU the rest of the machine used meanwhile, in cores: everything busy minus this
    benchmark's process tree (its sound server, engine server, daemon, players). It tells a
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
                parents[d.name] = _proc_stat(d.name)[1]
            except OSError:  # exited meanwhile
                continue
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
