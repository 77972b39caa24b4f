"""A short letter dictated with spoken commands, for real: `dictation run` at real time with
the local engine (the bundled tiny.en) on speech from festival's natural voice, typing with
xdotool into a Tk window under Xvfb. Commands become punctuation and line breaks, "scratch
that" takes back the utterance before it over what was typed, the user's vocabulary spells a
rare name, a replacement fixes a word, and the user's post-processing command sees every
utterance but never a command."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import Daemon, _need
from test_typer import TextWindow

# Generous bounds on a loaded two-core machine; every wait ends on its event long before.
LONG_S = 180.0
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


@pytest.fixture
def window(xdisplay: str) -> Iterator[TextWindow]:
    for tool in ("xdotool", "xinput", "xmodmap"):
        _need(tool)
    w = TextWindow(xdisplay)
    yield w
    w.close()


@pytest.mark.realtime
def test_a_letter_with_commands_arrives_as_the_letter(
        tmp_path: Path, xdisplay: str, window: TextWindow, say: Callable[..., Path],
        join: Callable[..., Path]) -> None:
    wav = join(*(say(line, pad=(0.3, 1.2)) for line in LETTER))
    fixes = tmp_path / "fixes.toml"
    fixes.write_text('Sam = "Samantha"\n')
    post, seen = tmp_path / "post.py", tmp_path / "seen.txt"
    post.write_text(POST)
    d = Daemon(None, "--input", str(wav), "--engine", "local", "--output", "type",
               "--typer", "xdotool", "--vocabulary", "Xiomara", "--replacements", str(fixes),
               "--post-command", f"{sys.executable} {post} {seen}",
               "--spool-dir", str(tmp_path / "spool"), DISPLAY=xdisplay, HF_HUB_OFFLINE="1",
               XDG_STATE_HOME=str(tmp_path / "state"))
    try:
        code = d.proc.wait(LONG_S)  # the file's end ends the run, once all is delivered
    finally:
        if d.proc.poll() is None:
            d.stop()
    assert code == 0, d.stderr
    assert "Traceback" not in d.stderr
    text = window.content()
    # The last sentence's end is the model's to choose: tiny.en often hears "See you soon!".
    assert text[:-1] == EXPECTED and text[-1] in ".!", f"{text!r}\n{d.stderr}"
    # The post-processing command had each utterance's words; commands never reach it.
    given = seen.read_text().lower()
    assert "photos" in given and "xiomara" in given, given
    for command in ("comma", "period", "exclamation", "question mark", "scratch",
                    "paragraph", "new line"):
        assert command not in given, given
