"""Typing into the focused window: real Xvfb, a real Tk window that receives the keys, real
xdotool, xmodmap and xclip, the real CLI; ydotool's real client talking to a recording socket
in place of its daemon.

wtype types into a real compositor in test_wayland.py. ydotool's daemon needs /dev/uinput,
which cannot be had here: its detection and command lines are tested as pure functions, the
line that says how to get the daemon running with real file permissions, and ydotool's
client for real against the recording socket.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import SAMPLE, XServer, _need, dictation_cmd
from procs import Stream, private_tmp, spawn

from dictation.errors import ConfigError, SinkError
from dictation.output import keytools
from dictation.output.choose import typing_sink
from dictation.output.keystrokes import TypeSink
from dictation.output.keytools import (
    Chord,
    KeyTool,
    TyperConfig,
    chord_argv,
    detect_typer,
    parse_chord,
    safe,
    type_argv,
    ydotool_is_v1,
    ydotool_socket,
    ydotool_text,
)
from dictation.output.paste import PasteSink
from dictation.output.sinks import StdoutSink
from dictation.output.xkeymap import SpareKeys, keysym, parse_keymap
from dictation.output.ydotool import YDOTOOL_LEGACY_SOCKET, daemon_fix
from dictation.records import Transcribed

HERE = Path(__file__).resolve().parent
NO_SERVER = "http://127.0.0.1:9/v1"  # the CLI fails at start-up, before any request


def item(seq: int, text: str) -> Transcribed:
    """A piece as the text stage makes it: a space before all but the first."""
    return Transcribed(seq, text, 0.0, 1.0, 0.0, 1.0, lead=" " if seq > 1 else "")


class TextWindow:
    """tests/textwindow.py under the X server: a Tk text field with the input focus."""

    def __init__(self, display: str, *args: str) -> None:
        self.proc = spawn(
            [sys.executable, str(HERE / "textwindow.py"), *args], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, env={**os.environ, "DISPLAY": display})
        self.out = Stream(self.proc.stdout)
        try:
            ready = self.out.line(60)  # generous: Tk starts in a fraction of that
        except AssertionError as err:
            self.close()
            pytest.fail(f"the Tk window did not start or did not get the focus: {err}")
        if ready.strip() != "ready":
            self.close()
            pytest.fail(f"the Tk window did not get the focus: {ready!r}")

    def content(self) -> str:
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"dump\n")
        self.proc.stdin.flush()
        return json.loads(self.out.line(60))

    def wait_for(self, expected: str, timeout: float = 60) -> str:
        """The content once it equals ``expected``, or as it is after ``timeout``."""
        deadline = time.monotonic() + timeout
        while (got := self.content()) != expected and time.monotonic() < deadline:
            time.sleep(0.05)
        return got

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait(5)


@pytest.fixture(autouse=True)
def _tools() -> None:
    for tool in ("xdotool", "xmodmap", "xclip", "Xvfb"):
        _need(tool)


@pytest.fixture
def x_env(xdisplay: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """An X11 session's environment; the process's own, too, since pyperclip reads that."""
    monkeypatch.setenv("DISPLAY", xdisplay)
    for var in ("WAYLAND_DISPLAY", "XDG_SESSION_TYPE", "XDG_CURRENT_DESKTOP"):
        monkeypatch.delenv(var, raising=False)
    return dict(os.environ)


@pytest.fixture
def window(xdisplay: str) -> Iterator[TextWindow]:
    w = TextWindow(xdisplay)
    yield w
    w.close()


def keymap(display: str) -> str:
    return subprocess.run(["xmodmap", "-pk"], capture_output=True, text=True, check=True,
                          env={**os.environ, "DISPLAY": display}).stdout


def clipboard(display: str) -> str:
    return subprocess.run(["xclip", "-o", "-selection", "clipboard"], capture_output=True,
                          text=True, env={**os.environ, "DISPLAY": display}, timeout=10).stdout


def set_clipboard(display: str, text: str) -> None:
    # xclip stays behind to serve the selection: it must not hold our pipes.
    subprocess.run(["xclip", "-selection", "clipboard"], input=text.encode(), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env={**os.environ, "DISPLAY": display}, timeout=10)


async def deliver_all(sink: TypeSink | PasteSink, *texts: str) -> None:
    try:
        for seq, text in enumerate(texts, 1):
            await sink.deliver(item(seq, text))
    finally:
        await sink.aclose()


# --- typing with xdotool into a real window ------------------------------------------------

@pytest.mark.parametrize(("output", "live", "can_live", "says"), [
    ("type", None, True, ""),  # xdotool with the watcher: on by default
    ("type", False, False, ""),
    ("paste", True, False, "--live on has no effect with --output paste"),
])
def test_live_typing_is_on_only_where_typing_can_correct_itself(
        x_env: dict[str, str], caplog: pytest.LogCaptureFixture, output: str,
        live: bool | None, can_live: bool, says: str) -> None:
    caplog.set_level(logging.INFO, logger="dictation")
    sink = typing_sink(output, TyperConfig(tool="xdotool", live=live), x_env)
    try:
        assert getattr(sink, "can_live", False) is can_live
        lines = [r.getMessage() for r in caplog.records if "live" in r.getMessage()]
        assert len(lines) == bool(says) and all(says in x for x in lines), lines
    finally:
        asyncio.run(sink.aclose())


def test_types_utterances_one_space_apart(window: TextWindow, x_env: dict[str, str]) -> None:
    before = keymap(x_env["DISPLAY"])
    sink = typing_sink("type", TyperConfig(), x_env)  # auto: DISPLAY alone means xdotool
    assert sink.tool.name == "xdotool"
    first = "Première phrase: déjà vu, “naïve” Über-Straße!"
    second = "-- starts with dashes? Ça va — 100% ½ € ñ ø å Æ, É & Ø; (a+b)*c ~`^|{}[]@#$"
    asyncio.run(deliver_all(sink, first, second))
    assert window.wait_for(f"{first} {second}") == f"{first} {second}"
    # The spare keys that carried the accented letters are free again.
    assert keymap(x_env["DISPLAY"]) == before


def test_spare_keys_are_reused_when_they_run_out(window: TextWindow,
                                                 x_env: dict[str, str]) -> None:
    # Xvfb has 18 spare keycodes: the second line needs keys the first one holds.
    first, second = "αβγδεζηθικλμνξο ΑΩ", "πρστυφχψω ΠΡΣ"
    sink = typing_sink("type", TyperConfig(tool="xdotool"), x_env)

    async def type_both() -> set[int]:
        await sink.deliver(item(1, first))
        await sink.deliver(item(2, second))
        on_keys = {s for syms in parse_keymap(keymap(x_env["DISPLAY"])).values() for s in syms}
        await sink.aclose()
        return on_keys

    on_keys = asyncio.run(type_both())
    assert {keysym(ch) for ch in second} <= on_keys
    assert window.wait_for(f"{first} {second}") == f"{first} {second}"


def test_spare_keys_are_freed_when_typing_pauses(window: TextWindow, x_env: dict[str, str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keytools, "KEYMAP_IDLE_S", 0.2)
    before = keymap(x_env["DISPLAY"])
    sink = typing_sink("type", TyperConfig(tool="xdotool"), x_env)

    async def type_and_pause() -> str:
        await sink.deliver(item(1, "Grüße"))
        during = keymap(x_env["DISPLAY"])
        await asyncio.sleep(1.0)
        return during

    during = asyncio.run(type_and_pause())
    assert during != before
    assert keymap(x_env["DISPLAY"]) == before
    assert window.wait_for("Grüße") == "Grüße"


def test_hostile_text_never_reaches_the_window(window: TextWindow,
                                               x_env: dict[str, str]) -> None:
    hostile = ("safe\x1b]52;c;SGVsbG8=\x07 text\x1b[31m red\x1b[0m\x08\x08 end\r\nnext\x00"
               "\x9b2J\x1b")
    sink = typing_sink("type", TyperConfig(tool="xdotool"), x_env)
    asyncio.run(deliver_all(sink, hostile, "\x1b[2J\x07"))  # the second is nothing at all
    # A line break stays one: it is what a spoken "new line" types (the text stage makes it;
    # an engine's text never holds one, transcribe/response.py sanitises it). The carriage
    # return and every other control character go.
    got = window.wait_for("safe text red end\nnext")
    assert got == "safe text red end\nnext"
    assert not any(unicodedata.category(ch) == "Cc" for ch in got.replace("\n", ""))


def test_the_cli_types_what_it_prints(window: TextWindow, x_env: dict[str, str]) -> None:
    done = subprocess.run(
        dictation_cmd("run", "--input", str(SAMPLE), "--fast", "--engine", "local",
                      "--output", "stdout", "--output", "type"),
        capture_output=True, text=True, env=x_env, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 2
    assert window.wait_for(" ".join(lines)) == " ".join(lines)


@pytest.mark.real
@pytest.mark.realtime
def test_a_typing_failure_logs_the_text(xserver: XServer, x_env: dict[str, str]) -> None:
    # The X server stops answering mid-run: each utterance fails to type, its text is logged
    # (asked for with --log-text) and its audio kept.
    proc = spawn(
        dictation_cmd("run", "--input", str(SAMPLE), "--engine", "local", "--log-text",
                      "--output", "stdout", "--output", "type"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=x_env)
    out, err = Stream(proc.stdout), Stream(proc.stderr)
    err.wait(lambda text: "listening on" in text, 120, "the daemon starting")
    xserver.hang()
    proc.wait(120)
    lines = out.rest().splitlines()
    errors = err.rest()
    assert len(lines) == 2
    for line in lines:
        assert f"(text: {line!r}; audio kept in " in errors, errors
    assert errors.count("error: could not type: ") == 2, errors
    assert "Traceback" not in errors


# --- paste: the clipboard, the paste keys, and the clipboard restored ------------------------

def test_paste_restores_the_previous_clipboard(window: TextWindow,
                                               x_env: dict[str, str]) -> None:
    display = x_env["DISPLAY"]
    set_clipboard(display, "what was there before")
    sink = typing_sink("paste", TyperConfig(tool="xdotool"), x_env)
    asyncio.run(deliver_all(sink, "Première phrase.", "Zweite “Zeile”"))
    assert window.wait_for("Première phrase. Zweite “Zeile”") == \
        "Première phrase. Zweite “Zeile”"
    assert clipboard(display) == "what was there before"


def test_paste_leaves_a_clipboard_someone_else_changed(window: TextWindow,
                                                       x_env: dict[str, str]) -> None:
    display = x_env["DISPLAY"]
    set_clipboard(display, "what was there before")
    tool = KeyTool(TyperConfig(tool="xdotool"), x_env)
    sink = PasteSink(tool, parse_chord("ctrl+v"), restore_after_s=3.0)

    async def paste_while_another_program_copies() -> None:
        pasting = asyncio.create_task(sink.deliver(item(1, "dictated words")))
        got = await asyncio.to_thread(window.wait_for, "dictated words")
        assert got == "dictated words"
        assert not pasting.done()  # still inside the restore delay
        await asyncio.to_thread(set_clipboard, display, "copied meanwhile")
        await pasting
        await sink.aclose()

    asyncio.run(paste_while_another_program_copies())
    assert clipboard(display) == "copied meanwhile"


def test_paste_keys_for_a_terminal(xdisplay: str, x_env: dict[str, str]) -> None:
    # This window pastes on ctrl+shift+v only, as terminals do; ctrl+v does nothing there.
    terminal = TextWindow(xdisplay, "--paste-on", "<Control-Shift-V>")
    try:
        sink = typing_sink("paste", TyperConfig(tool="xdotool", paste_keys="ctrl+shift+v"),
                           x_env)
        asyncio.run(deliver_all(sink, "ls -la"))
        assert terminal.wait_for("ls -la") == "ls -la"
    finally:
        terminal.close()


# --- start-up errors: one line from the real CLI -------------------------------------------

def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        dictation_cmd("run", "--input", str(SAMPLE), "--fast", "--base-url", NO_SERVER, *args),
        capture_output=True, text=True, env=env, timeout=60)


def one_line(done: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert done.returncode != 0
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1, done.stderr
    assert "Traceback" not in done.stderr
    for needle in needles:
        assert needle in done.stderr, done.stderr


def bare_env(**extra: str) -> dict[str, str]:
    """No graphical session at all."""
    gone = ("DISPLAY", "WAYLAND_DISPLAY", "XDG_SESSION_TYPE", "XDG_CURRENT_DESKTOP",
            "YDOTOOL_SOCKET", "XDG_RUNTIME_DIR")
    return {**{k: v for k, v in os.environ.items() if k not in gone}, **extra}


def path_with(tmp_path: Path, *tools: str) -> str:
    """A PATH holding only ``tools``."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in tools:
        (bin_dir / tool).symlink_to(subprocess.run(
            ["which", tool], capture_output=True, text=True, check=True).stdout.strip())
    return str(bin_dir)


