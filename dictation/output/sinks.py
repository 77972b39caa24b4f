"""Where finished text goes. Every sink has one shape: ``await sink.deliver(item)``."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
from typing import TYPE_CHECKING, Protocol, TextIO

from dictation.env import child_env
from dictation.errors import SinkError
from dictation.records import Transcribed

if TYPE_CHECKING:
    from dictation.output.keytools import TyperConfig

OUTPUTS = ("stdout", "clipboard", "type", "paste")
CLIPBOARD_MODES = ("replace", "append")


class Sink(Protocol):
    name: str

    async def deliver(self, item: Transcribed) -> None: ...


class StdoutSink:
    """One line per utterance, flushed at once: stdout carries nothing but transcript."""

    name = "stdout"

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stdout

    async def deliver(self, item: Transcribed) -> None:
        try:
            self._stream.write(item.text + "\n")
            self._stream.flush()
        except (BrokenPipeError, ValueError):
            raise SinkError("stdout was closed; stopping") from None


class ClipboardSink:
    """The system clipboard via pyperclip (xclip/xsel on X11, wl-clipboard on Wayland).

    ``replace`` (default): the clipboard holds the newest utterance, ready to paste after each
    one, and stays small in a daemon that runs all day. ``append``: it holds everything said
    since start, joined by spaces, for pasting a whole dictated passage at once.
    """

    name = "clipboard"

    def __init__(self, mode: str = "replace") -> None:
        import pyperclip

        self._mode = mode
        self._session = ""
        try:
            pyperclip.paste()  # fails now, with a reason, if no clipboard tool can run
        except pyperclip.PyperclipException:
            raise SinkError("clipboard unavailable: needs xclip or xsel with an X display "
                            "(DISPLAY), or wl-clipboard on Wayland") from None

    async def deliver(self, item: Transcribed) -> None:
        text = item.text
        self._session = f"{self._session} {text}".strip() if self._mode == "append" else text
        await asyncio.to_thread(self._copy, self._session)

    @staticmethod
    def _copy(text: str) -> None:
        # xclip, xsel and wl-copy stay alive to serve the selection and inherit stdout and
        # stderr; run pyperclip in a child with its own stdio so our pipes can still close.
        # Its stderr goes to a file, not a pipe: a pipe would stay open as long as xclip.
        with tempfile.TemporaryFile() as err:
            done = subprocess.run([sys.executable, "-c", _COPY], input=text.encode(),
                                  stdout=subprocess.DEVNULL, stderr=err, check=False,
                                  env=child_env())
            if done.returncode:
                err.seek(0)
                lines = err.read().decode(errors="replace").strip().splitlines() or ["?"]
                raise SinkError(f"clipboard write failed: {lines[-1]}")


_COPY = "import sys, pyperclip; pyperclip.copy(sys.stdin.buffer.read().decode())"


def make_sink(name: str, clipboard_mode: str, typer: TyperConfig) -> Sink:
    """An output by name (one of OUTPUTS); the typing tools are checked as they are made."""
    if name == "stdout":
        return StdoutSink()
    if name == "clipboard":
        return ClipboardSink(clipboard_mode)
    from dictation.output.keystrokes import typing_sink

    return typing_sink(name, typer, os.environ)
