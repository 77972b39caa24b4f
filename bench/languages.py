"""Dictation in several languages: sessions of short utterances whose languages take turns,
through the embedded engine with the multilingual Whisper base, each utterance once with its
language given (the reference) and once detected among the user's languages, in order (each
told the language of the one before, as dictation does).

    .venv/bin/python bench/languages.py [--sessions espeak,neural] [--out bench/languages.md]

Scored per language, with diacritics and punctuation removed: pieces in a wrong language,
WER detected against given, and the time detection adds to each utterance (the engine's own
time, which is what shown latency pays for it). Three sessions: espeak-ng's voices in
English, French, Spanish and German (the first measure, kept to compare); festival's voices
in English, Catalan and Italian (English and Catalan are HTS voices trained on one speaker's
recordings each); and Kokoro-82M's neural voices in English, French, Spanish, Italian and
German (bench/neural.py), the closest to a person. No recorded human speech in several
languages with transcripts could be found in the package registries, nor MBROLA voices.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import time
import unicodedata
from dataclasses import dataclass
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
    "ca": ["T'envio l'informe aquesta nit.", "La reunió comença a les nou.",
           "Si us plau, reserva una sala per a demà.", "El servidor va caure ahir a la tarda.",
           "Hem de trucar al proveïdor.", "La factura encara té l'adreça equivocada."],
    "it": ["Ti mando il rapporto stasera.", "La riunione comincia alle nove.",
           "Per favore prenota una sala per domani.", "Il server si è bloccato ieri pomeriggio.",
           "Dobbiamo chiamare il fornitore.", "La fattura ha ancora l'indirizzo sbagliato."],
}


def kokoro(name: str) -> corpus.Voice:
    return corpus.Voice("kokoro", name, 1.0)


@dataclass(frozen=True)
class Session:
    order: tuple[str, ...]
    """The languages spoken, in turn."""
    voices: dict[str, list[corpus.Voice]]
    languages: tuple[str, ...]
    """The user's set that detection picks among."""
    about: str


SESSIONS = {
    "espeak": Session(
        ("en", "fr", "es", "de"),
        {"en": [corpus.slt(), corpus.esp("en-us", 165)], "fr": [corpus.esp("fr", 160)],
         "es": [corpus.esp("es", 160)], "de": [corpus.esp("de", 160)]},
        ("en", "fr", "es", "de"),
        "festival's natural English voice and espeak-ng (every language); base hears "
        "espeak's French and German poorly even when told the language"),
    "festival": Session(
        ("en", "ca", "it"),
        {"en": [corpus.slt()], "ca": [corpus.Voice("festival", "upc_ca_ona_hts", 1.0)],
         "it": [corpus.Voice("festival", "lp_diphone", 1.0),
                corpus.Voice("festival", "pc_diphone", 1.0)]},
        ("en", "ca", "es", "it"),
        "festival's voices: English and Catalan HTS voices recorded from one speaker each, "
        "two Italian diphone voices; Spanish is among the user's languages but not spoken, "
        "as Catalan is the language Whisper most confuses with it"),
    "neural": Session(
        ("en", "fr", "es", "it", "de"),
        {"en": [kokoro("af_heart"), kokoro("am_michael")], "fr": [kokoro("ff_siwis")],
         "es": [kokoro("ef_dora"), kokoro("em_alex")],
         "it": [kokoro("if_sara"), kokoro("im_nicola")], "de": [kokoro("if_sara:de")]},
        ("en", "fr", "es", "it", "de"),
        "Kokoro-82M's neural voices, trained on people's recordings (bench/neural.py): two "
        "English, one French, two Spanish and two Italian voices, each in its own language; "
        "German, which Kokoro has no voice for, is the Italian woman's voice given German "
        "phonemes (an Italian accent)"),
}