def test_missing_xdotool_names_the_package(xdisplay: str, tmp_path: Path) -> None:
    env = bare_env(DISPLAY=xdisplay, PATH=path_with(tmp_path))
    one_line(run_cli(env, "--output", "type"), "xdotool is not installed",
             "Debian package xdotool", "--typer")


def test_missing_display_is_one_line() -> None:
    one_line(run_cli(bare_env(), "--output", "type", "--typer", "xdotool"),
             "DISPLAY is not set")
    one_line(run_cli(bare_env(DISPLAY=":1999"), "--output", "paste", "--typer", "xdotool"),
             "cannot reach the X display :1999")


def test_missing_clipboard_tool_for_paste(xdisplay: str, tmp_path: Path) -> None:
    env = bare_env(DISPLAY=xdisplay, PATH=path_with(tmp_path, "xdotool", "xmodmap"))
    one_line(run_cli(env, "--output", "paste"), "clipboard unavailable", "xclip")


def test_wtype_needs_a_wayland_session(tmp_path: Path) -> None:
    _need("wtype")
    one_line(run_cli(bare_env(), "--output", "type", "--typer", "wtype"),
             "WAYLAND_DISPLAY is not set")
    # The real wtype, asked to connect to a compositor that is not there.
    env = bare_env(WAYLAND_DISPLAY="wayland-none", XDG_RUNTIME_DIR=str(tmp_path))
    one_line(run_cli(env, "--output", "type"), "wtype cannot type here",
             "Wayland connection failed")


