"""The durable side of delivery: each utterance is written to the spool before anything is
sent and removed once its text is delivered; capture stops while the spool is at its bound;
audio that never became text is kept for the user."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from dictation.deliver.spool import Adopted, Spool
from dictation.deliver.spoolfile import (
    MAX_DEATHS,
    clear_in_flight,
    keep_audio,
    load,
    mark_in_flight,
)
from dictation.records import Heard, Speech

log = logging.getLogger("dictation")

RESUME_FRACTION = 0.75  # a full spool resumes capture once drained below this share of it


class Keeper:
    def __init__(self, spool: Spool | None, keep_dir: Path, *, error: Callable[[str], None],
                 resumed: Callable[[], None]) -> None:
        self.spool = spool  # None: no durable copies (files are their own copy)
        self.keep_dir = keep_dir
        self.kept: list[Path] = []
        self.paused = False  # capture stopped: the spool is full
        self._paused_at = 0.0
        self._error = error  # reported: logged and shown as the last error
        self._resumed = resumed  # capture may go on

    def add(self, item: Speech) -> Speech:
        """Write a new utterance to the spool before anything is sent; check the bound."""
        if self.spool is None:
            return item
        meta = {"start_s": item.start_s, "end_s": item.end_s, "snr_db": item.heard.snr_db,
                "speech_share": item.heard.speech_share, "speech_start_s": item.speech_start_s,
                "speech_end_s": item.speech_end_s}
        try:
            path = self.spool.add(item.seq, item.pcm.astype("<i2").tobytes(), meta)
        except OSError as err:
            self._error(f"cannot write utterance {item.seq} to the spool {self.spool.root}: "
                        f"{err.strerror or err}; it is held in memory only")
            return item
        self.check_bound()
        return replace(item, spooled=path)

    def reload(self, path: Path, seq: int, generation: int) -> Speech | None:
        """A dead run's utterance, read back from its spool file; None if it cannot be read,
        or was in flight in too many runs that died: then it is set aside."""
        try:
            pcm, meta = load(path)
        except (OSError, ValueError) as err:
            self._error(f"cannot read spooled utterance {path}: {err}; left where it is")
            return None
        if (deaths := int(meta.get("deaths", 0))) >= MAX_DEATHS:
            self._set_aside_poisoned(path, pcm, deaths)
            return None
        samples = np.frombuffer(pcm, "<i2").astype(np.int16)
        return Speech(seq, meta.get("start_s", 0.0), meta.get("end_s", 0.0), samples,
                      time.monotonic(),
                      Heard(meta.get("snr_db", 99.0), meta.get("speech_share", 1.0)),
                      meta.get("speech_start_s", 0.0), meta.get("speech_end_s", 0.0),
                      generation=generation, spooled=path, recovered=True)

    def _set_aside_poisoned(self, path: Path, pcm: bytes, deaths: int) -> None:
        try:
            kept = keep_audio(pcm, self.keep_dir)
        except OSError as err:
            self._error(f"{path} was being transcribed when {deaths} runs died; it could not "
                        f"be set aside in {self.keep_dir} ({err.strerror or err}), so it is "
                        "left where it is and not sent")
            return
        if self.spool is not None:
            self.spool.remove(path)
        self.kept.append(kept)
        log.warning("%s was being transcribed when %d runs died: not sent again; its audio is "
                    "kept in %s", path, deaths, kept)

    @contextlib.contextmanager
    def in_flight(self, item: Speech) -> Iterator[None]:
        """While ``item`` is transcribed and delivered, a mark on disk says so: a run that
        dies meanwhile leaves it, and the next start counts the death (spoolfile.py)."""
        path = item.spooled if self.spool is not None else None
        if path is not None:
            with contextlib.suppress(OSError):  # no mark costs only the count
                mark_in_flight(path)
        try:
            yield
        finally:
            if path is not None:
                clear_in_flight(path)

    def remove(self, item: Speech) -> None:
        """Its text was delivered, or it was cancelled: drop its durable copy."""
        if self.spool is not None and item.spooled is not None:
            try:
                self.spool.remove(item.spooled)
            except OSError as err:
                self._error(f"cannot remove {item.spooled} from the spool: "
                            f"{err.strerror or err}")
            self.check_bound()

    def check_bound(self) -> None:
        """Stop capture when the spool reaches its bound, loudly; resume once it drained."""
        sp = self.spool
        if sp is None or not sp.max_bytes:
            return
        mb = sp.bytes / 1e6
        if not self.paused and sp.bytes >= sp.max_bytes:
            self.paused = True
            self._paused_at = time.monotonic()
            self._error(f"the spool {sp.root} is full ({mb:.1f} MB, --spool-max "
                        f"{sp.max_bytes / 1e6:g}): capture stopped; nothing said now is "
                        "recorded until the backlog drains")
        elif self.paused and sp.bytes < sp.max_bytes * RESUME_FRACTION:
            self.paused = False
            log.warning("capture resumed: the spool is down to %.1f MB (stopped for %.0f s)",
                        mb, time.monotonic() - self._paused_at)
            self._resumed()

    def recovered(self, sessions: Sequence[Adopted]) -> None:
        """At the start: one line per dead run whose utterances are delivered first."""
        for session in sessions:
            log.warning("recovered %d utterance(s) from a run that ended at %s; delivering "
                        "them first", len(session.entries),
                        time.strftime("%H:%M:%S", time.localtime(session.ended)))

    def report(self, expired: float | None = None) -> int:
        """At the end of a run: one line for the audio kept, one for what waits in the spool
        (``expired``: the stop grace that ran out first); how many utterances wait."""
        if self.kept:
            log.warning("%d utterance(s) not delivered; their audio is kept in %s",
                        len(self.kept), self.keep_dir)
        left = self.spool.count if self.spool else 0
        if left and self.spool:
            why = "" if expired is None else f"no text within --stop-grace {expired:g} s: "
            log.warning("%s%d utterance(s) wait in the spool %s; they will be transcribed at "
                        "the next start", why, left, self.spool.root)
        return left

    def hold(self, item: Speech) -> None:
        """Its text is not coming in this run: it waits in the spool for the next start, or,
        with no durable copy there, is kept now."""
        if item.spooled is None:
            self.keep(item)

    def set_aside(self, item: Speech) -> str:
        """It can never become text: its audio moves to the keep directory; where, as the end
        of a message."""
        path = self.keep(item)
        self.remove(item)
        return f"; audio kept in {path}" if path else ""

    def keep(self, item: Speech) -> Path | None:
        """Set its audio aside in the keep directory; where, or None if that failed."""
        try:
            path = keep_audio(item.pcm.astype("<i2").tobytes(), self.keep_dir)
        except OSError as err:
            self._error(f"could not keep the audio of utterance {item.seq} in "
                        f"{self.keep_dir}: {err.strerror or err}")
            return None
        self.kept.append(path)
        return path
