"""Utterances on disk until their text is delivered, so none is lost to a crash or an outage.

Layout under the spool directory (0700, files 0600)::

    spool/
      20250102-140203.123456-4242/   one session per process, locked (flock) for its life
        lock
        000001.wav                    utterance 1: a WAV with its times in a 'dict' chunk
        000002.wav
        000002.flight                 utterance 2 is being transcribed and delivered now

Each utterance is written atomically (temporary file, fsync, rename, fsync of the directory)
before it is sent, and removed once every sink has its text. A session whose lock is free
belongs to a process that died: the next start adopts it and delivers its utterances first,
oldest session first. A daemon and a `dictation run --input FILE` in another terminal each
have their own session, so neither takes the other's work.

Audio that can never become text (refused by the server, or given up on) is moved to the
``unsent`` directory as a plain WAV: the dead letters, kept for the user. So is an utterance
that was in flight when three runs died: a ``.flight`` mark left by a dead session counts one
death into the utterance's metadata when the session is adopted (spoolfile.py).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from dataclasses import dataclass
from pathlib import Path

from dictation.audio.wav import SAMPLE_RATE, data_size, wav_with_meta
from dictation.deliver.spoolfile import clear_in_flight, count_death, flight_mark
from dictation.errors import ConfigError
from dictation.storage import atomic_write, fsync_dir, private_dir, state_dir


def default_keep_dir() -> Path:
    return Path(state_dir()) / "unsent"


def default_spool_dir() -> Path:
    return Path(state_dir()) / "spool"


def _seconds(path: Path) -> float:
    """Seconds of audio in a spooled utterance, from its WAV headers; 0 if unreadable."""
    try:
        return data_size(path) / (2 * SAMPLE_RATE)
    except (OSError, ValueError):
        return 0.0


@dataclass(frozen=True)
class Entry:
    """One utterance in the spool."""

    path: Path
    seq: int
    size: int


@dataclass(frozen=True)
class Adopted:
    """A dead process's session, taken over to be delivered first."""

    name: str
    entries: tuple[Entry, ...]
    ended: float  # wall time of its last utterance


def _entries(session: Path) -> list[Entry]:
    found = []
    for p in session.glob("[0-9]*.wav"):
        with contextlib.suppress(ValueError, OSError):
            found.append(Entry(p, int(p.stem), p.stat().st_size))
    return sorted(found, key=lambda e: e.seq)


def _count_death(entry: Entry) -> Entry:
    """``entry`` of a dead session, its death count raised if it was in flight then."""
    if not flight_mark(entry.path).exists():
        return entry
    try:
        count_death(entry.path)
        return Entry(entry.path, entry.seq, entry.path.stat().st_size)
    except (OSError, ValueError):
        return entry  # unreadable: reading it again says so, when its turn comes


def _try_lock(session: Path) -> int | None:
    """The session's lock fd if we got it (its process is gone), else None."""
    try:
        fd = os.open(session / "lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


class Spool:
    """This process's session in the spool, plus the dead sessions it adopted."""

    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self.session: Path | None = None
        self._locks: dict[Path, int] = {}  # session dir → its held lock fd
        self._sizes: dict[Path, tuple[int, float]] = {}  # what we own: file → bytes, seconds
        self.seconds = 0.0  # audio held, for status

    def open(self) -> list[Adopted]:
        """Create our session and adopt the dead ones; their utterances, oldest first."""
        private_dir(self.root, name="spool directory", refusal="keep audio there (--spool-dir)")
        # Made under a hidden name and renamed once locked, so no scanner ever sees it
        # unlocked and takes it for a dead process's.
        name = time.strftime("%Y%m%d-%H%M%S") + f".{time.time_ns() % 10**9 // 1000:06d}"
        name += f"-{os.getpid()}"
        hidden = self.root / f".new-{name}"
        hidden.mkdir(mode=0o700)
        fd = _try_lock(hidden)
        if fd is None:
            raise ConfigError(f"cannot lock a session in spool directory {self.root}")
        self.session = self.root / name
        os.rename(hidden, self.session)
        fsync_dir(self.root)
        self._locks[self.session] = fd
        adopted = []
        for d in sorted(self.root.iterdir()):
            if d == self.session or not d.is_dir():
                continue
            if d.name.startswith(".new-"):  # a start that crashed before its rename
                if (lfd := _try_lock(d)) is not None:
                    self._drop_session(d, lfd)
                continue
            if (lfd := _try_lock(d)) is None:
                continue  # a live process's: not ours to touch
            entries = _entries(d)
            for tmp in d.glob(".*.tmp"):  # a write cut short: never renamed, never sent
                tmp.unlink(missing_ok=True)
            if not entries:
                self._drop_session(d, lfd)
                continue
            self._locks[d] = lfd
            ended = max(e.path.stat().st_mtime for e in entries)
            entries = [_count_death(e) for e in entries]
            for e in entries:
                self._track(e.path, e.size, _seconds(e.path))
            adopted.append(Adopted(d.name, tuple(entries), ended))
        return adopted

    def _track(self, path: Path, size: int, seconds: float) -> None:
        self._sizes[path] = (size, seconds)
        self.seconds += seconds

    @property
    def count(self) -> int:
        return len(self._sizes)

    @property
    def bytes(self) -> int:
        return sum(size for size, _ in self._sizes.values())

    def add(self, seq: int, pcm: bytes, meta: dict[str, float]) -> Path:
        """Write utterance ``seq`` durably; returns its path. Raises OSError."""
        assert self.session is not None, "open() first"
        path = self.session / f"{seq:06d}.wav"
        data = wav_with_meta(pcm, meta)
        atomic_write(path, data)
        self._track(path, len(data), len(pcm) / (2 * SAMPLE_RATE))
        return path

    def remove(self, path: Path) -> None:
        """Its text is delivered (or it is dropped or kept elsewhere): forget it."""
        if (tracked := self._sizes.pop(path, None)) is not None:
            self.seconds = max(0.0, self.seconds - tracked[1])
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        clear_in_flight(path)
        session = path.parent
        if session != self.session and session in self._locks and not _entries(session):
            self._drop_session(session, self._locks.pop(session))

    def _drop_session(self, session: Path, lock_fd: int) -> None:
        """Remove an emptied session we hold the lock of."""
        with contextlib.suppress(OSError):
            for p in session.iterdir():
                p.unlink()
            session.rmdir()
        os.close(lock_fd)

    def close(self) -> None:
        """Release the locks. What is left stays for the next start; an empty session goes."""
        for session, fd in list(self._locks.items()):
            if _entries(session):
                os.close(fd)
            else:
                self._drop_session(session, fd)
        self._locks.clear()


@dataclass(frozen=True)
class Backlog:
    """What waits in a spool directory, as `dictation status` reports it without a daemon."""

    count: int
    seconds: float
    bytes: int
    sessions: int


def backlog(root: Path) -> Backlog:
    """Count what is on disk under ``root`` (any session, live or dead); reads only the WAV
    headers, no audio."""
    count = size = sessions = 0
    seconds = 0.0
    if root.is_dir():
        for d in root.iterdir():
            if d.is_dir() and not d.name.startswith("."):
                entries = _entries(d)
                sessions += bool(entries)
                count += len(entries)
                size += sum(e.size for e in entries)
                seconds += sum(_seconds(e.path) for e in entries)
    return Backlog(count, seconds, size, sessions)
