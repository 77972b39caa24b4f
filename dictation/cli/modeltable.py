"""What `dictation models list` prints: a table for people, JSON for scripts (pure)."""

from __future__ import annotations

import argparse
import textwrap
from typing import Any

from dictation.transcribe.auto import Choice
from dictation.transcribe.models import Model
from dictation.transcribe.speed import Measurement, lookup

HEADER = ("", "MODEL", "LANGUAGES", "SIZE", "INSTALLED", "DECODE (sample / 1 s)")


def _size(m: Model) -> str:
    if not m.size:
        return "?"
    mb = m.size / 1e6
    text = f"{mb / 1000:.2f} GB" if mb >= 1000 else f"{mb:.0f} MB"
    return text if m.installed else f"~{text}"


def _where(m: Model) -> str:
    if m.installed:
        return "downloaded" if m.source == "cache" else m.source
    if m.partial:
        return f"partly ({m.partial / 1e6:.1f} MB)"
    return "no"


def _decode(m: Model, measured: list[Measurement]) -> str:
    if not m.installed:
        return ""
    r = lookup(m.path, measured)
    return "not measured" if r is None else f"{r.utterance_s:.2f} s / {r.piece_s:.2f} s"


def table(models: list[Model], measured: list[Measurement], choice: Choice,
          budget_s: float) -> str:
    rows = [HEADER]
    for m in models:
        name = m.name + (f" ({', '.join(m.aliases)})" if m.aliases else "")
        if m.source.startswith("package"):
            name += f"  {m.path}"  # what --local-model takes for it
        rows.append(("*" if m.installed else "", name, m.languages, _size(m), _where(m),
                     _decode(m, measured)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADER) - 1)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)) + "  " + r[-1]
             for r in rows]
    sample = next((f"{r.audio_s:.1f} s" for r in measured), "spoken")
    notes = ["* installed; ~ an approximate download size. DECODE: the median time this "
             f"machine took to decode the bundled {sample} sample / 1 s of it (`dictation "
             "models bench` measures).",
             f"--local-model auto (budget {budget_s:g} s) would choose {choice.name}: "
             f"{choice.reason}."]
    lines += ["", *(wrapped for note in notes for wrapped in textwrap.wrap(note, 100))]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def as_json(models: list[Model], measured: list[Measurement], choice: Choice,
            args: argparse.Namespace) -> dict[str, Any]:
    listed = []
    for m in models:
        r = lookup(m.path, measured)
        listed.append({
            "name": m.name, "aliases": list(m.aliases), "repo": m.repo,
            "languages": "en" if m.english_only else "multilingual", "family": m.family,
            "installed": m.installed, "source": m.source, "path": m.path,
            "size_bytes": m.size, "size_approximate": not m.installed and bool(m.size),
            "partial_bytes": m.partial,
            "decode": None if r is None else {
                "utterance_s": r.utterance_s, "piece_s": r.piece_s, "audio_s": r.audio_s,
                "runs": r.runs, "measured": r.measured}})
    return {"models": listed,
            "auto": {"model": choice.name, "path": choice.path, "reason": choice.reason,
                     "language": args.language, "latency_budget_s": args.latency_budget}}
