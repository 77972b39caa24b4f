"""Vocabulary on tiny.en: how often rare names come out spelt right, without a vocabulary,
with it in the prompt (before the transcript tail, as the product sends it) and with it as
faster-whisper's ``hotwords``; and what it costs on ordinary dictation.

    .venv/bin/python bench/vocabulary.py [--reuse] [--out bench/vocabulary.md]

Sentences with rare names and terms (``SENTENCES``) are spoken by four voices (festival's
slt and three espeak-ng voices) and transcribed one at a time by the product's local engine
(LocalTranscriber, bundled tiny.en, HF_HUB_OFFLINE=1) with the prompt the product builds:
the vocabulary, then a transcript tail (the calm corpus sentences, the same for every clip),
or no tail, as for the first utterance of a session. A name is a hit when the transcript
holds it spelt as in the vocabulary (case ignored). The calm, quick and noisy corpus
sentences are transcribed with each condition's vocabulary and the tail the daemon would send
(the reference sentences before each one) for WER, and any vocabulary word that turns up
there (none is spoken) counts as inserted.

The section "What the figures say" in bench/vocabulary.md is written by hand from a run's
figures; a new run rewrites the file without it.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import re
import shlex
import sys
from pathlib import Path

import cmdcorpus
import corpus
import jiwer
from direct import _offline, sentence_clips
from whisper_normalizer.english import EnglishTextNormalizer

HERE = Path(__file__).resolve().parent
CACHE = corpus.CORPUS_DIR / "vocabulary.json"
SENTENCES = [
    ("Please ask Xiomara to review the pull request.", ["Xiomara"]),
    ("Siobhan will present the quarterly numbers tomorrow.", ["Siobhan"]),
    ("We moved the whole cluster to Kubernetes last spring.", ["Kubernetes"]),
    ("Niamh and Aoife are flying in from Dublin on Monday.", ["Niamh", "Aoife"]),
    ("The dashboards now run on Grafana and Prometheus.", ["Grafana", "Prometheus"]),
    ("Send the signed contract to Mr Nguyen before noon.", ["Nguyen"]),
    ("Saoirse booked a table for eight at the new restaurant.", ["Saoirse"]),
    ("Tadhg fixed the bug in the PostgreSQL migration.", ["Tadhg", "PostgreSQL"]),
    ("Our office in Thiruvananthapuram opens next month.", ["Thiruvananthapuram"]),
    ("Mrs Dziedzic will call you about the late invoice.", ["Dziedzic"]),
    ("The Ansible playbook failed on the staging server again.", ["Ansible"]),
    ("Llewellyn wrote the new onboarding guide for the team.", ["Llewellyn"]),
]
NAMES = [n for _, names in SENTENCES for n in names]
DISTRACTORS = ["Okonkwo", "Ximena", "Eilidh", "Jörmungandr", "Terraform", "Grafton", "Yusuf",
               "Kiera", "Caoimhe", "Oisín", "Bartholomew", "Zbigniew", "Ngozi", "Svetlana",
               "Redis", "Nginx", "Clickhouse", "Padraig", "Ruaidhrí", "Anneliese"]
CONDITIONS = {  # name → (vocabulary, as hotwords instead of in the prompt, transcript tail)
    "off": ([], False, True),
    "prompt": (NAMES, False, True),
    "prompt, no tail": (NAMES, False, False),
    "hotwords": (NAMES, True, True),
    "prompt, 20 more names": (NAMES + DISTRACTORS, False, True),
}
WER_CASES = ("calm", "quick", "noisy")
TAIL_S = 0.3

_norm = EnglishTextNormalizer()


async def transcribe(vocab: list[str], hotwords: bool, tail: bool) -> dict:
    from dictation.transcribe.engines import LocalConfig
    from dictation.transcribe.local import LocalTranscriber
    from dictation.transcribe.prompt import History, build_prompt, fit_vocabulary, vocabulary_text

    engine = LocalTranscriber(LocalConfig())
    await engine.prepare()
    fitted = fit_vocabulary(vocab)[0]
    if hotwords:  # the product's decode path, with hotwords added to its call
        engine._model.transcribe = functools.partial(engine._model.transcribe,
                                                     hotwords=vocabulary_text(fitted))
    in_prompt = () if hotwords else fitted
    calm = corpus.load(corpus.build("calm"))
    history = " ".join(s["text"] for s in calm["sentences"]) if tail else ""
    prompt = build_prompt("", history, vocabulary=in_prompt)
    try:
        out: dict = {"names": [], "wer": {}, "prompt": prompt, "fitted": len(fitted)}
        for v in cmdcorpus.VOICES:
            for text, _names in SENTENCES:
                item = cmdcorpus.Item("", text, text)
                pcm = cmdcorpus.clip(item, "run-on", v)
                out["names"].append([v.label, text, (await engine.transcribe(pcm, prompt)).text])
        for case in WER_CASES:
            m = corpus.load(corpus.build(case))
            said, texts = History(), []
            for pcm, s in zip(sentence_clips(m, TAIL_S), m["sentences"], strict=True):
                p = build_prompt("", str(said), vocabulary=in_prompt)
                texts.append((await engine.transcribe(pcm, p)).text)
                said.add(s["text"])
            out["wer"][case] = {"reference": [s["text"] for s in m["sentences"]],
                                "texts": texts}
        return out
    finally:
        await engine.aclose()


def hits(data: dict) -> tuple[int, int, list[str]]:
    names = dict(SENTENCES)
    got, total, misses = 0, 0, []
    for voice, text, heard in data["names"]:
        for name in names[text]:
            total += 1
            if re.search(rf"(?<!\w){re.escape(name)}(?!\w)", heard, re.I):
                got += 1
            else:
                misses.append(f"{voice}: {name} → {heard!r}")
    return got, total, misses


def report(runs: dict[str, dict], command: str) -> str:
    lines = ["# Vocabulary on tiny.en", "", f"Reproduce: `{command}`", "",
             "| vocabulary | names in it | rare names spelt right | " + " | ".join(
                 f"WER {c}" for c in (*WER_CASES, "all")) + " | vocabulary words inserted in "
             + "/".join(WER_CASES) + " |", "| --- |" + " --- |" * (len(WER_CASES) + 4)]
    words = {w.casefold() for w in NAMES + DISTRACTORS}
    for cond, data in runs.items():
        got, total, _ = hits(data)
        wers, inserted, refs, hyps = [], 0, [], []
        for c in WER_CASES:
            d = data["wer"][c]
            refs += d["reference"]
            hyps += d["texts"]
            ref, hyp = _norm(" ".join(d["reference"])), _norm(" ".join(d["texts"]))
            wers.append(f"{jiwer.wer(ref, hyp):.3f}")
            inserted += sum(w.casefold() in words for t in d["texts"]
                            for w in re.findall(r"[\w']+", t))
        wers.append(f"{jiwer.wer(_norm(' '.join(refs)), _norm(' '.join(hyps))):.3f}")
        lines.append(f"| {cond} | {data['fitted']} | {got}/{total} ({100 * got / total:.0f} %) | "
                     + " | ".join(wers) + f" | {inserted} |")
    for cond in ("off", "prompt"):  # the others miss much the same
        data = runs[cond]
        lines += ["", f"## Misses: {cond}", "", f"Prompt: `{data['prompt'] or '(none)'}`", "",
                  *(f"- {m}" for m in hits(data)[2] or ["none"])]
    return "\n".join(lines) + "\n"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reuse", action="store_true", help="score the cached transcripts again")
    p.add_argument("--out", type=Path, default=HERE / "vocabulary.md")
    args = p.parse_args()
    _offline()
    if args.reuse:
        runs = json.loads(CACHE.read_text())
    else:
        runs = {}
        for cond, (vocab, hot, tail) in CONDITIONS.items():
            print(f"vocabulary: transcribing with {cond}", file=sys.stderr)
            runs[cond] = asyncio.run(transcribe(vocab, hot, tail))
        CACHE.parent.mkdir(parents=True, exist_ok=True)
        CACHE.write_text(json.dumps(runs, indent=1))
    command = shlex.join([".venv/bin/python", "bench/vocabulary.py",
                          *(a for a in sys.argv[1:] if a != "--reuse")])
    text = report(runs, command)
    args.out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
