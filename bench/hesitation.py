"""The hesitation case measured for formatting: false sentence ends and false capitals (see
formatting.py), lines per sentence and WER, for

- **faster-whisper on the whole WAV** in one call (bundled tiny.en, int8, beam 5, no VAD):
  what the model writes with the whole of each sentence in view, the baseline;
- **the product**: ``dictation run --input WAV`` at real time (no ``--fast``: the file is paced
  like a microphone, so the segmenter, speculation and delivery behave as they do live), on
  each engine, every stdout line one delivered utterance;
- **a projection** from those same lines: what ``dictation.text`` alone makes of them (a line
  whose text is incomplete, or followed by one that reads as its continuation, loses its
  sentence end and the next joins it, formatted by the Assembler). It holds no audio open
  and transcribes nothing again, so its words are today's.

    .venv/bin/python bench/hesitation.py [--engines local api] [--runs 2] [--rescore]
        [--out bench/hesitation.md] [-- extra args for `dictation run`]

The api engine talks to faster-whisper-server (same tiny.en) started on this machine.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import corpus
from direct import plain_model
from formatting import Formatting, measure
from rig import product_env
from run import wer

from dictation.text.assemble import Assembler
from dictation.text.boundary import BoundaryConfig, continues, incomplete, punctuates

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tools"))
sys.path.insert(0, str(REPO))

from local_server import running_server  # noqa: E402

BEAM = 5
SAVED = HERE / ".runs" / "hesitation-lines.json"
SUMMARY_RE = re.compile(r"\d+ utterances, \d+ transcriptions \([^)]*\)"
                        r"(?:; \d+ joined to a fragment)?")  # the exit line


def whole_file(wav: str) -> str:
    model = plain_model()
    audio = corpus.read_wav(Path(wav))
    segments, _ = model.transcribe(audio, language="en", beam_size=BEAM)
    return "".join(s.text for s in segments).strip()


def product(wav: str, engine: list[str], extra: list[str], timeout: float) -> dict:
    """``dictation run --input WAV`` at real time: its stdout lines and exit summary."""
    env = {**product_env(), "PYTHONPATH": str(REPO)}
    # A spool of its own: utterances another run left in the shared one would be delivered
    # first, and their punctuation would set the style of every prompt after them.
    with tempfile.TemporaryDirectory() as spool:
        cmd = [sys.executable, "-m", "dictation", "-v", "run", "--input", wav, *engine,
               "--spool-dir", spool, *extra]
        p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO,
                           timeout=timeout)
    if p.returncode:
        raise RuntimeError(f"{shlex.join(cmd)} exited {p.returncode}:\n{p.stderr[-2000:]}")
    stats = SUMMARY_RE.search(p.stderr)
    return {"lines": [x for x in p.stdout.splitlines() if x.strip()],
            "stats": stats[0] if stats else "no summary line"}


def rejoined(lines: list[str]) -> list[str]:
    """A projection: the product's lines as the text rules alone would deliver them. A line
    whose text is incomplete (the end-mark rule only while the engine punctuates), or that
    is followed by one that reads as its continuation, loses its sentence end and the next
    line joins it. No audio is held or transcribed again, as the pipeline will."""
    a = Assembler()
    out: list[str] = []
    for i, line in enumerate(lines):
        last = a.last
        config = BoundaryConfig(require_end_mark=punctuates(lines[max(0, i - 10):i]))
        if last is not None and (incomplete(last[1], config) or continues(line, config)):
            if (rev := a.unfinish_last()) is not None:
                out[-1] = out[-1][:len(out[-1]) - len(rev.old)] + rev.new
            out[-1] += a.add(i, line)
        else:
            out.append(a.add(i, line))
    return [x.strip() for x in out]


def row(name: str, refs: list[str], runs: list[list[str]]) -> tuple[str, list[str]]:
    """A table row (medians over the runs) and each run's transcript and errors."""
    scores = [measure(refs, lines) for lines in runs]
    wers = [wer(" ".join(refs), " ".join(lines)) for lines in runs]

    def med(values: list[float]) -> str:
        return f"{statistics.median(values):g}"

    cells = [med([len(lines) for lines in runs]),
             *(med([getattr(f, k) for f in scores]) for k in
               ("false_ends", "false_capitals", "missed_ends", "missed_capitals")),
             f"{statistics.median(wers):.3f}"]
    detail = []
    for i, (lines, f, w) in enumerate(zip(runs, scores, wers, strict=True)):
        detail += [f"**{name}, run {i + 1}** (WER {w:.3f}; {_counts(f)})", "",
                   *[f"    {x}" for x in lines], "", *[f"- {e}" for e in f.examples], ""]
    return f"| {name} | {len(runs)} | " + " | ".join(cells) + " |", detail


