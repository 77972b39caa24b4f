"""A speaker who pauses mid-sentence, for real: `dictation run` at real time with the local
engine (the bundled tiny.en) on a spoken clip with a thinking pause inside its sentence,
typing with xdotool into a Tk window under Xvfb, printing to stdout and writing events. The
fragment goes out, then its continuation joins it: one sentence on stdout, in the events
after their revisions, and in the window. A key the user presses between the two stops the
revision: nothing the user typed is deleted. `dictation ctl undo` takes the sentence back.

And a short letter dictated with spoken commands: commands become punctuation and line
breaks, "scratch that" takes back the utterance before it over what was typed, the user's
vocabulary spells a rare name, a replacement fixes a word, and the user's post-processing
command sees every utterance but never a command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Daemon, dictation_cmd, norm
from test_capfiles import VALIDATOR
from test_typer import TextWindow

FRAGMENT, REST = "The meeting is at", "three o'clock on Friday."
# Generous bounds on a loaded two-core machine; every wait ends on its event long before.
LONG_S = 120.0


def clip(say: Callable[..., Path], join: Callable[..., Path], pause_s: float,
         tail_s: float) -> Path:
    """The fragment, a thinking pause, the rest of the sentence, then silence."""
    return join(say(FRAGMENT, pad=(0.3, pause_s)), say(REST, pad=(0.0, tail_s)))


def start(tmp_path: Path, xdisplay: str, wav: Path) -> tuple[Daemon, Path, str]:
    events, sock = tmp_path / "events.jsonl", str(tmp_path / "ctl.sock")
    # At real time: the file is paced like a microphone, so the pause is a pause.
    d = Daemon(None, "--input", str(wav), "--engine", "local", "--output", "stdout",
               "--output", "type", "--typer", "xdotool", "--events", str(events), "--socket",
               sock, "--spool-dir", str(tmp_path / "spool"), DISPLAY=xdisplay,
               HF_HUB_OFFLINE="1", XDG_STATE_HOME=str(tmp_path / "state"))
    return d, events, sock


def read_events(path: Path) -> list[dict]:
    if not path.exists():
        return []
    lines = path.read_text().splitlines()
    found = [json.loads(line) for line in lines if line.endswith("}")]
    for e in found:
        VALIDATOR.validate(e)
    return found


def wait_events(path: Path, check: Callable[[list[dict]], bool], what: str) -> list[dict]:
    """The events once ``check`` holds for them (the file is read as the daemon writes)."""
    deadline = time.monotonic() + LONG_S
    while not check(found := read_events(path)):
        assert time.monotonic() < deadline, f"never happened: {what}; events: {found}"
        time.sleep(0.05)
    return found


def applied(events: list[dict]) -> list[str]:
    """The pieces of text as the events leave them, revisions applied."""
    pieces: dict[int, str] = {}
    for e in events:
        if e["type"] in ("final", "revise"):  # a revise replaces its piece's text
            pieces[e["seq"]] = e["text"]
    return [text for text in pieces.values() if text]


def one_sentence(text: str) -> None:
    """The whole sentence, once: its first and last words, one capital, one period."""
    words = norm(text).split()
    assert words[:3] == ["the", "meeting", "is"] and words[-1] == "friday", text
    assert text[0].isupper() and text.endswith(".") and text.count(".") == 1, text
    assert sum(w[:1].isupper() for w in text.split()) == 2, text  # "The", "Friday"


@pytest.mark.realtime
def test_a_paused_sentence_is_one_sentence_everywhere_and_undo_takes_it_back(
        tmp_path: Path, xdisplay: str, typing_window: TextWindow, say: Callable[..., Path],
        join: Callable[..., Path]) -> None:
    # A 1.6 s thinking pause ends the fragment as an utterance of its own; 8 s of silence at
    # the end keep the daemon listening for the undo.
    d, events, sock = start(tmp_path, xdisplay, clip(say, join, 1.6, 8.0))
    try:
        line = d.line(LONG_S)
        one_sentence(line)
        # Typed as a fragment first, then revised: the window holds the sentence once.
        assert typing_window.wait_for(line, LONG_S) == line
        found = wait_events(events, lambda ev: applied(ev) == [line], "the revised events")
        kinds = [e["type"] for e in found if e["type"] in ("final", "revise")]
        assert kinds == ["final", "revise"], found  # the fragment went out, then was joined
        fragment = next(e["text"] for e in found if e["type"] == "final")
        assert norm(fragment) == norm(FRAGMENT), fragment
        done = subprocess.run(dictation_cmd("ctl", "undo", "--socket", sock),
                              capture_output=True, text=True, timeout=LONG_S)
        assert done.returncode == 0 and done.stdout == "", done.stderr
        assert typing_window.wait_for("", LONG_S) == ""
        found = wait_events(events, lambda ev: applied(ev) == [], "the undo in the events")
        out, err, code = d.stop()
    finally:
        if d.proc.poll() is None:
            d.stop()
    assert code == 0, err
    assert out == ""  # the printed line stays printed; nothing more came
    assert "Traceback" not in err


COMPLETE, GOES_ON = "The invoice from the printing company", "still has the wrong address."


@pytest.mark.realtime
def test_a_sentence_the_model_ends_at_a_thinking_pause_is_heard_again_with_the_rest(
        tmp_path: Path, xdisplay: str, typing_window: TextWindow, say: Callable[..., Path],
        join: Callable[..., Path]) -> None:
    # Its first part reads as a whole sentence: tiny.en ends it with a period, and it goes
    # out at once. The speaker goes on after a thinking pause (0.4 s added to the voice's own
    # silences: 0.9 s from word to word): both are transcribed again together, and every
    # output ends with one sentence.
    wav = join(say(COMPLETE, pad=(0.3, 0.4)), say(GOES_ON, pad=(0.0, 1.5)))
    d, events, _ = start(tmp_path, xdisplay, wav)
    try:
        line = d.line(LONG_S)
        code = d.proc.wait(LONG_S)
    finally:
        if d.proc.poll() is None:
            d.stop()
    assert code == 0, d.stderr
    words = norm(line).split()
    assert words[:2] == ["the", "invoice"] and words[-1] == "address", line
    assert line.count(".") == 1 and line.endswith("."), line
    assert [w for w in line.split() if w[:1].isupper()] == ["The"], line
    found = read_events(events)
    kinds = [e["type"] for e in found if e["type"] in ("final", "revise")]
    assert kinds == ["final", "revise"], found  # out as a sentence, then joined
    first = next(e["text"] for e in found if e["type"] == "final")
    assert first.endswith("."), first  # the model's period: it read as complete
    assert applied(found) == [line]
    assert typing_window.wait_for(line, LONG_S) == line


@pytest.mark.realtime
def test_a_key_pressed_between_fragment_and_continuation_is_never_deleted(
        tmp_path: Path, xdisplay: str, typing_window: TextWindow, say: Callable[..., Path],
        join: Callable[..., Path]) -> None:
    # A longer pause: time for the key after the fragment is typed, before the rest is said.
    d, events, _ = start(tmp_path, xdisplay, clip(say, join, 2.5, 1.0))
    try:
        found = wait_events(events, lambda ev: any(e["type"] == "final" for e in ev),
                            "the fragment delivered")
        fragment = next(e["text"] for e in found if e["type"] == "final")
        assert typing_window.wait_for(fragment, LONG_S) == fragment  # typed (before the event)
        env = {**os.environ, "DISPLAY": xdisplay}
        subprocess.run(["xdotool", "type", "X"], env=env, check=True, timeout=LONG_S)
        assert typing_window.wait_for(fragment + "X", LONG_S) == fragment + "X"
        line = d.line(LONG_S)
        assert d.proc.wait(LONG_S) == 0, d.stderr
    finally:
        if d.proc.poll() is None:
            d.stop()
    one_sentence(line)
    found = read_events(events)
    assert any(e["type"] == "revise" for e in found), found  # it was joined
    assert applied(found) == [line]
    # The window kept the fragment and the user's key, and got the rest of the words after.
    got = typing_window.content()
    assert got.startswith(fragment + "X "), got
    assert norm(got).endswith("friday") and norm(got).count("meeting") == 1, got


# Each line one utterance: the pause after it (1.2 s) ends it, as a speaker's would.
LETTER = [
    "Dear Sam, comma, new line.",
    "Thank you for the photos from the trip, period.",
    "The one from the lake is my favorite, exclamation mark.",
    "I will send you mine on Monday.",
    "Scratch that.",
    "Did Xiomara take the others, question mark.",
    "New paragraph.",
    "See you soon.",
]
EXPECTED = ("Dear Samantha,\nThank you for the pictures from the trip. The one from the lake is "
            "my favorite! Did Xiomara take the others?\n\nSee you soon")
# The user's own command: it writes what it was given, one line per utterance, to a file the
# test reads, and changes a word, so that both its input and its effect are seen.
POST = """import sys
text = sys.stdin.read()
with open(sys.argv[1], "a") as seen:
    seen.write(repr(text) + "\\n")
