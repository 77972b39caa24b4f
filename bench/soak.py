"""Soak: an hour of generated speech and silence through `dictation run --input FILE --fast`
against the real faster-whisper-server, watching the daemon for leaks.

    .venv/bin/python bench/soak.py [--minutes 60] [--out bench/soak.md]

Records, from /proc every half second: resident memory (VmRSS) and open file descriptors;
after the run: the spool and the kept-audio directory (both must be empty), the word error rate
of the whole transcript, and the wall time. Growth is measured from the end of the warm-up (the
first tenth of the audio): the model, caches and the HTTP connection pool are in place by then,
so what grows after it is a leak.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import corpus
import numpy as np
from run import wer

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tools"))

from local_server import running_server  # noqa: E402
from rig import product_env  # noqa: E402

SENTENCES = [*corpus.CALM, *corpus.QUICK, *corpus.NOISY, *corpus.MONOLOGUE]
VOICES = [corpus.slt(), corpus.esp("en-us", 165), corpus.esp("en-gb", 155), corpus.slt(1.15)]
UTTERANCE_RE = re.compile(r"utterance \d+: ([\d.]+)-([\d.]+) s")
WARM_UP = 0.1  # of the audio


def build(minutes: float, seed: int = 7) -> tuple[Path, list[str]]:
    """Sentences with everyday pauses, and every ten or so a long silence with a faint room
    noise, until ``minutes`` of audio; cached by recipe."""
    path = corpus.CORPUS_DIR / f"soak-{minutes:g}.wav"
    script = path.with_suffix(".txt")
    if path.exists() and script.exists():
        return path, script.read_text().splitlines()
    pairs = [(s, VOICES[i % len(VOICES)]) for i, s in enumerate(SENTENCES)]
    clips = corpus.clips([s for s, _ in pairs], [v for _, v in pairs])
    rng = np.random.default_rng(seed)
    target = round(minutes * 60 * corpus.RATE)
    parts: list[np.ndarray] = []
    said: list[str] = []
    total = 0
    i = 0
    while total < target:
        k = i % len(pairs)
        clip = corpus.level(corpus.trim(clips[k]))
        if i and i % 10 == 0:  # a long silence: someone thinking, reading, away
            gap = round(rng.uniform(20, 60) * corpus.RATE)
        else:
            gap = round(rng.uniform(0.8, 3.0) * corpus.RATE)
        room = corpus.pink_noise(rng, gap) * corpus.SPEECH_RMS / 10 ** (50 / 20)  # -70 dBFS
        parts += [room, clip]
        said.append(pairs[k][0])
        total += gap + len(clip)
        i += 1
    parts.append(np.zeros(corpus.RATE * 2, np.float32))
    corpus.CORPUS_DIR.mkdir(parents=True, exist_ok=True)
    corpus.write_wav(path, np.concatenate(parts))
    script.write_text("\n".join(said) + "\n")
    return path, said


def sample(pid: int) -> tuple[float, int]:
    """VmRSS in MB and the number of open file descriptors."""
    rss = 0.0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1]) / 1024
    return rss, len(os.listdir(f"/proc/{pid}/fd"))


def tree_size(root: Path) -> tuple[int, int]:
    """Files (not counting lock files) and their bytes under ``root``."""
    files = [p for p in root.rglob("*") if p.is_file() and not p.name.endswith(".lock")
             and p.name != ".lock"]
    return len(files), sum(p.stat().st_size for p in files)


def soak(wav: Path, url: str, duration_s: float) -> dict:
    state = Path(tempfile.mkdtemp(prefix="soak-state-"))
    env = {**product_env(), "XDG_STATE_HOME": str(state),
           "XDG_RUNTIME_DIR": tempfile.mkdtemp(prefix="soak-run-")}
    cmd = [sys.executable, "-m", "dictation", "-v", "run", "--input", str(wav), "--fast",
           "--base-url", url]
    out: list[str] = []
    err: list[str] = []
    position = [0.0]  # audio seconds segmented so far, from the debug lines
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            bufsize=1, env=env, cwd=REPO)

    def read(stream, into: list[str]) -> None:  # type: ignore[no-untyped-def]
        for line in iter(stream.readline, ""):
            into.append(line.rstrip("\n"))
            if m := UTTERANCE_RE.search(line):
                position[0] = float(m[2])

    threads = [threading.Thread(target=read, args=a, daemon=True)
               for a in ((proc.stdout, out), (proc.stderr, err))]
    for t in threads:
        t.start()
    samples: list[tuple[float, float, float, int]] = []  # wall, audio position, rss, fds
    t0 = time.monotonic()
    last_report = t0
    while proc.poll() is None:
        try:
            rss, fds = sample(proc.pid)
        except (FileNotFoundError, ProcessLookupError):
            break
        samples.append((time.monotonic() - t0, position[0], rss, fds))
        if time.monotonic() - last_report > 30:
            last_report = time.monotonic()
            print(f"  {samples[-1][0]:6.0f} s: audio {position[0]:7.1f} of {duration_s:.0f} s, "
                  f"RSS {rss:6.1f} MB, {fds} fds, {len(out)} lines", file=sys.stderr)
        time.sleep(0.5)
    code = proc.wait()
    for t in threads:
        t.join(10)
    wall = time.monotonic() - t0
    spool = tree_size(state / "dictation")
    return {"code": code, "wall_s": wall, "samples": samples, "out": out, "err": err,
            "state_files": spool[0], "state_bytes": spool[1]}


def report(r: dict, said: list[str], duration_s: float, minutes: float) -> str:
    samples = r["samples"]
    warm = [s for s in samples if s[1] >= WARM_UP * duration_s] or samples
    base_rss, base_fds = warm[0][2], warm[0][3]
    peak = max(s[2] for s in warm)
    fds = [s[3] for s in warm]
    by_tenth = []
    for k in range(1, 11):
        upto = [s for s in samples if s[1] <= k * duration_s / 10]
        if upto:
            by_tenth.append(f"{upto[-1][2]:.1f}")
    errors = wer(" ".join(said), " ".join(r["out"]))
    cmd = ".venv/bin/python bench/soak.py" + ("" if minutes == 60 else f" --minutes {minutes:g}")
    lines = [
        "# Soak",
        "",
        f"`{cmd}` ({time.strftime('%Y-%m-%d')}): {duration_s / 60:.1f} minutes of generated "
        f"speech and silence ({len(said)} sentences, long silences with -70 dBFS room noise "
        "every ten sentences) through `dictation run --input FILE --fast` against "
        "faster-whisper-server with the bundled tiny.en, both on this 2-core machine.",
        "",
        "| figure | value | target |",
        "|---|---|---|",
        f"| exit code | {r['code']} | 0 |",
        f"| wall time | {r['wall_s']:.0f} s ({duration_s / r['wall_s']:.1f}× real time) | — |",
        f"| RSS at the end of the warm-up (first tenth of the audio) | {base_rss:.1f} MB | — |",
        f"| peak RSS growth after the warm-up | {peak - base_rss:+.1f} MB | ≤ 5 MB |",
        f"| open file descriptors after the warm-up | {min(fds)}–{max(fds)} "
        f"(at warm-up {base_fds}) | stable |",
        f"| spool and kept audio at the end | {r['state_files']} files, "
        f"{r['state_bytes']} bytes | 0 |",
        f"| lines out / sentences said | {len(r['out'])} / {len(said)} | — |",
        f"| WER of the whole transcript | {errors:.3f} | — |",
        "",
        "RSS (MB) at each tenth of the audio: " + ", ".join(by_tenth) + ".",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--minutes", type=float, default=60.0)
    p.add_argument("--out", type=Path, default=HERE / "soak.md")
    args = p.parse_args()
    wav, said = build(args.minutes)
    duration = len(corpus.read_wav(wav)) / corpus.RATE
    print(f"soak: {duration / 60:.1f} min of audio, {len(said)} sentences", file=sys.stderr)
    with running_server() as url:
        r = soak(wav, url, duration)
    text = report(r, said, duration, args.minutes)
    args.out.write_text(text)
    print(text)
    if r["code"] != 0:
        print("\n".join(r["err"][-20:]), file=sys.stderr)


if __name__ == "__main__":
    main()
