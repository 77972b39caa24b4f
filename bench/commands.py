"""Spoken commands on tiny.en: how many are rendered right, how many are typed as words, how
many ordinary words become commands, under each command-position rule, with and without
biasing the recogniser toward the command words; and what the biasing does to ordinary WER.

    .venv/bin/python bench/commands.py [--reuse | --conditions NAME...] [--out bench/commands.md]

The command corpus (bench/cmdcorpus.py: a letter, run-on and paused, and sentences using the
command words as words, in four voices) goes through the product's local engine
(LocalTranscriber, bundled tiny.en, HF_HUB_OFFLINE=1) one utterance at a time with the prompt
the daemon would send, then through dictation.text.commands. The calm, quick and noisy
corpus sentences are transcribed the same way for WER. ``--reuse`` scores the transcripts of
the last run again (bench/.corpus/commands.json) without the model; ``--conditions`` runs
only those biasing conditions again and takes the others from the last run (transcripts are
the same from run to run).

The section "What the figures say" in bench/commands.md is written by hand from a run's
figures; a new run rewrites the file without it.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import functools
import json
import sys
from pathlib import Path

import cmdcorpus
import corpus
import jiwer
from cmdscore import score
from direct import _offline, sentence_clips
from whisper_normalizer.english import EnglishTextNormalizer

from dictation.text import commands
from dictation.text.cmdtables import ALIASES

HERE = Path(__file__).resolve().parent
CACHE = corpus.CORPUS_DIR / "commands.json"
CONDITIONS = ("off", "prompt", "prompt-short", "hotwords", "example", "prompt-reordered",
              "prompt-capitals", "prompt-retract-last", "prompt-names")
"""off: no biasing; prompt: every phrase of the table as the prompt's vocabulary list (before
the transcript tail); prompt-short: one phrase per action (``SHORT``); hotwords: the full list
as faster-whisper's ``hotwords`` instead; example: a dictated example (``EXAMPLE``) in the
user prompt's place; prompt-reordered: the full list, retractions first (``REORDERED``);
prompt-capitals: the full list, each phrase capitalised; prompt-retract-last: the full list with
the marks first and the retractions last (``RETRACT_LAST``), nearest the transcript;
prompt-names: the full list after the letter's two names (``NAMES``), as ``--vocabulary``
puts a user's words before the command phrases."""
SHORT = ("comma", "period", "question mark", "exclamation mark", "colon", "semicolon",
         "new line", "new paragraph", "scratch that")
REORDERED = ("scratch that", "delete that", "new paragraph", "new line", "comma", "period",
             "full stop", "colon", "semicolon", "question mark", "exclamation mark",
             "exclamation point")
RETRACT_LAST = ("period", "full stop", "comma", "colon", "semicolon", "question mark",
                "exclamation mark", "exclamation point", "new line", "new paragraph",
                "delete that", "scratch that")
EXAMPLE = ("Dear Sam, comma, new line. Thank you, period. Did it work, question mark. Great, "
           "exclamation mark. Scratch that. New paragraph.")
NAMES = ("Sam", "Ana")
WER_CASES = ("calm", "quick", "noisy")
TAIL_S = 0.3  # silence kept after a corpus sentence's last word, as an utterance ends

_norm = EnglishTextNormalizer()
RULE_ROWS = [("whole", True, True), ("end", False, True), ("end", True, True),
             ("boundary", False, True), ("boundary", True, False), ("boundary", True, True),
             ("anywhere", True, True)]
"""(rule, guard words, the built-in aliases of misheard commands)."""


def without_aliases(table: commands.CommandTable) -> commands.CommandTable:
    """The table as it was before the aliases (cmdtables.ALIASES) were added."""
    aliases = {tuple(a.split()) for a in ALIASES.get("en", {})}
    phrases = {k: v for k, v in table.phrases.items() if k not in aliases}
    return dataclasses.replace(table, phrases=phrases)


def _row_name(rule: str, guard: bool, aliases: bool) -> str:
    extra = [*([] if guard or rule in ("whole", "anywhere") else ["no guard words"]),
             *([] if aliases else ["no aliases"])]
    return ", ".join([rule, *extra])


async def _engine(condition: str, bias: tuple[str, ...]):  # type: ignore[no-untyped-def]
    from dictation.transcribe.engines import LocalConfig
    from dictation.transcribe.local import LocalTranscriber
    from dictation.transcribe.prompt import vocabulary_text

    engine = LocalTranscriber(LocalConfig())
    await engine.prepare()
    if condition == "hotwords":  # the product's decode path, with hotwords added to its call
        model = engine._model
        model.transcribe = functools.partial(model.transcribe, hotwords=vocabulary_text(bias))
    return engine