def _counts(f: Formatting) -> str:
    return (f"{f.false_ends} false ends, {f.false_capitals} false capitals, "
            f"{f.missed_ends} missed ends, {f.missed_capitals} missed capitals")


def measure_all(m: dict, engines: list[str], runs: int, extra: list[str]) -> dict:
    """The whole-file text and every run's lines per engine; saved for ``--rescore``."""
    print("hesitation: faster-whisper, whole file", file=sys.stderr)
    out: dict = {"whole": whole_file(m["wav"]), "engines": {}}
    with running_server() as url:
        for engine in engines:
            sel = ["--engine", "local"] if engine == "local" else ["--base-url", url]
            out["engines"][engine] = []
            for i in range(runs):
                print(f"hesitation: {engine}, run {i + 1}", file=sys.stderr)
                out["engines"][engine].append(product(m["wav"], sel, extra,
                                                      m["duration"] + 300))
    SAVED.parent.mkdir(exist_ok=True)
    SAVED.write_text(json.dumps(out, indent=1) + "\n")
    return out


def render(m: dict, got: dict, command: str) -> str:
    refs = [s["text"] for s in m["sentences"]]
    pauses = sum(len(s["parts"]) - 1 for s in m["sentences"])
    rows, details = [], []
    r, d = row(f"faster-whisper, whole file (tiny.en, beam {BEAM})", refs, [[got["whole"]]])
    rows.append(r)
    details += d
    for engine, results in got["engines"].items():
        r, d = row(f"{engine}: `dictation run --input` at real time", refs,
                   [x["lines"] for x in results])
        rows.append(r)
        details += d + [f"daemon: {x['stats']}" for x in results] + [""]
        r, d = row(f"{engine}: the same lines joined by the text rules (projection)",
                   refs, [rejoined(x["lines"]) for x in results])
        rows.append(r)
        details += d
    return "\n".join([
        "# Hesitation: formatting across thinking pauses", "",
        f"Case `hesitation`: {len(refs)} sentences, {pauses} thinking pauses of "
        f"{m['pauses_s'][0]}-{m['pauses_s'][1]} s inside them, {m['duration']:.0f} s; "
        f"medians over the runs.", "",
        "| output | runs | lines (of " + str(len(refs)) + ") | false sentence ends | "
        "false capitals | missed ends | missed capitals | WER |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |", *rows, "",
        f"Reproduce: `{command}`", "", "<details><summary>Transcripts</summary>", "",
        *details, "</details>", ""])


def main() -> int:
    argv = sys.argv[1:]
    own, extra = (argv[:argv.index("--")], argv[argv.index("--") + 1:]) if "--" in argv \
        else (argv, [])
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--engines", nargs="*", choices=("local", "api"), default=["local", "api"])
    p.add_argument("--runs", type=int, default=2)
    p.add_argument("--out", type=Path, default=HERE / "hesitation.md")
    p.add_argument("--rescore", action="store_true",
                   help="score the last run's saved lines again (after changing the rules)")
    args = p.parse_args(own)
    m = corpus.load(corpus.build("hesitation"))
    got = json.loads(SAVED.read_text()) if args.rescore \
        else measure_all(m, args.engines, args.runs, extra)
    text = render(m, got, shlex.join([".venv/bin/python", "bench/hesitation.py", *argv]))
    args.out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
