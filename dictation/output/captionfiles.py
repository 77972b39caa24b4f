"""Caption files of a whole session (``run --srt FILE``, ``--vtt FILE``), written as it goes.

Each piece of text appends its cues in one write, then the file is flushed and synced: a
player or a ``tail`` sees a valid SRT or WebVTT file after every piece, and a crash loses at
most the piece being written. Times are seconds since capture started, from the audio itself.
A revised piece (a fragment joined with its continuation, "scratch that") has its cues cut off
and written again, in the same way: the file is valid after each step.

An existing file is replaced when the run starts: SRT numbering restarts with each file, so a
session cannot be appended to an older one.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from dataclasses import replace
from pathlib import Path

from dictation.errors import ConfigError, SinkError
from dictation.output.subtitles import Cue, heard_cues, srt_cue, vtt_cue, vtt_header
from dictation.records import Revised, Transcribed
from dictation.text.assemble import MAX_PIECES  # pieces whose cues can be rewritten

FORMATS = ("srt", "vtt")


class CaptionFile:
    """A sink that appends an utterance's cues to an SRT or WebVTT file."""

    final_only = False

    def __init__(self, path: Path, fmt: str) -> None:
        """Create (or empty) the file now, so a bad path is reported before the run starts."""
        if fmt not in FORMATS:
            raise ValueError(fmt)
        self.name = f"{fmt} file"
        self.path = path
        self.fmt = fmt
        self._index = 0  # SRT cues written
        self._end = 0.0  # where the last cue ended: cues never go back or overlap
        try:
            self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o666)
        except OSError as err:
            raise ConfigError(f"cannot write {fmt.upper()} captions to {path}: "
                              f"{err.strerror or err}") from None
        self._size = 0
        self._marks: list[tuple[int, int, int, float]] = []  # (seq, size, index, end) before it
        if fmt == "vtt":
            self._write(vtt_header())

    async def deliver(self, item: Transcribed) -> None:
        self._marks.append((item.seq, self._size, self._index, self._end))
        del self._marks[:-MAX_PIECES]
        text, count, end = self._cues(item)
        if text:
            await asyncio.to_thread(self._write, text)
            self._index, self._end = self._index + count, end

    async def revise(self, rev: Revised) -> None:
        """Cut the file back to before the piece's cues and write them anew (or none)."""
        at = next((i for i in range(len(self._marks) - 1, -1, -1)
                   if self._marks[i][0] == rev.seq), None)
        if at is None:
            return
        _, size, index, end = self._marks[at]
        del self._marks[at:]  # the pieces after it were taken back already
        self._index, self._end = index, end
        if not rev.retracted:
            self._marks.append((rev.seq, size, index, end))
        text, count, last = self._cues(rev.item) if not rev.retracted else ("", 0, end)
        await asyncio.to_thread(self._rewrite, size, text)
        self._index, self._end = index + count, last

    def _cues(self, item: Transcribed) -> tuple[str, int, float]:
        """The piece's cues as text, how many, and where the last ends."""
        if item.recovered:  # timed from a session that died: no place in this one
            return "", 0, self._end
        cues = [c for c in map(self._after, heard_cues(item)) if c.text.strip()]
        if not cues:
            return "", 0, self._end
        if self.fmt == "srt":
            text = "".join(srt_cue(self._index + i, c) for i, c in enumerate(cues, 1))
        else:
            text = "".join(map(vtt_cue, cues))
        return text, len(cues), cues[-1].end

    def _after(self, cue: Cue) -> Cue:
        """The cue moved to start no earlier than the last one written ended (an utterance's
        pre-roll may reach back into the one before)."""
        if cue.start >= self._end:
            return cue
        start = self._end
        return replace(cue, start=start, end=max(cue.end, round(start + 0.001, 3)))

    def _write(self, text: str) -> None:
        data = memoryview(text.encode())
        try:
            while data:
                data = data[os.write(self._fd, data):]
            os.fsync(self._fd)
            self._size = os.lseek(self._fd, 0, os.SEEK_CUR)
        except OSError as err:
            # Cut back to the last whole cue so the file stays valid (e.g. after a full disk).
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, self._size)
                os.lseek(self._fd, self._size, os.SEEK_SET)
            raise SinkError(f"cannot write captions to {self.path}: "
                            f"{err.strerror or err}") from None

    def _rewrite(self, size: int, text: str) -> None:
        """Cut the file to ``size`` (a cue boundary), synced, then write ``text``."""
        try:
            os.ftruncate(self._fd, size)
            os.lseek(self._fd, size, os.SEEK_SET)
            os.fsync(self._fd)
        except OSError as err:
            raise SinkError(f"cannot rewrite captions in {self.path}: "
                            f"{err.strerror or err}") from None
        self._size = size
        if text:
            self._write(text)

    def close(self) -> None:
        if self._fd >= 0:
            with contextlib.suppress(OSError):  # the last write already reported it
                os.close(self._fd)
            self._fd = -1

    async def aclose(self) -> None:
        self.close()


def open_caption_files(srt: Path | None, vtt: Path | None) -> list[CaptionFile]:
    """The caption files asked for, created and empty (VTT: its header); one line if not."""
    asked = [(p.expanduser(), fmt) for p, fmt in ((srt, "srt"), (vtt, "vtt")) if p]
    if len(asked) == 2 and asked[0][0].resolve() == asked[1][0].resolve():
        raise ConfigError(f"--srt and --vtt name the same file: {asked[0][0]}")
    for path, _fmt in asked:
        if str(path) == "-":
            raise ConfigError(f"--{_fmt} needs a file name, not -")
    files: list[CaptionFile] = []
    try:
        for path, fmt in asked:
            files.append(CaptionFile(path, fmt))
    except ConfigError:
        for f in files:
            f.close()
        raise
    return files