async def transcribe(condition: str, bias: tuple[str, ...]) -> dict:
    from dictation.transcribe.prompt import History, build_prompt

    vocab = {"prompt": bias, "prompt-short": SHORT, "prompt-reordered": REORDERED,
             "prompt-capitals": tuple(p.capitalize() for p in bias),
             "prompt-retract-last": RETRACT_LAST,
             "prompt-names": (*NAMES, *bias)}.get(condition, ())
    user = EXAMPLE if condition == "example" else ""
    engine = await _engine(condition, bias)
    try:
        out: dict = {"commands": [], "wer": {}}
        histories: dict[tuple[str, str], History] = {}
        for voice, style, item in cmdcorpus.utterances():
            history = histories.setdefault((voice, style), History())
            pcm = cmdcorpus.clip(item, style, cmdcorpus.voice(voice))
            text = (await engine.transcribe(pcm, build_prompt(user, str(history),
                                                              vocabulary=vocab))).text
            out["commands"].append([voice, style, item.name, text])
            history.add(item.expect)
        for case in WER_CASES:
            m = corpus.load(corpus.build(case))
            history, texts = History(), []
            for pcm, s in zip(sentence_clips(m, TAIL_S), m["sentences"], strict=True):
                prompt = build_prompt(user, str(history), vocabulary=vocab)
                texts.append((await engine.transcribe(pcm, prompt)).text)
                history.add(s["text"])
            out["wer"][case] = {"reference": [s["text"] for s in m["sentences"]],
                                "texts": texts}
        return out
    finally:
        await engine.aclose()


def wer(ref: list[str], hyp: list[str]) -> float:
    return jiwer.wer(_norm(" ".join(ref)), _norm(" ".join(hyp)))


def _results(data: dict) -> list:
    items = {i.name: i for i in [*cmdcorpus.LETTER, *cmdcorpus.ORDINARY]}
    return [(v, s, items[n], t) for v, s, n, t in data["commands"]]


def report(runs: dict[str, dict], table: commands.CommandTable, command: str) -> str:
    lines = ["# Spoken commands on tiny.en", "",
             f"Reproduce: `{command}` (see the docstring of bench/commands.py).", "",
             "## Commands by position rule and biasing", "",
             "| biasing | rule | rendered right | typed literally | ordinary words → commands"
             " | calm/quick/noisy words → commands |", "| --- | --- | --- | --- | --- | --- |"]
    for cond, data in runs.items():
        calm = [t for c in WER_CASES for t in data["wer"][c]["texts"]]
        for rule, guard, aliases in RULE_ROWS:
            s = score(_results(data), calm, table if aliases else without_aliases(table), rule,
                      guard)
            name = _row_name(rule, guard, aliases)
            lines.append(f"| {cond} | {name} | {s.right}/{s.expected} ({s.percent:.1f} %) | "
                         f"{s.literal} | {s.false} | {s.calm_false} |")
    lines += ["", "## Ordinary WER", "", "| biasing | " + " | ".join(
        f"{c} raw | {c} with commands" for c in (*WER_CASES, "all")) + " |",
              "| --- |" + " --- | --- |" * (len(WER_CASES) + 1)]
    for cond, data in runs.items():
        cells, refs, raws, outs = [], [], [], []
        for c in WER_CASES:
            d = data["wer"][c]
            rendered = [commands.apply(t, table).text for t in d["texts"]]
            refs += d["reference"]
            raws += d["texts"]
            outs += rendered
            cells += [f"{wer(d['reference'], d['texts']):.3f}",
                      f"{wer(d['reference'], rendered):.3f}"]
        cells += [f"{wer(refs, raws):.3f}", f"{wer(refs, outs):.3f}"]
        lines.append(f"| {cond} | " + " | ".join(cells) + " |")
    for cond in ("off", "prompt"):  # the others miss much the same
        data = runs[cond]
        calm = [t for c in WER_CASES for t in data["wer"][c]["texts"]]
        s = score(_results(data), calm, table, commands.RULE)
        lines += ["", f"## Misses: {cond}, rule {commands.RULE}", "",
                  *(f"- {m}" for m in s.misses or ["none"])]
    return "\n".join(lines) + "\n"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reuse", action="store_true", help="score the cached transcripts again")
    p.add_argument("--conditions", nargs="+", choices=CONDITIONS, default=list(CONDITIONS),
                   help="transcribe these again; the others come from the last run")
    p.add_argument("--out", type=Path, default=HERE / "commands.md")
    args = p.parse_args()
    _offline()
    table = commands.build_table(commands.CommandConfig())
    bias = commands.bias_phrases(table)
    cached = json.loads(CACHE.read_text()) if CACHE.exists() else {}
    runs = {}
    for cond in CONDITIONS:  # transcripts are deterministic: a cached condition is reused
        if args.reuse or (cond not in args.conditions and cond in cached):
            runs[cond] = cached[cond]
            continue
        print(f"commands: transcribing with biasing {cond}", file=sys.stderr)
        runs[cond] = asyncio.run(transcribe(cond, bias))
        CACHE.parent.mkdir(parents=True, exist_ok=True)
        CACHE.write_text(json.dumps({**cached, **runs}, indent=1))
    command = ".venv/bin/python bench/commands.py"
    text = report(runs, table, command)
    args.out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
