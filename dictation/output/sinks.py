"""Where finished text goes. Every sink has one shape (Sink): ``await sink.deliver(item)``,
one piece of text at a time, and ``aclose``. A sink that can change what it shows is a
RevisableSink (``await sink.revise(rev)``, dictation.records.Revised); one that cannot sets
``final_only`` and is handed each piece only once it is final (deliver/finality.py). Typing
that types the words of the sentence still spoken is a LiveSink."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable
from typing import Protocol, TextIO, runtime_checkable

from dictation.env import child_env
from dictation.errors import SinkError
from dictation.records import LiveTyped, Revised, Transcribed
from dictation.text.assemble import MAX_PIECES  # pieces a sink keeps to change them

OUTPUTS = ("stdout", "clipboard", "type", "paste")
CLIPBOARD_MODES = ("replace", "append")


class Sink(Protocol):
    name: str
    final_only: bool
    """It cannot change what it showed: it is handed each piece once final. Otherwise it is a
    RevisableSink, handed each piece at once and every change after."""

    async def deliver(self, item: Transcribed) -> None: ...

    async def aclose(self) -> None:
        """Frees what it holds (keys it bound, files it writes); the run's end calls it."""


class RevisableSink(Sink, Protocol):
    async def revise(self, rev: Revised) -> None: ...


@runtime_checkable
class LiveSink(RevisableSink, Protocol):
    """Typing that can also type an utterance's words while it is spoken (deliver/live.py),
    when ``can_live``; ``report`` hears what it typed and deleted."""

    can_live: bool
    report: Callable[[LiveTyped], None]

    async def live(self, seq: int, piece: str) -> None: ...

    def absorb(self, seq: int) -> None: ...

    async def settle(self, seq: int | None) -> None: ...


def typing_live(sinks: Iterable[object]) -> list[LiveSink]:
    """The sinks that type words while they are spoken."""
    return [s for s in sinks if isinstance(s, LiveSink) and s.can_live]


class StdoutSink:
    """One line per piece of text once it is final, flushed at once: stdout carries nothing
    but transcript, and never a line that a join or a correction would have changed."""

    name = "stdout"
    final_only = True

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stdout

    async def deliver(self, item: Transcribed) -> None:
        # Each piece is a line already: line breaks said at its ends need no line of their
        # own, but a new paragraph said alone is the empty line between two paragraphs.
        line = item.text.strip("\n")
        if not line.strip():
            if item.text.count("\n") < 2:
                return
            line = ""
        try:
            self._stream.write(line + "\n")
            self._stream.flush()
        except (BrokenPipeError, ValueError):
            raise SinkError("stdout was closed; stopping") from None

    async def aclose(self) -> None:
        pass


class ClipboardSink:
    """The system clipboard via pyperclip (xclip/xsel on X11, wl-clipboard on Wayland).

    ``replace`` (default): the clipboard holds the newest piece of text, ready to paste after
    each one, and stays small in a daemon that runs all day. ``append``: it holds everything
    said since start, for pasting a whole dictated passage at once. Either follows revisions:
    a fragment joined with its continuation, a piece taken back.
    """

    name = "clipboard"
    final_only = False

    def __init__(self, mode: str = "replace") -> None:
        import pyperclip

        self._mode = mode
        self._older = ""  # append: the session's text before the pieces kept
        self._pieces: list[tuple[int, str]] = []  # (seq, piece with its lead), newest last
        try:
            pyperclip.paste()  # fails now, with a reason, if no clipboard tool can run
        except pyperclip.PyperclipException:
            raise SinkError("clipboard unavailable: needs xclip or xsel with an X display "
                            "(DISPLAY), or wl-clipboard on Wayland") from None

    async def deliver(self, item: Transcribed) -> None:
        self._pieces.append((item.seq, item.piece))
        if len(self._pieces) > MAX_PIECES:
            self._older += self._pieces.pop(0)[1] if self._mode == "append" else ""
        await self._show()

    async def revise(self, rev: Revised) -> None:
        for i in range(len(self._pieces) - 1, -1, -1):
            if self._pieces[i][0] == rev.seq:
                if rev.retracted:
                    del self._pieces[i]
                else:
                    self._pieces[i] = (rev.seq, rev.new)
                await self._show()
                return

    async def aclose(self) -> None:
        pass  # what it put on the clipboard stays there

    async def _show(self) -> None:
        if self._mode == "append":
            text = (self._older + "".join(p for _, p in self._pieces)).strip(" ")
        else:
            text = self._pieces[-1][1].strip(" ") if self._pieces else ""
        await self.copy(text)

    async def copy(self, text: str) -> None:
        """Put ``text`` on the clipboard as it is."""
        await asyncio.to_thread(self._copy, text)

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
