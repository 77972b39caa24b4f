"""Is any character lost when typing? Lines that start with capitals, accents and symbols,
each after a line break or a paragraph break, typed piece by piece (one run of the typing
tool each, as dictation types its pieces) by the real typing sink: wtype into a foot
terminal on a headless sway, xdotool into a Tk window under Xvfb. The text each window
received is compared with what was typed, character by character.

    .venv/bin/python bench/typed_lines.py                 # 200 lines, both typers
    .venv/bin/python bench/typed_lines.py --lines 40 --typer wtype --no-held-keyboard
                                                          # as before the fix (output/seat.py)

Run as root (sway runs as a user of the tests' own) on the machine `make test` set up.
"""

from __future__ import annotations

import argparse
import asyncio
import difflib
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

STARTS = ["The", "Été", "Über", "“Quoted”", "(aside)", "#tag", "$5", "Ça", "Ñandú", "À",
          "-- dash", "'single'", "«Guillemets»", "Øresund", "É", "¿Qué?", "100%", "@home",
          "*star*", "Zürich", "Ångström", "½ cup", "€20", "İstanbul", "Æsir", "[note]",
          "{brace}", "~tilde", "^caret", "|pipe", "Œuvre", "Þorn"]
MIDDLES = ["naïve café", "déjà vu — façade;", "résumé: crème brûlée!", "a+b=c & d<e>f",
           "jalapeño, piñata?", "Straße über Öl", "x = 3 * 4 / 2", "“curly” ‘quotes’",
           "ÀÉÎÕÜ çñß", "back\\slash and `tick`", "naïveté, coöperate", "São Paulo"]


def lines(n: int) -> list[str]:
    """``n`` pieces, each a line after a line break, every fifth after a paragraph break."""
    out = []
    for i in range(n):
        brk = "\n\n" if i % 5 == 4 else "\n"
        out.append(f"{STARTS[i % len(STARTS)]} {MIDDLES[(i * 7) % len(MIDDLES)]} "
                   f"line {i + 1}.{brk}")
    return out


def lost(want: str, got: str) -> int:
    """Characters of ``want`` missing from or changed in ``got``."""
    ops = difflib.SequenceMatcher(None, want, got, autojunk=False).get_opcodes()
    return sum(i2 - i1 for tag, i1, i2, _, _ in ops if tag in ("delete", "replace"))


async def type_all(sink: object, pieces: list[str]) -> None:
    from dictation.records import Transcribed

    try:
        for seq, text in enumerate(pieces, 1):
            await sink.deliver(Transcribed(seq, text, 0.0, 1.0, 0.0, 1.0))  # type: ignore[attr-defined]
    finally:
        await sink.aclose()  # type: ignore[attr-defined]


def on_wayland(pieces: list[str], held: bool = True) -> str:
    from wayland import Sway, until

    from dictation.output import seat
    from dictation.output.choose import typing_sink
    from dictation.output.keytools import TyperConfig

    if not held:  # wtype's keyboard is then the seat's only one, for each run
        seat.SeatKeyboard.hold = lambda self: False  # type: ignore[method-assign]
    sway = Sway()
    try:
        sink = typing_sink("type", TyperConfig(tool="wtype"), sway.env)
        if held:  # before the window opens, as in tests/test_wayland.py's typist
            until(lambda: sway.msg("get_seats")[0]["capabilities"] & 2, "a keyboard held")
        reader = sway.reader()
        asyncio.run(type_all(sink, pieces))
        return reader.flush()
    finally:
        sway.close()


def on_x11(pieces: list[str]) -> str:
    from test_typer import TextWindow

    from dictation.output.choose import typing_sink
    from dictation.output.keytools import TyperConfig

    read, write = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-nolisten", "tcp", "-r",
                             "-noreset"], pass_fds=(write,), stderr=subprocess.DEVNULL)
    os.close(write)
    try:
        display = f":{int(os.read(read, 16))}"
        window = TextWindow(display)
        try:
            env = {**os.environ, "DISPLAY": display}
            sink = typing_sink("type", TyperConfig(tool="xdotool"), env)
            asyncio.run(type_all(sink, pieces))
            return window.wait_for("".join(pieces))
        finally:
            window.close()
    finally:
        xvfb.kill()
        xvfb.wait()
        os.close(read)


def main() -> int:
    import procs

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=200)
    parser.add_argument("--typer", choices=("both", "wtype", "xdotool"), default="both")
    parser.add_argument("--no-held-keyboard", action="store_true",
                        help="wtype without the keyboard dictation keeps on the seat")
    args = parser.parse_args()
    os.environ[procs.TOKEN] = token = f"bench-{uuid.uuid4().hex}"
    pieces = lines(args.lines)
    want = "".join(pieces)
    bad = 0
    try:
        for typer in ("wtype", "xdotool"):
            if args.typer not in ("both", typer):
                continue
            start = time.monotonic()
            got = (on_wayland(pieces, not args.no_held_keyboard) if typer == "wtype"
                   else on_x11(pieces))
            missing = lost(want, got)
            bad += missing
            print(f"{typer}: {args.lines} lines, {len(want)} characters, {missing} lost or "
                  f"changed, {time.monotonic() - start:.1f} s", flush=True)
            if missing:
                at = next((i for i, (a, b) in enumerate(zip(want, got, strict=False))
                           if a != b),
                          min(len(want), len(got)))
                print(f"  first difference: {want[max(0, at - 20):at + 20]!r} typed as "
                      f"{got[max(0, at - 20):at + 20]!r}", flush=True)
    finally:
        procs.reap(token)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
