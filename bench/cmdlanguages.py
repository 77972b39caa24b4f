"""Spoken commands in French, Spanish and German, measured as the English ones are
(bench/commands.py): marks rendered right, command words typed literally, and ordinary words
taken for commands. Each utterance goes through the embedded engine with the multilingual
Whisper base, its language given and the prompt the daemon sends for it (that language's
command phrases), then through the text stage in that language: what lands at the cursor.

    .venv/bin/python bench/cmdlanguages.py [--out bench/cmdlanguages.md]

Speech: espeak-ng's voice for each language, at two rates (no recorded human speech in these
languages with transcripts could be found in the registries this machine reaches), so the
figures say what the command tables make of base's text more than how well base hears.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import corpus  # noqa: E402
from cmdscore import _commands_in, marks_right  # noqa: E402
from languages import clip  # noqa: E402
from models import base  # noqa: E402

from dictation.deliver.requestprompt import Prompter  # noqa: E402
from dictation.text import commands  # noqa: E402
from dictation.text.cmdtables import BUILTIN  # noqa: E402
from dictation.text.config import TextConfig  # noqa: E402
from dictation.text.stage import TextStage  # noqa: E402
from dictation.transcribe import Hint  # noqa: E402
from dictation.transcribe.engines import LocalConfig  # noqa: E402

DICTATED = {  # (what is said, what should land)
    "fr": [("Bonjour à tous virgule je vous écris au sujet du projet point",
            "Bonjour à tous, je vous écris au sujet du projet."),
           ("Pouvez-vous venir demain point d'interrogation",
            "Pouvez-vous venir demain?"),
           ("Merci pour votre aide point à la ligne Cordialement",
            "Merci pour votre aide.\nCordialement"),
           ("La réunion est annulée point d'exclamation",
            "La réunion est annulée!"),
           ("Il faut trois choses deux-points du pain virgule du lait et des œufs point",
            "Il faut trois choses: du pain, du lait et des œufs."),
           ("Nouveau paragraphe Le rapport est prêt point",
            "\n\nLe rapport est prêt.")],
    "es": [("Hola a todos coma les escribo sobre el proyecto punto",
            "Hola a todos, les escribo sobre el proyecto."),
           ("Puedes venir mañana signo de interrogación",
            "Puedes venir mañana?"),
           ("Gracias por tu ayuda punto nueva línea Saludos",
            "Gracias por tu ayuda.\nSaludos"),
           ("La reunión está cancelada signo de exclamación",
            "La reunión está cancelada!"),
           ("Necesitamos tres cosas dos puntos pan coma leche y huevos punto",
            "Necesitamos tres cosas: pan, leche y huevos."),
           ("El informe está listo punto y aparte Empezamos mañana punto",
            "El informe está listo.\n\nEmpezamos mañana.")],
    "de": [("Hallo zusammen Komma ich schreibe wegen des Projekts Punkt",
            "Hallo zusammen, ich schreibe wegen des Projekts."),
           ("Kannst du morgen kommen Fragezeichen",
            "Kannst du morgen kommen?"),
           ("Danke für deine Hilfe Punkt neue Zeile Viele Grüße",
            "Danke für deine Hilfe.\nViele Grüße"),
           ("Die Besprechung fällt aus Ausrufezeichen",
            "Die Besprechung fällt aus!"),
           ("Wir brauchen drei Dinge Doppelpunkt Brot Komma Milch und Eier Punkt",
            "Wir brauchen drei Dinge: Brot, Milch und Eier."),
           ("Neuer Absatz Der Bericht ist fertig Punkt",
            "\n\nDer Bericht ist fertig.")],
}
ORDINARY = {  # the command words as words: no command may come of them
    "fr": ["Le point de départ est la gare.", "Il a mis une virgule de trop.",
           "Ce point est important pour nous.", "Elle est allée à la ligne d'arrivée."],
    "es": ["El punto de partida es la estación.", "Puso una coma de más.",
           "Este punto es importante.", "Ganamos dos puntos ayer."],
    "de": ["Der Punkt ist wichtig.", "Ein Komma fehlt hier.",
           "Das ist der springende Punkt.", "Dieses Fragezeichen bleibt."],
}
VOICES = {lang: [corpus.esp(lang, 150), corpus.esp(lang, 185)] for lang in DICTATED}


def typed_literally(lang: str, expect: str, out: str) -> int:
    """Command phrases among the output's words beyond those the expectation holds."""
    def count(text: str) -> int:
        words = " ".join(re.findall(r"[\w'-]+", text.lower()))
        return sum(len(re.findall(rf"(?<![\w'-]){re.escape(p.lower())}(?![\w'-])", words))
                   for p in BUILTIN[lang])
    return max(0, count(out) - count(expect))


async def run() -> list[dict]:
    from dictation.transcribe.local import LocalTranscriber

    engine = LocalTranscriber(LocalConfig(model=str(base())))
    await engine.prepare()
    rows = []
    for lang in DICTATED:
        stage = TextStage(TextConfig())
        prompt = Prompter(stage, languages=tuple(DICTATED)).prompt().hint.prompt_for(lang, "")
        table = stage.table_for(lang)
        items = [("dictated", said, expect) for said, expect in DICTATED[lang]] + \
                [("ordinary", said, said) for said in ORDINARY[lang]]
        for voice in VOICES[lang]:
            for kind, said, expect in items:
                got = await engine.transcribe(clip(said, voice), prompt, Hint(language=lang))
                out = (await TextStage(TextConfig()).render(got.text, language=lang)).text
                rows.append({"lang": lang, "kind": kind, "said": said, "expect": expect,
                             "voice": f"{voice.name} {voice.rate:g} wpm",
                             "heard": got.text, "out": out,
                             "ops": _commands_in(commands.parse(got.text, table))
                             if kind == "ordinary" else 0})
    await engine.aclose()
    return rows


def report(rows: list[dict], command: str) -> str:
    lines = ["# Spoken commands in other languages", "", f"    {command}", "",
             "Multilingual Whisper base, the language given, the daemon's prompt; espeak-ng "
             "voices at 150 and 185 words a minute.", "",
             "| language | marks rendered right | command words typed literally | "
             "ordinary sentences | ordinary words → commands |", "|---|---|---|---|---|"]
    for lang in DICTATED:
        mine = [r for r in rows if r["lang"] == lang and r["kind"] == "dictated"]
        right = [marks_right(r["expect"], r["out"]) for r in mine]
        got, total = sum(a for a, _ in right), sum(b for _, b in right)
        literal = sum(typed_literally(lang, r["expect"], r["out"]) for r in mine)
        plain = [r for r in rows if r["lang"] == lang and r["kind"] == "ordinary"]
        lines.append(f"| {lang} | {got}/{total} ({got / total:.0%}) | {literal} | "
                     f"{len(plain)} | {sum(r['ops'] for r in plain)} |")
    lines += ["", "What the engine heard and what landed, where a mark was missed or a word "
              "became a command:", ""]
    for r in rows:
        a, b = marks_right(r["expect"], r["out"])
        if a < b or r["ops"]:
            lines.append(f"- {r['lang']} ({r['voice']}): heard {r['heard'].strip()!r} → "
                         f"{r['out']!r}")
    return "\n".join(lines) + "\n"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=HERE / "cmdlanguages.md")
    args = p.parse_args()
    os.environ["HF_HUB_OFFLINE"] = "1"
    text = report(asyncio.run(run()), "python bench/cmdlanguages.py " + " ".join(sys.argv[1:]))
    args.out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
