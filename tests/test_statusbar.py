"""The status bar formats (pure): each state of the daemon to its line, and text from the
daemon made safe for a bar."""

from __future__ import annotations

import json

import pytest

from dictation.control.statusbar import CLASSES, MAX_FIELD, classify, render


def _status(state: str, **extra: object) -> dict[str, object]:
    return {"mode": "toggle", "state": state, "listening": state != "idle",
            "engine": "local tiny.en", "backlog": 0, "delivered": 3, "last_error": None,
            "language": None, **extra}


@pytest.mark.parametrize(("state", "cls", "alt", "text"), [
    ("idle", "off", "idle", "idle"),
    ("listening", "listening", "listening", "listening"),
    ("hearing speech", "recording", "recording", "recording"),
    ("transcribing", "transcribing", "transcribing", "transcribing"),
    ("retrying", "retrying", "retrying", "retrying"),
    ("waiting for microphone", "error", "error", "waiting for microphone"),
    ("capture stopped: spool full", "error", "error", "capture stopped: spool full"),
])
def test_each_state_has_its_waybar_line(state: str, cls: str, alt: str, text: str) -> None:
    line = render(_status(state), "waybar")
    assert "\n" not in line
    shown = json.loads(line)
    assert shown == {"text": text, "class": cls, "alt": alt,
                     "tooltip": f"toggle: {state} · backlog 0 · local tiny.en · "
                                "last error: none"}
    assert cls in CLASSES
    assert render(_status(state), "bar") == text


def test_no_daemon_is_off_in_every_format() -> None:
    assert json.loads(render(None, "waybar")) == {
        "text": "off", "class": "off", "alt": "stopped",
        "tooltip": "dictation is not running"}
    assert json.loads(render(None, "json")) == {"daemon": False, "state": "off"}
    assert render(None, "bar") == "off"
    assert render(None, "line") == "dictation is not running"


def test_json_is_the_status_object_with_daemon_true() -> None:
    st = _status("listening", spool_bytes=0, spool_seconds=0.0, spool_max_bytes=10)
    assert json.loads(render(st, "json")) == {"daemon": True, **st}
    assert render(st, "line").startswith("toggle: listening · backlog 0")


def test_backlog_shows_when_more_than_one_utterance_waits() -> None:
    assert classify(_status("transcribing", backlog=1))[2] == "transcribing"
    assert classify(_status("transcribing", backlog=3))[2] == "transcribing (3)"
    assert classify(_status("retrying", backlog=2))[2] == "retrying (2)"


def test_text_from_a_server_is_stripped_escaped_and_bounded() -> None:
    hostile = ("\x1b]0;owned\x07<b>bad</b> & \x1b[31mred\u202e\x00" + "x" * 5000)
    st = _status("retrying", last_error=hostile, engine="api\nwhisper-1\r")
    shown = json.loads(render(st, "waybar"))
    tip = shown["tooltip"]
    assert not any(ord(c) < 32 or c == "\u202e" for c in tip), repr(tip[:80])
    assert "owned" not in tip and "<b>" not in tip
    assert "&lt;b&gt;bad&lt;/b&gt; &amp; red" in tip  # Pango markup stays text
    assert "api whisper-1 ·" in tip
    assert len(tip) < 3 * MAX_FIELD
    plain = json.loads(render(st, "json"))
    assert len(plain["last_error"]) == MAX_FIELD and plain["last_error"].endswith("…")
    assert plain["last_error"].startswith("<b>bad</b> & red")


def test_an_unknown_state_is_an_error_named_briefly() -> None:
    cls, alt, text = classify(_status("\x1b[2J" + "melted " * 40))
    assert (cls, alt) == ("error", "error")
    assert text.startswith("melted melted") and len(text) <= 40 and "\x1b" not in text


def test_a_status_of_another_shape_still_gives_a_line() -> None:
    shown = json.loads(render({"state": "listening"}, "waybar"))
    assert shown["class"] == "listening" and shown["tooltip"] == "dictation: listening"