def in_private_tmp(body: str) -> None:
    """Run ``body``, a function of this module, in a mount namespace of its own whose /tmp is
    an empty tmpfs. Debian's ydotool 0.1 knows no socket but /tmp/.ydotool_socket: there, a
    recorder (or its absence) is this test's alone, whatever other tests, other test runs or
    a real ydotoold do with the machine's /tmp."""
    _need("unshare")
    _need("ydotool")
    code = (f"import sys; sys.path.insert(0, {str(HERE)!r}); import test_typer; "
            f"test_typer.{body}()")
    done = subprocess.run(private_tmp([sys.executable, "-c", code]), capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def _ydotool_needs_its_daemon() -> None:
    # No session at all: auto picks ydotool, which works anywhere but needs ydotoold. The
    # line names the fix for what this machine lacks: the daemon's package, /dev/uinput.
    fixes = ["ydotool needs its daemon", "start ydotoold"]
    if shutil.which("ydotoold") is None:
        fixes.append("install the Debian package ydotoold, then")
    if not os.path.exists("/dev/uinput"):
        fixes.append("(sudo modprobe uinput), then start ydotoold")
    one_line(run_cli(bare_env(YDOTOOL_SOCKET="/tmp/none"), "--output", "type"), *fixes)


def test_ydotool_needs_its_daemon() -> None:
    in_private_tmp("_ydotool_needs_its_daemon")


def test_the_fix_for_ydotoold_follows_what_is_missing() -> None:
    """A file of the test's stands in for /dev/uinput: absent, writable, and not writable
    for an unprivileged user (real permissions, through setpriv)."""
    tmp_path = Path(tempfile.mkdtemp())  # pytest's own is not the other user's to reach
    try:
        _uinput_fixes(tmp_path)
    finally:
        shutil.rmtree(tmp_path)


def _uinput_fixes(tmp_path: Path) -> None:
    uinput = tmp_path / "uinput"
    assert daemon_fix(None, str(uinput)) == (
        f"install the Debian package ydotoold, then load the kernel's uinput module for "
        f"{uinput} (sudo modprobe uinput), then start ydotoold")
    uinput.touch(0o600)
    assert daemon_fix("/usr/bin/ydotoold", str(uinput)) == "start ydotoold"
    tmp_path.chmod(0o755)
    code = (f"from dictation.output.ydotool import daemon_fix; "
            f"print(daemon_fix('/usr/bin/ydotoold', {str(uinput)!r}))")
    done = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                           sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, cwd="/")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        f"start ydotoold as root (sudo ydotoold), or let yourself write {uinput} (a udev "
        """rule 'KERNEL=="uinput", GROUP="input", MODE="0660"' and membership in the input """
        "group), then start ydotoold")


