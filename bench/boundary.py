"""The text side of the boundary decision measured: how often `incomplete()` holds a finished
sentence open (a false positive: the sentence arrives later) and how often it lets a sentence
cut at a thinking pause end (a false negative: a break in the middle of the sentence), on what
tiny.en really writes for the speculative transcription.

    .venv/bin/python bench/boundary.py [--out bench/boundary.md] [--fresh]

Samples, without microphone or daemon:

- **complete**: every sentence of calm, quick, noisy and hesitation, cut as a speculation sees
  it: from the 0.5 s pre-roll to a little after the last word (0.09 s for the local engine,
  0.15 s for the API engine, their speculation delays), with the prompt the daemon would build.
  A hesitation sentence is cut whole, pauses included: what the engine sees once the
  utterance was held open across them.
- **fragment**: each hesitation sentence cut at each of its thinking pauses: from the pre-roll
  to the same delay after the part before the pause. This is the text on which the decision
  to hold is made.

The same rules are also scored on the reference words themselves, each fragment given the
period tiny.en nearly always writes, with the monologue's sentences added to the complete
ones: what the rules make of a perfect transcript.

Three settings: the local engine's defaults (greedy, short window); beam 5 with the full
window, which is what faster-whisper-server runs behind the API engine; and the local engine
given a prompt stripped of its punctuation. tiny.en copies the prompt's style: once the
transcript it is prompted with lacks end marks, its own texts lack them too, and the
end-mark rule then holds every utterance (``BoundaryConfig.require_end_mark``). The texts are cached
in bench/.runs/ (keyed by the corpus and the settings), so the word lists can be tuned and
measured again in a second; ``--fresh`` transcribes again.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import re
import shlex
import sys
from pathlib import Path

import corpus
import numpy as np
from direct import CLIP_LEAD_S, _offline, sentence_prompts

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from dictation.text.boundary import BoundaryConfig, incomplete  # noqa: E402

CASES = ("calm", "quick", "noisy", "hesitation")
SETTINGS = {  # name → (LocalConfig fields, seconds kept after the last word, bare prompt)
    "local (greedy, short window, cut 0.09 s)": ({}, 0.09, False),
    "as the API server (beam 5, full window, cut 0.15 s)": (
        {"beam_size": 5, "full_window": True}, 0.15, False),
    "local, prompt without punctuation": ({}, 0.09, True),
}
CACHE = HERE / ".runs" / "boundary-texts.json"


def samples(m: dict, tail_s: float) -> list[dict]:
    """Each sentence whole, and each hesitation prefix, as int16 clips with their prompts."""
    x = corpus.read_wav(Path(m["wav"]))
    out = []
    ss = m["sentences"]
    for i, (s, prompt) in enumerate(zip(ss, sentence_prompts(m), strict=True)):
        lo = s["start"] - CLIP_LEAD_S
        if i:
            lo = max(lo, (ss[i - 1]["end"] + s["start"]) / 2)
        nxt = ss[i + 1]["start"] if i + 1 < len(ss) else len(x) / corpus.RATE
        # (clip end, kind, parts spoken); a sentence's clip ends halfway to the next at most.
        cuts = [(p["end"] + tail_s, "fragment", j + 1)
                for j, p in enumerate(s.get("parts", [])[:-1])]
        cuts.append((min(s["end"] + tail_s, (s["end"] + nxt) / 2), "complete", 0))
        for end, kind, parts in cuts:
            a, b = max(0, round(lo * corpus.RATE)), min(len(x), round(end * corpus.RATE))
            spoken = " ".join(p["text"] for p in s["parts"][:parts]) if parts else s["text"]
            out.append({"case": m["case"], "sentence": i, "kind": kind, "spoken": spoken,
                        "prompt": prompt,
                        "pcm": np.round(x[a:b] * 32768).astype(np.int16)})
    return out


async def transcribe_all(fields: dict, tail_s: float, bare: bool,
                         manifests: dict[str, dict]) -> list[dict]:
    from dictation.transcribe.engines import LocalConfig
    from dictation.transcribe.local import LocalTranscriber

    engine = LocalTranscriber(LocalConfig(**fields))
    try:
        await engine.prepare()
        out = []
        for m in manifests.values():
            for s in samples(m, tail_s):
                pcm = s.pop("pcm")
                if bare:
                    s["prompt"] = re.sub(r"[.,?!]", "", s["prompt"])
                s["text"] = (await engine.transcribe(pcm, s["prompt"])).text
                out.append(s)
        return out
    finally:
        await engine.aclose()


def texts(manifests: dict[str, dict], fresh: bool) -> dict[str, list[dict]]:
    """Per setting, every sample with the engine's text; cached by corpus and settings."""
    key = hashlib.sha1(json.dumps([[m["key"] for m in manifests.values()],
                                   list(SETTINGS.items())]).encode()).hexdigest()[:16]
    if not fresh and CACHE.exists():
        cached = json.loads(CACHE.read_text())
        if cached.get("key") == key:
            return cached["texts"]
    _offline()
    out = {}
    for name, (fields, tail, bare) in SETTINGS.items():
        print(f"boundary: transcribing, {name}", file=sys.stderr)
        out[name] = asyncio.run(transcribe_all(fields, tail, bare, manifests))
    CACHE.parent.mkdir(exist_ok=True)
    CACHE.write_text(json.dumps({"key": key, "texts": out}, indent=1) + "\n")
    return out


