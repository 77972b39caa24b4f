"""How fast people talk, in characters of transcript per second of audio: the figure the
guard's text bound is built on (dictation.text.guard.max_chars).

    .venv/bin/python bench/speech_rate.py [--out bench/hostile.md]

Every sentence of the benchmark corpus, and the short answers of bench/guard.py, spoken by
festival's natural voice (slt) at its own speed and sped up, and by espeak-ng voices from
their default rate to a fast talker (260 words per minute) and beyond. The rate of one clip is
the length of its reference text over the duration of its speech, leading and trailing
silence cut off: the audio the daemon sends is longer (pre-roll, the pause that ends an
utterance), so real answers stand further below the bound than these figures.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import corpus

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from dictation.text.guard import (  # noqa: E402
    MAX_CHARS_PER_S,
    MAX_CHARS_PER_UTTERANCE,
    max_chars,
)

SENTENCES = [*corpus.CALM, *corpus.QUICK, *corpus.NOISY, *corpus.MONOLOGUE]
SHORT = ["Yes.", "No.", "Thank you.", "Okay.", "Bye.", "Thanks.", "Thank you very much.",
         "See you tomorrow.", "Send it."]
# What a real talker reaches: festival's voice up to 1.25 times its speed (the quick case),
# espeak-ng up to 260 words per minute. Faster ones are listed to show the bound's margin.
REAL = [corpus.slt(1.0), corpus.slt(1.25), corpus.esp("en-us", 175), corpus.esp("en-gb", 175),
        corpus.esp("en-gb-scotland", 175), corpus.esp("en+f3", 175),
        corpus.esp("en-us", 260), corpus.esp("en-gb", 260), corpus.esp("en+f3", 260)]
BEYOND = [corpus.slt(1.6), corpus.esp("en-us", 350), corpus.esp("en-us", 450)]


def rates(voice: corpus.Voice, texts: list[str]) -> list[tuple[float, float, str]]:
    """(characters per second, seconds of speech, text) for each clip."""
    clips = corpus.clips(texts, [voice] * len(texts))
    return [(len(t) / (len(corpus.trim(c)) / corpus.RATE), len(corpus.trim(c)) / corpus.RATE, t)
            for t, c in zip(texts, clips, strict=True)]


def table(voices: list[corpus.Voice]) -> tuple[list[str], float]:
    rows, fastest = [], 0.0
    for v in voices:
        long_ = rates(v, SENTENCES)
        short = rates(v, SHORT)
        cps = [r for r, _, _ in long_]
        worst = max(long_ + short, key=lambda r: len(r[2]) / max_chars(r[1]))
        fastest = max(fastest, max(cps))
        rows.append(f"| {v.label} | {statistics.median(cps):.1f} | {max(cps):.1f} | "
                    f"{max(r for r, _, _ in short):.1f} | "
                    f"{len(worst[2]) / max_chars(worst[1]):.0%}: {worst[2]!r}, {len(worst[2])} of "
                    f"{max_chars(worst[1])} in {worst[1]:.2f} s |")
    return rows, fastest


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, help="also write the tables to this file")
    args = p.parse_args()
    head = ["| voice | median chars/s | fastest sentence | fastest short answer | "
            "most of the bound used |", "|---|---|---|---|---|"]
    real, fastest = table(REAL)
    beyond, _ = table(BEYOND)
    lines = [f"{len(SENTENCES)} sentences and {len(SHORT)} short answers per voice; "
             "rates over the speech alone (silence trimmed).", "", *head, *real, "",
             f"Fastest real speech: **{fastest:.1f} characters per second**. Bound: "
             f"{MAX_CHARS_PER_S:g} × seconds of audio + {MAX_CHARS_PER_UTTERANCE}.", "",
             "Faster than anyone talks, for the margin:", "", *head, *beyond]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