def test_bad_paste_keys_is_a_usage_error() -> None:
    done = run_cli(bare_env(), "--output", "paste", "--paste-keys", "ctrl+hyper+v")
    one_line(done, "--paste-keys", "ctrl+hyper+v")
    assert done.returncode == 2


# --- ydotool's real client against a recording socket in place of ydotoold ---------------

# Keys of a US keyboard (linux/input-event-codes.h), to read back what ydotool pressed.
_US = {**{ch: (code, False) for row, first in (("1234567890-=", 2), ("qwertyuiop[]", 16),
                                                ("asdfghjkl;'`", 30), ("zxcvbnm,./", 44))
          for code, ch in enumerate(row, first)},
       **{ch: (code, True) for row, first in (("!@#$%^&*()_+", 2), ("QWERTYUIOP{}", 16),
                                               ('ASDFGHJKL:"~', 30), ("ZXCVBNM<>?", 44))
          for code, ch in enumerate(row, first)},
       " ": (57, False), "\\": (43, False), "|": (43, True)}
_CHAR = {v: k for k, v in _US.items()}
SHIFT = 42


def typed(events: list[tuple[int, int]]) -> str:
    """The text a US keyboard gives for (code, pressed) events."""
    shift, out = False, []
    for code, value in events:
        if code == SHIFT:
            shift = value != 0
        elif value == 1:
            out.append(_CHAR[(code, shift)])
    return "".join(out)