def reference_samples(manifests: dict[str, dict]) -> list[dict]:
    """The spoken words as text, each fragment given the period tiny.en nearly always writes:
    what the rules make of ideal transcripts."""
    out = []
    for m in manifests.values():
        for i, s in enumerate(m["sentences"]):
            parts = [p["text"] for p in s.get("parts", [])]
            for j in range(len(parts) - 1):
                frag = " ".join(parts[:j + 1]).rstrip(",")
                out.append({"case": m["case"], "sentence": i, "kind": "fragment",
                            "text": frag + "."})
            out.append({"case": m["case"], "sentence": i, "kind": "complete",
                        "text": s["text"]})
    return out + [{"case": "monologue", "sentence": i, "kind": "complete", "text": t}
                  for i, t in enumerate(corpus.MONOLOGUE)]


def score(rows: list[dict], config: BoundaryConfig) -> tuple[list[str], list[str]]:
    """The table row's figures and the misjudged texts."""
    wrong = []
    counts = {"complete": [0, 0], "fragment": [0, 0]}  # [misjudged, total]
    for r in rows:
        reason = incomplete(r["text"], config)
        bad = (reason is not None) == (r["kind"] == "complete")
        counts[r["kind"]][0] += bad
        counts[r["kind"]][1] += 1
        if bad:
            said = f"held: {reason}" if reason else "ended"
            wrong.append(f"- {r['kind']}, {r['case']} {r['sentence'] + 1}: "
                         f"{r['text']!r} ({said})")
    figures = [f"{n} / {t} ({100 * n / t:.0f} %)" if t else "n/a"
               for n, t in counts.values()]
    return figures, wrong


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=HERE / "boundary.md")
    p.add_argument("--fresh", action="store_true", help="transcribe again, ignore the cache")
    args = p.parse_args()
    manifests = {c: corpus.load(corpus.build(c)) for c in CASES}
    config = BoundaryConfig()
    no_mark = BoundaryConfig(require_end_mark=False)
    rows = ["| text | complete sentences held (false positives) | fragments ended "
            "(false negatives) | without the end-mark rule: false positives | "
            "false negatives |", "| --- | --- | --- | --- | --- |"]
    details = []
    runs = {"reference words (fragments given a period)": reference_samples(manifests),
            **texts(manifests, args.fresh)}
    for name, samples_ in runs.items():
        figures, wrong = score(samples_, config)
        other, _ = score(samples_, no_mark)
        rows.append(f"| {name} | {' | '.join(figures + other)} |")
        details += [f"**{name}**", "", *(wrong or ["- none"]), ""]
    command = shlex.join([".venv/bin/python", "bench/boundary.py", *sys.argv[1:]])
    text = "\n".join(["# The boundary decision on real transcripts", "", *rows, "",
                      f"Reproduce: `{command}`", "", "Misjudged:", "", *details])
    args.out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
