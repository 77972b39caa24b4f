"""Said again, or an echo of the prompt: sentences repeated 2 to 5 times, 0.5 to 3 s apart,
must all come out, and silence and noise after a sentence (where Whisper echoes its prompt)
must add nothing. Both engines, the real daemon on a file at real time (speculation on, as
live).

    .venv/bin/python bench/repeats.py [--engines local api] [--out bench/repeats.md]

Each item is one sentence said N times by one voice, the repeats G seconds apart, items 4 s
apart; then a sentence followed by 4 s of silence and one followed by 4 s of noise. Counted:
how many of the repeats came out (each repeat's words in the sentence's place), and the
lines the silence and the noise added.
"""

from __future__ import annotations

import argparse
import difflib
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tools"))

import corpus  # noqa: E402
from rig import product_env  # noqa: E402

# (text, voice, times said, seconds between)
ITEMS = [
    ("I agree with you.", corpus.slt(), 2, 0.5),
    ("Please send the report to the whole team.", corpus.esp("en-us", 170), 3, 1.0),
    ("Yes.", corpus.slt(), 3, 0.6),
    ("The meeting moved to Thursday afternoon.", corpus.slt(), 4, 2.0),
    ("Next item on the list.", corpus.esp("en+f3", 160), 5, 0.8),
    ("We deployed the new dashboard yesterday.", corpus.slt(), 2, 3.0),
    ("Check the logs again.", corpus.esp("en-us", 180), 3, 1.5),
    ("Thank you.", corpus.esp("en+f3", 160), 2, 2.5),
]
AFTER = [("The server restarted at noon.", "silence"), ("Call me back later today.", "noise")]
ITEM_GAP_S = 4.0


def build(out: Path) -> tuple[list[tuple[str, int]], list[str]]:
    """The corpus WAV; each item's sentence and count, and the echo cases' sentences."""
    a = corpus.Assembly([], [])
    a.pad(0.5)
    rng = np.random.default_rng(7)
    for text, voice, times, gap in ITEMS:
        clip = corpus.level(corpus.trim(corpus.synthesize(text, voice)))
        for i in range(times):
            if i:
                a.pad(gap)
            a.speak(clip, text, voice)
        a.pad(ITEM_GAP_S)
    for text, after in AFTER:
        a.speak(corpus.level(corpus.trim(corpus.synthesize(text, corpus.slt()))), text,
                corpus.slt())
        n = round(4.0 * corpus.RATE)
        bed = 0.05 * corpus.noise_bed(rng, n) if after == "noise" else np.zeros(n)
        a.audio.append(bed.astype(np.float32))
        a.pos += n
        a.pad(ITEM_GAP_S)
    corpus.write_wav(out, a.signal())
    return [(t, n) for t, _, n, _ in ITEMS], [t for t, _ in AFTER]


def words(text: str) -> list[str]:
    return re.sub(r"[^a-z0-9' ]", " ", text.lower()).split()


def said_in(line: list[str], sentence: list[str]) -> int:
    """How many times ``sentence`` is said in ``line``, one after another, three words in four
    right (tiny.en writes "logs" as "log")."""
    n, found, i = len(sentence), 0, 0
    while i + n <= len(line):
        same = sum(a == b for a, b in zip(line[i:i + n], sentence, strict=True))
        if same * 4 >= n * 3:
            found, i = found + 1, i + n
        else:
            i += 1
    if not found and difflib.SequenceMatcher(None, line, sentence).ratio() >= 0.6:
        return 1  # said once and misheard ("restart should" for "restarted")
    return found


def score(stdout: str, items: list[tuple[str, int]], echoes: list[str]) -> list[list]:
    """Per item: the sentence, times said, times it came out; for the echo cases also the
    lines that came after the sentence's own (what the silence or the noise added)."""
    lines = [words(line) for line in stdout.splitlines() if words(line)]
    order = [t for t, _ in items] + echoes
    rows, i = [], 0
    for k, text in enumerate(order):
        sentence = words(text)
        later = [words(t) for t in order[k + 1:]]
        found, added = 0, 0
        while i < len(lines) and not any(said_in(lines[i], w) for w in later):
            if n := said_in(lines[i], sentence):
                found += n
            elif found:
                added += 1  # after the sentence, before the next one: made of nothing
            i += 1
        said = dict(items).get(text, 1)
        rows.append([text, said, found, *([added] if text in echoes else [])])
    return rows


def run(engine: list[str], wav: Path) -> tuple[str, str, float]:
    began = time.monotonic()
    p = subprocess.run([sys.executable, "-m", "dictation", "-v", "run", "--input", str(wav),
                        *engine], capture_output=True, text=True, env=product_env(),
                       cwd=HERE.parent, timeout=900)
    return p.stdout, p.stderr, time.monotonic() - began


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--engines", nargs="+", default=["local", "api"], choices=("local", "api"))
    p.add_argument("--out", type=Path, default=HERE / "repeats.md")
    args = p.parse_args()
    lines = ["# Said again, or an echo", "", "    .venv/bin/python bench/repeats.py "
             + " ".join(sys.argv[1:]), "",
             "| engine | sentence | said | came out | lines added after it |",
             "|---|---|---|---|---|"]
    totals = []
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "repeats.wav"
        items, echoes = build(wav)
        for name in args.engines:
            if name == "api":
                from local_server import running_server

                with running_server() as url:
                    out, err, took = run(["--engine", "api", "--base-url", url], wav)
            else:
                out, err, took = run(["--engine", "local"], wav)
            checks = len(re.findall(r"said again, not an echo", err))
            drops = len(re.findall(r"echoes the prompt.*without the prompt", err))
            rows = score(out, items, echoes)
            said = sum(r[1] for r in rows[:len(items)])
            came = sum(min(r[1], r[2]) for r in rows[:len(items)])
            added = sum(r[3] for r in rows[len(items):])
            totals.append(f"- {name}: {came} of {said} repeats came out; silence and noise "
                          f"after a sentence added {added} words; {checks} texts confirmed by "
                          f"the audio as said again, {drops} dropped as echoes ({took:.0f} s)")
            for r in rows:
                lines.append(f"| {name} | {r[0]} | {r[1]} | {r[2]} | "
                             f"{r[3] if len(r) > 3 else ''} |")
            (HERE / ".runs").mkdir(exist_ok=True)
            (HERE / ".runs" / f"repeats-{name}.out").write_text(out + "\n---\n" + err)
    text = "\n".join([*lines, "", *totals]) + "\n"
    args.out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