class Recorder:
    """Listens where ydotool looks for ydotoold; keeps the key events each client sent."""

    def __init__(self, v1: bool, path: str) -> None:
        self.v1, self.path = v1, path
        self.sessions: list[list[tuple[int, int]]] = []
        kind = socket.SOCK_DGRAM if v1 else socket.SOCK_STREAM
        self.sock = socket.socket(socket.AF_UNIX, kind)
        self.sock.bind(path)
        if not v1:
            self.sock.listen()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        # 0.1.x: one stream per client of (u16 type, u16 code, s32 value). 1.x: one datagram
        # per struct input_event (timeval, u16 type, u16 code, s32 value), all clients alike.
        with self.sock:
            while True:
                try:
                    if self.v1:
                        data = self.sock.recv(64)
                        if not self.sessions:
                            self.sessions.append([])
                        self.sessions[-1] += self._keys(data, "@llHHi")
                        continue
                    conn, _ = self.sock.accept()
                except OSError:
                    return
                with conn:
                    data = b"".join(iter(lambda c=conn: c.recv(4096), b""))
                self.sessions.append(self._keys(data, "<HHi"))

    @staticmethod
    def _keys(data: bytes, fmt: str) -> list[tuple[int, int]]:
        size = struct.calcsize(fmt)
        events = [struct.unpack(fmt, data[i:i + size]) for i in range(0, len(data), size)]
        return [(e[-2], e[-1]) for e in events if e[-3] == 1]  # EV_KEY

    def keys(self, timeout: float = 5) -> list[tuple[int, int]]:
        """Key events since the last call."""
        deadline = time.monotonic() + timeout
        while not any(self.sessions) and time.monotonic() < deadline:
            time.sleep(0.02)
        if self.v1:  # datagrams: the rest of a text's events may still be on their way
            time.sleep(0.1)
        got = [e for s in self.sessions for e in s]
        self.sessions.clear()
        return got

    def close(self) -> None:
        self.sock.close()
        Path(self.path).unlink(missing_ok=True)