def session(name: str) -> list[tuple[str, str, np.ndarray]]:
    """(language, text, 16 kHz int16 audio with 0.3 s of silence around) per utterance,
    the languages taking turns."""
    s = SESSIONS[name]
    return [(lang, text, clip(text, s.voices[lang][i % len(s.voices[lang])]))
            for i in range(len(SENTENCES["en"])) for lang in s.order
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


class Said(logging.Handler):
    """What the engine logs of each piece's language: the detector's shares, and on an
    unsure piece the two decodes' scores."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.decodes: list[float] = []
        """Each decode's own time, in order."""
        self.steps: list[float] = []
        """The detector's own step, each piece's: what detection adds to a sure piece."""

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("language detector step: "):  # "…: 33 ms"
            self.steps.append(float(message.split(": ")[1].split(" ms")[0]) / 1000)
        elif message.startswith(("language ", "unsure of the language")):
            self.lines.append(message)
        elif message.startswith("decoded "):  # "decoded 2.40 s of audio in 0.31 s: …"
            self.decodes.append(float(message.split(" in ")[1].split(" s")[0]))


async def run(name: str) -> list[dict]:
    from dictation.transcribe.local import LocalTranscriber

    model = str(base())
    given = LocalTranscriber(LocalConfig(model=model))
    detect = LocalTranscriber(LocalConfig(model=model, languages=SESSIONS[name].languages))
    await given.prepare()
    await detect.prepare()
    said = Said()
    logger = logging.getLogger("dictation")
    logger.addHandler(said)
    logger.setLevel(logging.DEBUG)
    rows, previous = [], None
    utterances = session(name)
    for engine in (given, detect):  # the first decode pays for allocations: not timed
        await engine.transcribe(utterances[0][2], "", Hint(language="en"))
    for lang, text, pcm in utterances:
        t0 = time.monotonic()
        ref = await given.transcribe(pcm, "", Hint(language=lang))
        t1 = time.monotonic()
        said.lines.clear()
        said.decodes.clear()
        got = await detect.transcribe(pcm, "", Hint(previous=previous))
        t2 = time.monotonic()
        previous = got.language
        rows.append({"lang": lang, "text": text, "given": ref.text, "detected": got.text,
                     "as": got.language, "given_s": t1 - t0, "detect_s": t2 - t1,
                     "audio_s": len(pcm) / 16000, "said": list(said.lines),
                     "decodes": list(said.decodes), "steps": list(said.steps)})
    logger.removeHandler(said)
    await given.aclose()
    await detect.aclose()
    return rows


def wer(refs: list[str], hyps: list[str]) -> float:
    return jiwer.wer([norm(r) for r in refs], [norm(h) or "-" for h in hyps])


def ms(values: list[float], q: float) -> str:
    return f"{sorted(values)[min(len(values) - 1, int(q * len(values)))] * 1000:.0f} ms"


def report(name: str, rows: list[dict]) -> list[str]:
    s = SESSIONS[name]
    lines = [f"## {name}", "", f"{len(rows)} utterances of {min(r['audio_s'] for r in rows):.1f}–"
             f"{max(r['audio_s'] for r in rows):.1f} s, {', '.join(s.order)} taking turns; "
             f"detection among {','.join(s.languages)}. Speech: {s.about}.", "",
             "| language | utterances | in a wrong language | WER given | WER detected |",
             "|---|---|---|---|---|"]
    for lang in s.order:
        mine = [r for r in rows if r["lang"] == lang]
        wrong = sum(r["as"] != lang for r in mine)
        lines.append(f"| {lang} | {len(mine)} | {wrong} | "
                     f"{wer([r['text'] for r in mine], [r['given'] for r in mine]):.3f} | "
                     f"{wer([r['text'] for r in mine], [r['detected'] for r in mine]):.3f} |")
    extra = [r["detect_s"] - r["given_s"] for r in rows]
    given = [r["given_s"] for r in rows]
    unsure = [r for r in rows if any(line.startswith("unsure") for line in r["said"])]
    steps = [step for r in rows for step in r["steps"]]
    first = [r["decodes"][0] for r in rows if r["decodes"]]
    lines += ["", f"Detection adds {ms(extra, 0.5)} median ({ms(extra, 0.9)} p90) to an "
              "utterance's decode (the engine's own time, both runs on the same machine in "
              f"turn), whose decode with the language given took {ms(given, 0.5)} median. "
              + (f"The detector's own step, the whole of what a sure piece pays, took "
                 f"{ms(steps, 0.5)} median ({ms(steps, 0.9)} p90), against "
                 f"{ms(first, 0.5)} for the first decode after it (the encoding, which both "
                 "share, is counted in neither). " if steps and first else "")
              + f"{len(unsure)} of {len(rows)} pieces were unsure and decoded twice"]
    if unsure:
        second = [r["decodes"][1] for r in unsure]
        lines[-1] += (f"; the second decode took {ms(second, 0.5)} median "
                      f"({ms(second, 0.9)} p90)")
        # Both greedy texts broken: both languages decoded again with a beam (the 3rd and
        # 4th decodes; a 5th is the full-window redo any broken text gets).
        beams = [sum(r["decodes"][2:4]) for r in unsure if len(r["decodes"]) >= 4]
        if beams:
            lines[-1] += (f"; {len(beams)} were searched again with a beam in both "
                          f"languages, which took {ms(beams, 0.5)} median "
                          f"({ms(beams, 0.9)} p90)")
    lines[-1] += "."
    lines += ["", "Pieces in a wrong language, and the unsure ones, as the engine logged them:",
              ""]
    for r in rows:
        if r["as"] != r["lang"] or r in unsure:
            verdict = "right" if r["as"] == r["lang"] else f"**wrong**, as {r['as']}"
            lines.append(f"- {r['lang']}, {verdict}: {r['detected']!r}; "
                         + "; ".join(r["said"]))
    return [*lines, ""]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sessions", default=",".join(SESSIONS),
                   help=f"which of {', '.join(SESSIONS)}")
    p.add_argument("--out", type=Path, default=HERE / "languages.md")
    args = p.parse_args()
    os.environ["HF_HUB_OFFLINE"] = "1"
    lines = ["# Dictation in several languages", "",
             f"    python bench/languages.py {' '.join(sys.argv[1:])}".rstrip(), "",
             "Multilingual Whisper base through the embedded engine; each utterance once with "
             "its language given (the reference) and once detected among the user's languages, "
             "in order, each told the language of the one before (as dictation does).", "",
             "The detector's step apart, over less of the encoding, and a join's check of a "
             "continuation's language: [detector.md](detector.md) (`python bench/detector.py "
             "--joins`).", ""]
    for name in args.sessions.split(","):
        lines += report(name, asyncio.run(run(name)))
    args.out.write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
