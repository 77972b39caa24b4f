"""Live typing: how soon each sentence's last word reaches a real window, and what typing
deleted to get there.

A real daemon (`--engine local`, the bundled tiny.en, interims every 0.7 s as the local
engine's default) reads a case's WAV at real time (`--input FILE`, paced like a microphone)
and types with xdotool into a Tk text field under Xvfb; the window's content is read every
40 ms. Each case runs twice, `--live on` and `--live off`, each with its own daemon and
window.

- **Last word in the window**: for each sentence, its last word is found in the final
  window text (the words aligned with difflib; a misheard last word falls back to the word
  before it), and the clock runs from the end of the sentence's speech in the file (the
  `start` event's wall-clock time plus the sentence's end) to the first read in which that
  word stands at its place in the window (within three words of it: live words may be
  corrected into more or fewer words).
- **Deleted**: characters dictation deleted with BackSpace, as a share of the characters
  it typed: live words corrected (the `live` events) and pieces revised (the `revise`
  events).
- **Window = stdout**: the window's text at the end against what stdout printed, words
  compared.
- **WER**: the word error rate of what stdout printed, against the case's text (normalised
  as bench/run.py does): live words the final text went on from must not make it worse.
- **Sentence ends**: the ends (. ? !) stdout printed inside the text, aligned with the
  case's words: at the end of one of its sentences (right) or elsewhere (false), of the
  case's own.

    .venv/bin/python bench/live.py                      # monologue and calm, writes bench/live.md
    .venv/bin/python bench/live.py --cases monologue -- --interim 0.5
"""

from __future__ import annotations

import argparse
import difflib
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import corpus
import formatting
import numpy as np
import rig
from run import wer, words
from undo import REPO, desktop, events, spawn, stop_group, wait

from dictation.text.revise import edit

READ_S = 0.04
SETTLE_S = 4.0  # after the file: the last sentence's text, typed
NEAR = 3  # words: how far from its final place a word may stand while it is live


@dataclass(frozen=True)
class Run:
    case: str
    live: str
    lags: list[float]  # per sentence found: speech end → last word in the window
    missing: int  # sentences whose last two words are not in the final text
    typed: int
    deleted: int
    same: bool  # the final window text is stdout's, word for word
    wer: float  # of what stdout printed
    ends: tuple[int, int, int]  # inner sentence ends printed right, false; the case's own
    log: Path


def session(case: str, live: str, extra: list[str], tmp: Path) -> Run:
    data = corpus.load(corpus.build(case))
    tag = f"{case}-{live}"
    ev, out = tmp / f"{tag}.jsonl", tmp / f"{tag}.out"
    reads: list[tuple[float, str]] = []
    with desktop() as (display, window):
        env = {k: v for k, v in rig.product_env().items()
               if k not in ("WAYLAND_DISPLAY", "XDG_SESSION_TYPE", "XDG_CURRENT_DESKTOP")}
        cmd = [sys.executable, "-m", "dictation", "-v", "run", "--input", data["wav"],
               "--engine", "local", "--output", "stdout", "--output", "type", "--typer",
               "xdotool", "--live", live, "--events", str(ev), "--spool-dir",
               str(tmp / "spool"), *extra]
        with open(out, "w") as stdout, open(tmp / f"{tag}.log", "w") as log:
            daemon = spawn(cmd, stdout=stdout, stderr=log, cwd=REPO,
                           env={**env, "DISPLAY": display, "XDG_STATE_HOME": str(tmp)})
            try:
                start = wait(lambda: next((e for e in events(ev) if e["type"] == "start"),
                                          None), "the daemon did not start")
                t0 = datetime.fromisoformat(start["time"]).timestamp()
                end = time.time() + data["duration"] + SETTLE_S + 60
                while daemon.poll() is None and time.time() < end:
                    reads.append((time.time() - t0, window.content()))
                    time.sleep(READ_S)
                daemon.wait(60)
            finally:
                if daemon.poll() is None:
                    stop_group(daemon)
        reads.append((time.time() - t0, window.content()))
    found = events(ev)
    final = words(reads[-1][1])
    printed = words(out.read_text())
    lags, missing = _lags(data["sentences"], final, reads)
    typed, deleted = _counts(found)
    reference = " ".join(s["text"] for s in data["sentences"])
    return Run(case, live, lags, missing, typed, deleted, final == printed,
               wer(reference, out.read_text()), _ends(reference, out.read_text()),
               tmp / f"{tag}.log")