def _ydotool_types_and_presses_keys() -> None:
    help_text = subprocess.run(["ydotool", "help"], capture_output=True, text=True)
    v1 = ydotool_is_v1(help_text.stdout + help_text.stderr)
    ydotoold = Recorder(v1, "/tmp/ydotool.sock" if v1 else YDOTOOL_LEGACY_SOCKET)
    env = bare_env(YDOTOOL_SOCKET=ydotoold.path)
    tool = KeyTool(TyperConfig(tool="ydotool", delay_ms=0), env)
    ydotoold.keys(timeout=0)  # the start-up check connected once, sending nothing
    sink = TypeSink(tool)

    async def run() -> None:
        await sink.deliver(item(1, "Hello, World - “quoted” 42!"))
        assert typed(ydotoold.keys()) == 'Hello, World - "quoted" 42!'
        await sink.deliver(item(2, "-x \\n stays 'as is'"))
        assert typed(ydotoold.keys()) == " -x \\n stays 'as is'"
        with pytest.raises(SinkError, match="--output paste"):
            await sink.deliver(item(3, "café"))
        await tool.press(parse_chord("ctrl+shift+v"))
        assert ydotoold.keys() == [(29, 1), (42, 1), (47, 1), (47, 0), (42, 0), (29, 0)]

    asyncio.run(run())
    assert ydotoold.keys(timeout=0.2) == []  # café sent nothing
    ydotoold.close()


def test_ydotool_types_and_presses_keys() -> None:
    in_private_tmp("_ydotool_types_and_presses_keys")


# --- pure parts: detection, command lines, chords, spacing, spare keys ----------------------

@pytest.mark.parametrize(("env", "tool"), [
    ({"DISPLAY": ":0"}, "xdotool"),
    ({"DISPLAY": ":0", "XDG_SESSION_TYPE": "x11", "WAYLAND_DISPLAY": "wayland-1"}, "xdotool"),
    ({"XDG_SESSION_TYPE": "x11"}, "xdotool"),  # and its check says DISPLAY is missing
    ({"WAYLAND_DISPLAY": "wayland-1", "DISPLAY": ":0", "XDG_CURRENT_DESKTOP": "sway"},
     "wtype"),
    ({"XDG_SESSION_TYPE": "wayland", "XDG_CURRENT_DESKTOP": "Hyprland"}, "wtype"),
    ({"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0", "XDG_CURRENT_DESKTOP": "ubuntu:GNOME"},
     "ydotool"),
    ({"WAYLAND_DISPLAY": "wayland-0", "XDG_CURRENT_DESKTOP": "KDE"}, "ydotool"),
    ({}, "ydotool"),  # a console: only uinput reaches the focused program
])
def test_detect_typer(env: dict[str, str], tool: str) -> None:
    assert detect_typer(env) == tool


