"""Live typing, for real: `dictation run` at real time with the local engine (the bundled
tiny.en) on a spoken monologue, its sentences a breath apart, typing with xdotool into a Tk
window under Xvfb. The words the interims agree on are typed while each sentence is still
spoken; each sentence's final text replaces them, correcting only its differing tail; the
window ends as stdout prints. A key the user presses meanwhile stops live typing for that
sentence, and is never deleted."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Daemon, norm
from test_revise_live import LONG_S, applied, read_events, wait_events
from test_typer import TextWindow

# Sentences of 5-7 s: on a busy machine each decode takes longer, and words are typed live
# only once two decodes of the same sentence agree on them.
MONOLOGUE = [
    "The quarterly review starts on Monday morning with the whole team in the large room "
    "upstairs.",
    "Please bring the budget figures, the list of open questions and your notes from the "
    "last planning meeting.",
    "After lunch we will walk through the plans for the next release.",
]


def monologue(say: Callable[..., Path], join: Callable[..., Path], tail_s: float) -> Path:
    """The sentences a breath apart (0.35 s), as one speaker's long turn."""
    parts = [say(s, pad=(0.3 if i == 0 else 0.0, 0.35)) for i, s in enumerate(MONOLOGUE[:-1])]
    return join(*parts, say(MONOLOGUE[-1], pad=(0.0, tail_s)))


def start(tmp_path: Path, xdisplay: str, wav: Path) -> tuple[Daemon, Path]:
    events = tmp_path / "events.jsonl"
    d = Daemon(None, "--input", str(wav), "--engine", "local", "--output", "stdout",
               "--output", "type", "--typer", "xdotool", "--events", str(events),
               "--interim", "0.7",
               "--spool-dir", str(tmp_path / "spool"), DISPLAY=xdisplay,
               HF_HUB_OFFLINE="1", XDG_STATE_HOME=str(tmp_path / "state"))
    return d, events


def finished(d: Daemon) -> tuple[str, str]:
    out, err, code = d.stop()  # it has ended by itself, or it stops now
    assert code == 0, err
    assert "Traceback" not in err
    return out, err


@pytest.mark.realtime
def test_words_are_typed_while_a_sentence_is_spoken_and_the_window_ends_as_stdout(
        tmp_path: Path, xdisplay: str, typing_window: TextWindow, say: Callable[..., Path],
        join: Callable[..., Path]) -> None:
    d, events = start(tmp_path, xdisplay, monologue(say, join, 1.5))
    try:
        code = d.proc.wait(LONG_S * 2)
    finally:
        out, _ = finished(d)
    assert code == 0
    found = read_events(events)
    lines = out.splitlines()
    assert norm(" ".join(lines)).endswith("next release"), out
    # Live words went into the window before their sentence's text was delivered.
    live = [e for e in found if e["type"] == "live"]
    early = typed_early(found)
    assert early, live
    assert all(e["text"] and e["typed"] > 0 for e in early), early
    # Each piece's final text took their place: the window reads as the pieces do, and as
    # stdout prints them.
    shown = typing_window.content()
    assert shown == "".join(lead_pieces(found)), (shown, found)
    assert norm(shown) == norm(" ".join(lines)), (shown, out)
    deleted = sum(e["deleted"] for e in live)
    typed = sum(e["typed"] for e in live) + sum(len(e["text"]) for e in found
                                                if e["type"] == "final")
    assert deleted < typed / 2, live  # corrections, not retyping


def typed_early(events: list[dict]) -> list[dict]:
    """The live events that typed agreed words before their utterance's text was delivered:
    as its own piece (a final of its seq) or joined to the piece before (a revise of it)."""
    def delivered_after(e: dict) -> bool:
        return any(d["t"] > e["t"] and (d["seq"] == e["seq"] if d["type"] == "final"
                                        else d["seq"] < e["seq"])
                   for d in events if d["type"] in ("final", "revise"))

    return [e for e in events if e["type"] == "live" and e["why"] == "agreed"
            and delivered_after(e)]


def lead_pieces(events: list[dict]) -> list[str]:
    """The window's pieces: each piece's text as the events leave it, with the space that
    joins it to the one before (a line break said as a command takes none)."""
    texts = applied(events)
    return [t if i == 0 or t.startswith("\n") else " " + t for i, t in enumerate(texts)]


@pytest.mark.realtime
def test_a_key_pressed_during_live_typing_is_never_deleted(
        tmp_path: Path, xdisplay: str, typing_window: TextWindow, say: Callable[..., Path],
        join: Callable[..., Path]) -> None:
    d, events = start(tmp_path, xdisplay, monologue(say, join, 1.5))
    try:
        wait_events(events, lambda ev: any(e["type"] == "live" for e in ev),
                    "words typed live")
        env = {**os.environ, "DISPLAY": xdisplay}
        subprocess.run(["xdotool", "type", "Q"], env=env, check=True, timeout=LONG_S)
        code = d.proc.wait(LONG_S * 2)
    finally:
        out, _ = finished(d)
    assert code == 0
    shown = typing_window.content()
    assert shown.count("Q") == 1, shown  # the user's key stays where it landed
    # And no word was lost: the last sentence's last word reached the window.
    assert norm(shown).split()[-1] == norm(out.splitlines()[-1]).split()[-1], (shown, out)
