"""Wayland for real: a headless sway with a foot terminal (tests/wayland.py), wtype typing
into it, wl-clipboard for the clipboard, and `dictation run` at real time with the local
engine. The letter with spoken commands comes out exactly as under X11 (test_revise_live),
"scratch that", `ctl undo` and live typing correct what was typed, while a key of another
program's keyboard or a focus change keeps it; without Sway's IPC, or beside another
program's keyboard, one line says typing waits for final text. Paste mode pastes and gives
the clipboard back, and no character is lost after a line break."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Daemon, dictation_cmd, norm
from procs import spawn
from test_live_typing import lead_pieces, monologue, typed_early
from test_revise_live import (
    LONG_S,
    applied,
    check_letter,
    dictate_letter,
    read_events,
    wait_events,
)
from wayland import Sway, until

from dictation.output.choose import typing_sink
from dictation.output.keystrokes import TypeSink
from dictation.output.keytools import TyperConfig
from dictation.records import Revised, Transcribed

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import typed_lines

CANNOT = "waits for each sentence to be final"


def start(tmp_path: Path, sway: Sway, wav: Path, *outputs: str) -> tuple[Daemon, Path, str]:
    events, sock = tmp_path / "events.jsonl", str(tmp_path / "ctl.sock")
    d = Daemon(None, "--input", str(wav), "--engine", "local", *outputs, "--events",
               str(events), "--socket", sock, "--spool-dir", str(tmp_path / "spool"),
               base_env=sway.env, HF_HUB_OFFLINE="1", XDG_STATE_HOME=str(tmp_path / "state"))
    return d, events, sock


@pytest.mark.realtime
def test_a_letter_with_commands_arrives_as_the_letter_on_sway(
        tmp_path: Path, sway: Sway, say: Callable[..., Path],
        join: Callable[..., Path]) -> None:
    reader = sway.reader()
    d = dictate_letter(tmp_path, say, join, "wtype", base_env=sway.env)
    assert CANNOT not in d.stderr, d.stderr  # typing corrects itself here
    check_letter(reader.flush(), tmp_path, d.stderr)


@pytest.mark.realtime
def test_words_are_typed_live_and_the_terminal_ends_as_stdout_on_sway(
        tmp_path: Path, sway: Sway, say: Callable[..., Path],
        join: Callable[..., Path]) -> None:
    """Live typing with wtype (the X11 test's monologue, test_live_typing): words typed
    while each sentence is spoken, corrected by its final text."""
    reader = sway.reader()
    d, events, _ = start(tmp_path, sway, monologue(say, join, 1.5), "--output", "stdout",
                         "--output", "type", "--typer", "wtype", "--interim", "0.7")
    try:
        code = d.proc.wait(LONG_S * 2)
    finally:
        out, err, _ = d.stop()
    assert code == 0 and CANNOT not in err, err
    found = read_events(events)
    assert typed_early(found), [(e["type"], e.get("seq"), e["t"]) for e in found if "seq" in e]
    shown = reader.flush()
    assert shown == "".join(lead_pieces(found)), (shown, found)
    assert norm(shown) == norm(" ".join(out.splitlines())), (shown, out)


FIRST, SECOND = "The invoice is paid.", "Please send the receipt."


@pytest.mark.realtime
def test_ctl_undo_takes_back_the_last_sentence_on_sway(
        tmp_path: Path, sway: Sway, say: Callable[..., Path],
        join: Callable[..., Path]) -> None:
    reader = sway.reader()
    # Two sentences, each final after its pause; silence after keeps the daemon listening.
    wav = join(say(FIRST, pad=(0.3, 1.5)), say(SECOND, pad=(0.0, 8.0)))
    d, events, sock = start(tmp_path, sway, wav, "--output", "type", "--typer", "wtype",
                            "--output", "stdout")
    try:
        first, second = d.line(LONG_S), d.line(LONG_S)  # printed once final: both typed
        assert norm(first) == norm(FIRST) and norm(second) == norm(SECOND), (first, second)
        done = subprocess.run(dictation_cmd("ctl", "undo", "--socket", sock),
                              capture_output=True, text=True, timeout=LONG_S)
        assert done.returncode == 0, done.stderr
        wait_events(events, lambda ev: applied(ev) == [first], "the undo in the events")
        _, err, code = d.stop()
    finally:
        if d.proc.poll() is None:
            d.stop()
    assert code == 0 and CANNOT not in err, err
    assert reader.flush() == first


def piece(seq: int, text: str, lead: str = "") -> Transcribed:
    return Transcribed(seq, text, 0.0, 1.0, 0.0, 1.0, lead=lead)


def typist(sway: Sway) -> TypeSink:
    """The typing sink with wtype, once the keyboard it keeps is on the seat. Made before
    the window opens: a terminal that sees the seat's keyboard come later binds it anew,
    and a key sent meanwhile is lost (output/seat.py; a daemon's first piece comes an
    utterance after its start, a test's at once)."""
    sink = typing_sink("type", TyperConfig(tool="wtype"), sway.env)
    assert isinstance(sink, TypeSink) and sink.activity is not None
    until(lambda: sway.msg("get_seats")[0]["capabilities"] & 2, "a keyboard on the seat")
    return sink


def test_a_keyboard_not_dictations_keeps_what_was_typed(sway: Sway) -> None:
    """Someone else's virtual keyboard (another wtype) types after dictation: the piece
    cannot be taken back any more, and nothing is deleted."""
    sink = typist(sway)
    reader = sway.reader()

    async def run() -> None:
        try:
            await sink.deliver(piece(1, "Keep this."))
            await asyncio.to_thread(subprocess.run, ["wtype", "X"], env=sway.env,
                                    check=True, timeout=LONG_S)
            await sink.revise(Revised(1, "Keep this.", "", piece(1, "Keep this.")))
        finally:
            await sink.aclose()

    asyncio.run(run())
    assert reader.flush() == "Keep this.X"


def test_a_focus_change_keeps_what_was_typed(sway: Sway) -> None:
    sink = typist(sway)
    first = sway.reader()

    async def run() -> None:
        try:
            await sink.deliver(piece(1, "Stays here."))
            await asyncio.to_thread(sway.reader)  # a new window takes the focus
            await sink.revise(Revised(1, "Stays here.", "", piece(1, "Stays here.")))
        finally:
            await sink.aclose()

    asyncio.run(run())
    sway.msg("command", f"[app_id={first.app_id}] focus")
    assert first.flush() == "Stays here."


def clipboard(sway: Sway) -> str:
    return subprocess.run(["wl-paste", "--no-newline"], capture_output=True, text=True,
                          env=sway.env, timeout=LONG_S).stdout


@pytest.mark.realtime
def test_paste_pastes_and_gives_the_clipboard_back_on_sway(
        tmp_path: Path, sway: Sway, say: Callable[..., Path]) -> None:
    reader = sway.reader()
    # wl-copy stays behind to serve the selection: it must not hold our pipes.
    subprocess.run(["wl-copy", "before"], env=sway.env, check=True, timeout=LONG_S,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    d, _, _ = start(tmp_path, sway, say(FIRST, pad=(0.3, 1.5)), "--output", "paste",
                    "--typer", "wtype", "--paste-keys", "ctrl+shift+v", "--output", "stdout")
    try:
        line = d.line(LONG_S)
        assert d.proc.wait(LONG_S) == 0, d.stderr
    finally:
        if d.proc.poll() is None:
            d.stop()
    assert norm(line) == norm(FIRST), line
    assert reader.flush() == line  # foot pasted it on ctrl+shift+v
    assert clipboard(sway) == "before"


@pytest.mark.realtime
def test_the_clipboard_holds_the_text_on_sway(
        tmp_path: Path, sway: Sway, say: Callable[..., Path],
        join: Callable[..., Path]) -> None:
    wav = join(say(FIRST, pad=(0.3, 1.5)), say(SECOND, pad=(0.0, 1.5)))
    d, _, _ = start(tmp_path, sway, wav, "--output", "clipboard", "--clipboard-mode",
                    "append", "--output", "stdout")
    try:
        lines = [d.line(LONG_S), d.line(LONG_S)]
        assert d.proc.wait(LONG_S) == 0, d.stderr
    finally:
        if d.proc.poll() is None:
            d.stop()
    assert clipboard(sway) == " ".join(lines)


def test_no_character_is_lost_after_line_breaks_with_wtype(sway: Sway) -> None:
    """Capitals, accents and symbols first on a line, each piece a run of wtype of its own:
    what lost the first character after a paragraph break (bench/typed_lines.py types 200)."""
    sink = typist(sway)
    reader = sway.reader()
    pieces = typed_lines.lines(24)
    asyncio.run(typed_lines.type_all(sink, pieces))
    assert reader.flush() == "".join(pieces)


def test_without_sways_ipc_typing_waits_for_final_text_and_says_so(
        sway: Sway, caplog: pytest.LogCaptureFixture) -> None:
    """A compositor whose IPC dictation does not speak (here: sway with SWAYSOCK unset): one
    line says why typing cannot correct itself, and "scratch that" deletes nothing."""
    env = {k: v for k, v in sway.env.items() if k != "SWAYSOCK"}
    sink = typing_sink("type", TyperConfig(tool="wtype"), env)
    lines = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert lines == ["typing with wtype waits for each sentence to be final and never takes "
                     "text back (scratch that, undo): only Sway's IPC tells dictation's "
                     "keyboard from others', and SWAYSOCK is not set (not a Sway session?)"]
    assert isinstance(sink, TypeSink) and sink.final_only and not sink.can_live
    until(lambda: sway.msg("get_seats")[0]["capabilities"] & 2, "a keyboard on the seat")
    reader = sway.reader()

    async def run() -> None:
        try:
            await sink.deliver(piece(1, "Final text."))
            await sink.revise(Revised(1, "Final text.", "", piece(1, "Final text.")))
        finally:
            await sink.aclose()

    asyncio.run(run())
    assert reader.flush() == "Final text."


@pytest.mark.parametrize(("old", "new"), [
    ("The invoice from the printing company.", "The invoice from the printing company"),
    ("Première phrase: déjà vu.", "Première phrase: déjà vu, “naïve” Ça!"),
    ("Il est allé au café.", "Il est allé au cafè, «naïf»"),  # one code point each
])
def test_a_revision_turns_old_into_new_in_the_terminal(sway: Sway, old: str,
                                                       new: str) -> None:
    """BackSpaces and text as dictation.text.revise.edit counts them: one BackSpace erases
    one code point in a terminal's line (IUTF8), as in the X11 window. (A combining accent
    is never changed with BackSpaces by the sink: toolkits differ.)"""
    sink = typist(sway)
    reader = sway.reader()

    async def run() -> None:
        try:
            await sink.deliver(piece(1, old))
            await sink.revise(Revised(1, old, new, piece(1, new)))
        finally:
            await sink.aclose()

    asyncio.run(run())
    got = reader.flush()
    assert got == new, ascii(got)


def test_another_programs_keyboard_on_the_seat_is_said_in_one_line(
        sway: Sway, caplog: pytest.LogCaptureFixture) -> None:
    """A virtual keyboard another program keeps (as an on-screen keyboard does) sends keys
    that Sway reports to nobody: typing waits for final text, and says so."""
    other = spawn(["wtype", "-s", "600000"], env=sway.env)  # a keyboard, idle
    try:
        until(lambda: sway.msg("get_seats")[0]["capabilities"] & 2, "its keyboard")
        sink = typing_sink("type", TyperConfig(tool="wtype"), sway.env)
        asyncio.run(sink.aclose())
    finally:
        other.kill()
        other.wait()
    assert isinstance(sink, TypeSink) and sink.final_only
    lines = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert lines == ["typing with wtype waits for each sentence to be final and never takes "
                     "text back (scratch that, undo): another program keeps a virtual "
                     "keyboard on the seat, whose keys Sway shows no program"]