def test_type_argv_reads_the_text_from_stdin() -> None:
    assert type_argv("xdotool", 4) == ["xdotool", "type", "--clearmodifiers", "--delay", "4",
                                       "--file", "-"]
    assert type_argv("wtype", 0) == ["wtype", "-"]
    assert type_argv("wtype", 4) == ["wtype", "-d", "4", "-"]
    assert type_argv("ydotool", 4, ydotool_v1=True) == [
        "ydotool", "type", "--key-delay", "4", "--file", "-"]
    assert type_argv("ydotool", 4, ydotool_v1=False) == [
        "ydotool", "type", "--delay", "0", "--key-delay", "4", "--file", "-"]


def test_chord_argv() -> None:
    chord = Chord(("ctrl", "shift"), "v")
    assert chord_argv("xdotool", chord) == ["xdotool", "key", "--clearmodifiers",
                                            "ctrl+shift+v"]
    assert chord_argv("xdotool", Chord(("shift",), "insert")) == [
        "xdotool", "key", "--clearmodifiers", "shift+Insert"]
    assert chord_argv("wtype", chord) == ["wtype", "-M", "ctrl", "-M", "shift", "-k", "v",
                                          "-m", "shift", "-m", "ctrl"]
    assert chord_argv("wtype", Chord(("super",), "v"))[:3] == ["wtype", "-M", "logo"]
    assert chord_argv("ydotool", chord, ydotool_v1=False) == [
        "ydotool", "key", "--delay", "0", "ctrl+shift+v"]
    # ydotool 1.x takes Linux key codes: 29 ctrl, 42 shift, 47 v, 110 insert.
    assert chord_argv("ydotool", chord, ydotool_v1=True) == [
        "ydotool", "key", "29:1", "42:1", "47:1", "47:0", "42:0", "29:0"]
    assert chord_argv("ydotool", Chord(("shift",), "insert"), ydotool_v1=True) == [
        "ydotool", "key", "42:1", "110:1", "110:0", "42:0"]


def test_parse_chord() -> None:
    assert parse_chord("ctrl+v") == Chord(("ctrl",), "v")
    assert parse_chord(" Control+Shift+V ") == Chord(("ctrl", "shift"), "v")
    assert parse_chord("shift+insert") == Chord(("shift",), "insert")
    for bad in ("", "ctrl+", "ctrl+ctrl+v", "hyper+v", "ctrl+F5", "v+ctrl", "ctrl+é"):
        with pytest.raises(ConfigError):
            parse_chord(bad)


def test_ydotool_versions_and_sockets() -> None:
    v1_help = ("Usage: ydotool <cmd> <args>\nAvailable commands:\n  click\n  mousemove\n  type\n"
               "  key\n  debug\n  bakers\nUse environment variable YDOTOOL_SOCKET to specify "
               "daemon socket.\n")
    assert ydotool_is_v1(v1_help)
    installed = subprocess.run(["ydotool", "help"], capture_output=True, text=True)
    if "recorder" in installed.stdout + installed.stderr:  # Debian 12's 0.1.8
        assert not ydotool_is_v1(installed.stdout + installed.stderr)
    assert ydotool_socket({"YDOTOOL_SOCKET": "/s", "XDG_RUNTIME_DIR": "/r"}, v1=True) == "/s"
    assert ydotool_socket({"XDG_RUNTIME_DIR": "/r"}, v1=True) == "/r/.ydotool_socket"
    assert ydotool_socket({}, v1=True) == "/tmp/.ydotool_socket"
    assert ydotool_socket({"YDOTOOL_SOCKET": "/s"}, v1=False) == "/tmp/.ydotool_socket"