sys.stdout.write(text.replace("photos", "pictures"))
"""


def dictate_letter(tmp_path: Path, say: Callable[..., Path], join: Callable[..., Path],
                   typer: str, base_env: dict[str, str] | None = None, **env: str) -> Daemon:
    """The letter dictated at real time with the local engine, typed with ``typer``, to the
    end of the file (asserted to be a clean exit)."""
    wav = join(*(say(line, pad=(0.3, 1.2)) for line in LETTER))
    fixes = tmp_path / "fixes.toml"
    fixes.write_text('Sam = "Samantha"\n')
    post, seen = tmp_path / "post.py", tmp_path / "seen.txt"
    post.write_text(POST)
    d = Daemon(None, "--input", str(wav), "--engine", "local", "--output", "type",
               "--typer", typer, "--vocabulary", "Xiomara", "--replacements", str(fixes),
               "--post-command", f"{sys.executable} {post} {seen}",
               "--spool-dir", str(tmp_path / "spool"), base_env=base_env, HF_HUB_OFFLINE="1",
               XDG_STATE_HOME=str(tmp_path / "state"), **env)
    try:
        code = d.proc.wait(LONG_S)  # the file's end ends the run, once all is delivered
    finally:
        if d.proc.poll() is None:
            d.stop()
    assert code == 0, d.stderr
    assert "Traceback" not in d.stderr
    return d


def check_letter(text: str, tmp_path: Path, stderr: str) -> None:
    """The window holds the letter; the post-processing command saw words, never commands."""
    # The last sentence's end is the model's to choose: tiny.en often hears "See you soon!".
    assert text[:-1] == EXPECTED and text[-1] in ".!", f"{text!r}\n{stderr}"
    # The post-processing command had each utterance's words; commands never reach it.
    given = (tmp_path / "seen.txt").read_text().lower()
    assert "photos" in given and "xiomara" in given, given
    for command in ("comma", "period", "exclamation", "question mark", "scratch",
                    "paragraph", "new line"):
        assert command not in given, given


@pytest.mark.realtime
def test_a_letter_with_commands_arrives_as_the_letter(
        tmp_path: Path, xdisplay: str, typing_window: TextWindow, say: Callable[..., Path],
        join: Callable[..., Path]) -> None:
    d = dictate_letter(tmp_path, say, join, "xdotool", DISPLAY=xdisplay)
    check_letter(typing_window.content(), tmp_path, d.stderr)
