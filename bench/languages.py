"""Dictation in several languages: a session of short utterances alternating English, French,
Spanish and German, through the embedded engine with the multilingual Whisper base, each
utterance once with its language given (the reference) and once detected among the user's
languages, in order (each told the language of the one before, as dictation does).

    .venv/bin/python bench/languages.py [--out bench/languages.md]

Scored per language, with diacritics and punctuation removed: pieces in a wrong language,
WER detected against given, and the time detection adds to each utterance (the engine's own
time, which is what shown latency pays for it). Speech: festival (English) and espeak-ng
(every language); no recorded human speech in several languages with transcripts could be
found in the registries this machine reaches.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
import unicodedata
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import corpus  # noqa: E402
import jiwer  # noqa: E402
from models import base  # noqa: E402

from dictation.transcribe import Hint  # noqa: E402
from dictation.transcribe.engines import LocalConfig  # noqa: E402

SENTENCES = {
    "en": ["The quarterly review moved to Thursday.", "Please send me the report tonight.",
           "The cache directory was full again.", "We should book the meeting room.",
           "Call the supplier before noon.", "The invoice still has the wrong address."],
    "fr": ["Je vous envoie le rapport ce soir.", "La réunion commence à neuf heures.",
           "Merci de réserver une salle pour demain.", "Le serveur est tombé en panne hier.",
           "Nous devons appeler le fournisseur.", "La facture porte encore la mauvaise adresse."],
    "es": ["Te envío el informe esta noche.", "La reunión empieza a las nueve.",
           "Por favor reserva una sala para mañana.", "El servidor se cayó ayer por la tarde.",
           "Tenemos que llamar al proveedor.", "La factura todavía tiene la dirección mal."],
    "de": ["Ich schicke dir den Bericht heute Abend.", "Die Besprechung beginnt um neun Uhr.",
           "Bitte reserviere einen Raum für morgen.", "Der Server ist gestern ausgefallen.",
           "Wir müssen den Lieferanten anrufen.", "Die Rechnung hat noch die falsche Adresse."],
}
VOICES = {"en": [corpus.slt(), corpus.esp("en-us", 165)], "fr": [corpus.esp("fr", 160)],
          "es": [corpus.esp("es", 160)], "de": [corpus.esp("de", 160)]}
ORDER = ("en", "fr", "es", "de")


def session() -> list[tuple[str, str, np.ndarray]]:
    """(language, text, 16 kHz int16 audio with 0.3 s of silence around) per utterance,
    the languages taking turns."""
    return [(lang, text, clip(text, VOICES[lang][i % len(VOICES[lang])]))
            for i in range(len(SENTENCES["en"])) for lang in ORDER
            for text in (SENTENCES[lang][i],)]


def clip(text: str, voice: corpus.Voice) -> np.ndarray:
    """``text`` spoken, as 16 kHz int16 audio with 0.3 s of silence around it."""
    audio = corpus.level(corpus.trim(corpus.synthesize(text, voice)))
    pad = np.zeros(round(0.3 * corpus.RATE), np.float32)
    return (np.clip(np.concatenate([pad, audio, pad]), -1, 1) * 32767).astype(np.int16)


def norm(text: str) -> str:
    bare = "".join(c for c in unicodedata.normalize("NFKD", text.lower())
                   if not unicodedata.combining(c))
    return " ".join("".join(c if c.isalnum() or c == "'" else " " for c in bare).split())


async def run(languages: tuple[str, ...]) -> list[dict]:
    from dictation.transcribe.local import LocalTranscriber

    model = str(base())
    given = LocalTranscriber(LocalConfig(model=model))
    detect = LocalTranscriber(LocalConfig(model=model, languages=languages))
    await given.prepare()
    await detect.prepare()
    rows, previous = [], None
    utterances = session()
    for engine in (given, detect):  # the first decode pays for allocations: not timed
        await engine.transcribe(utterances[0][2], "", Hint(language="en"))
    for lang, text, pcm in utterances:
        t0 = time.monotonic()
        ref = await given.transcribe(pcm, "", Hint(language=lang))
        t1 = time.monotonic()
        got = await detect.transcribe(pcm, "", Hint(previous=previous))
        t2 = time.monotonic()
        previous = got.language
        rows.append({"lang": lang, "text": text, "given": ref.text, "detected": got.text,
                     "as": got.language, "given_s": t1 - t0, "detect_s": t2 - t1,
                     "audio_s": len(pcm) / 16000})
    await given.aclose()
    await detect.aclose()
    return rows


def wer(refs: list[str], hyps: list[str]) -> float:
    return jiwer.wer([norm(r) for r in refs], [norm(h) or "-" for h in hyps])


def report(rows: list[dict], languages: tuple[str, ...], command: str) -> str:
    lines = ["# Dictation in several languages", "", f"    {command}", "",
             f"{len(rows)} utterances of {min(r['audio_s'] for r in rows):.1f}–"
             f"{max(r['audio_s'] for r in rows):.1f} s, the languages taking turns; "
             f"multilingual Whisper base, detection among {','.join(languages)}.", "",
             "| language | utterances | in a wrong language | WER given | WER detected |",
             "|---|---|---|---|---|"]
    for lang in ORDER:
        mine = [r for r in rows if r["lang"] == lang]
        wrong = sum(r["as"] != lang for r in mine)
        lines.append(f"| {lang} | {len(mine)} | {wrong} | "
                     f"{wer([r['text'] for r in mine], [r['given'] for r in mine]):.3f} | "
                     f"{wer([r['text'] for r in mine], [r['detected'] for r in mine]):.3f} |")
    extra = [r["detect_s"] - r["given_s"] for r in rows]
    lines += ["", f"Detection adds {statistics.median(extra) * 1000:.0f} ms median "
              f"({sorted(extra)[int(0.9 * len(extra))] * 1000:.0f} ms p90) to an utterance's "
              "decode (the engine's own time, both runs on the same machine in turn).", "",
              "Pieces in a wrong language:", ""]
    lines += [f"- {r['lang']} as {r['as']}: {r['detected']!r}" for r in rows
              if r["as"] != r["lang"]] or ["- none"]
    return "\n".join(lines) + "\n"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--languages", default=",".join(ORDER))
    p.add_argument("--out", type=Path, default=HERE / "languages.md")
    args = p.parse_args()
    os.environ["HF_HUB_OFFLINE"] = "1"
    languages = tuple(args.languages.split(","))
    rows = asyncio.run(run(languages))
    text = report(rows, languages, "python bench/languages.py " + " ".join(sys.argv[1:]))
    args.out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