def test_ydotool_text_is_ascii() -> None:
    assert ydotool_text("“Quoted” — it’s…") == "\"Quoted\" - it's..."
    with pytest.raises(SinkError, match="'é'"):
        ydotool_text("café")


def test_what_is_typed_of_a_piece() -> None:
    # Its lead, then its text sanitised line by line: line breaks said as commands stay.
    assert safe(item(2, "Dear Sam,\n\nThe\x1b[31m one\x07")) == " Dear Sam,\n\nThe one"
    assert safe(Transcribed(3, "\nThank you.", 0, 1, 0, 1)) == "\nThank you."
    assert safe(item(2, "\x1b[2J\x07")) == ""
    assert safe(Transcribed(4, "\n\n", 0, 1, 0, 1)) == "\n\n"  # "New paragraph." alone


LISTING = """There are 7 KeySyms per KeyCode; KeyCodes range from 8 to 255.

    KeyCode\tKeysym (Keysym)\t...
    Value  \tValue   (Name) \t...

      8    \t
     38    \t0x0061 (a)\t0x0041 (A)\t0x0061 (a)\t0x0041 (A)\t
     65    \t0x0020 (space)\t0x0000 (NoSymbol)\t0x0020 (space)\t
     93    \t
     94    \t0x003c (less)\t0x0000 (NoSymbol)\t0x003e (greater)\t
     97    \t
    103    \t
    120    \t0x100201c (U201C)\t0x0000 (NoSymbol)\t0x100201c (U201C)\t
"""


def test_spare_keys_plan() -> None:
    keymap = parse_keymap(LISTING)
    assert keymap[38] == (0x61, 0x41, 0x61, 0x41)
    assert keymap[94] == (0x3C, 0x3E)
    assert keymap[8] == ()
    spare = SpareKeys()
    # a and “ are on keys already; ü gets ü and Ü on one key; the lowest free (8) stays free.
    assert spare.bind(keymap, "a “ü”") == ["-e", "keycode 93 = U00FC U00DC", "-e",
                                           "keycode 97 = U201D"]
    assert spare.ours == {93: (0xFC, 0xDC), 97: (0x100201D,)}
    keymap[93], keymap[97] = (0xFC, 0xDC, 0xFC, 0xDC), (0x100201D, 0x100201D)
    assert spare.bind(keymap, "ü") == []  # already there
    # A line break said as a command is Return to xdotool, never a key to bind: xmodmap
    # refuses the name U000A, which failed typing altogether.
    assert spare.bind(keymap, "ü\n\tü") == []
    # Room runs out: the key this text does not use (”) is reused; ü's stays.
    assert spare.bind(keymap, "üßø") == ["-e", "keycode 97 = U00DF",
                                        "-e", "keycode 103 = U00F8 U00D8"]
    assert spare.ours == {93: (0xFC, 0xDC), 97: (0xDF,), 103: (0xF8, 0xD8)}
    keymap[97], keymap[103] = (0xDF,), (0xF8, 0xD8)
    keymap[93] = (0x61,)  # someone else took 93 meanwhile: it is no longer ours to free
    assert spare.unbind(keymap) == ["-e", "keycode 97 =", "-e", "keycode 103 ="]
    assert spare.ours == {}


def test_stdout_prints_a_line_per_piece_and_a_paragraph_break_as_an_empty_line() -> None:
    out = io.StringIO()
    sink = StdoutSink(out)
    for n, text in enumerate(["Dear Sam,\n", "\n", "Thank you.", "\n\n", "See you soon."]):
        asyncio.run(sink.deliver(Transcribed(n, text, 0, 1, 0, 1)))
    assert out.getvalue() == "Dear Sam,\nThank you.\n\nSee you soon.\n"