def _ends(reference: str, printed: str) -> tuple[int, int, int]:
    """Inner sentence ends printed where the reference has one (right), elsewhere (false),
    and the reference's own; words as bench/formatting.py reads them, equal words aligned."""
    ref, got = formatting.words([reference]), formatting.words([printed])
    at: dict[int, int] = {}
    matcher = difflib.SequenceMatcher(None, [w.norm for w in ref], [w.norm for w in got],
                                      autojunk=False)
    for block in matcher.get_matching_blocks():
        at.update((block.b + k, block.a + k) for k in range(block.size))
    marks = [j for j, w in enumerate(got[:-1]) if w.end]
    right = sum(1 for j in marks if j in at and ref[at[j]].end)
    return right, len(marks) - right, sum(w.end for w in ref[:-1])


def _lags(sentences: list[dict], final: list[str], reads: list[tuple[float, str]]
          ) -> tuple[list[float], int]:
    ref: list[str] = []
    ends: list[int] = []
    for s in sentences:
        ref += words(s["text"])
        ends.append(len(ref) - 1)
    matched: dict[int, int] = {}
    for block in difflib.SequenceMatcher(None, ref, final, autojunk=False).get_matching_blocks():
        for k in range(block.size):
            matched[block.a + k] = block.b + k
    seen = [(t, words(text)) for t, text in reads]
    lags, missing = [], 0
    for s, r in zip(sentences, ends, strict=True):
        h = matched.get(r, matched.get(r - 1))
        if h is None:
            missing += 1
            continue
        word = final[h]
        at = next((t for t, w in seen
                   if word in w[max(0, h - NEAR):h + NEAR + 1]), None)
        if at is not None:
            lags.append(at - s["end"])
    return lags, missing


def _counts(found: list[dict]) -> tuple[int, int]:
    """Characters typed and deleted: live steps as they say; revisions by their edit; pieces
    typed without live words, whole."""
    live = [e for e in found if e["type"] == "live"]
    typed = sum(e["typed"] for e in live)
    deleted = sum(e["deleted"] for e in live)
    with_live = {e["seq"] for e in live}
    typed += sum(len(e["text"]) + 1 for e in found
                 if e["type"] == "final" and e["seq"] not in with_live)
    for e in found:
        if e["type"] == "revise":
            count, more = edit(e["old_text"], e["text"])
            typed, deleted = typed + len(more), deleted + count
    return typed, deleted


def row(r: Run) -> str:
    lags = np.array(r.lags) if r.lags else np.array([np.nan])
    share = r.deleted / r.typed if r.typed else 0.0
    return (f"| {r.case} | {r.live} | {len(r.lags)} (+{r.missing} misheard) | "
            f"{np.median(lags):.2f} s | {np.percentile(lags, 90):.2f} s | {r.typed} | "
            f"{r.deleted} ({share:.1%}) | {'yes' if r.same else '**no**'} | {r.wer:.1%} | "
            f"{r.ends[0]} of {r.ends[2]}, {r.ends[1]} false |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", nargs="+", default=["monologue", "calm"],
                    choices=corpus.CASES)
    ap.add_argument("--live", nargs="+", default=["on", "off"], choices=("on", "off"))
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "live.md")
    ap.add_argument("extra", nargs="*", help="after --: passed to `dictation run`")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="dictlive"))
    load = rig.Load()
    runs = [session(case, live, args.extra, tmp) for case in args.cases for live in args.live]
    cmd = " ".join(["bench/live.py", *sys.argv[1:]])
    text = "\n".join([
        "# Live typing\n",
        f"`.venv/bin/python {cmd}` — 2-core shared machine, noisy: quote medians, compare "
        f"within one run. Other load during the runs: {load.others_cores():.2f} cores.", "",
        __doc__.split("\n\n", 1)[1].split("\n\n    .venv")[0], "",
        "| case | live | sentences | last word in the window, median | p90 | characters "
        "typed | deleted | window = stdout | WER | sentence ends |",
        "|---|---|---|---|---|---|---|---|---|---|",
        *(row(r) for r in runs), "",
        "Each sentence's last word in the window, seconds after it was spoken:", "",
        *(f"- {r.case}, live {r.live}: {' '.join(f'{x:.2f}' for x in r.lags)}" for r in runs),
        ""])
    args.out.write_text(text)
    print(text)
    print(f"logs and events: {tmp}", file=sys.stderr)


if __name__ == "__main__":
    main()
