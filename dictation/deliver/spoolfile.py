"""The files of the spool: utterances as WAVs carrying their times (audio/wav.py), written
atomically (storage.py); audio kept for the user; and the marks that count the runs an
utterance was being transcribed in when they died (a poisoned utterance must not kill every
start after it).
"""

from __future__ import annotations

import itertools
import os
import time
from pathlib import Path

from dictation.audio.wav import read_wav_with_meta, wav_with_meta
from dictation.storage import atomic_write

_seq = itertools.count(1)


def keep_audio(pcm: bytes, directory: Path) -> Path:
    """Write 16 kHz int16 ``pcm`` as a WAV only the user can read; atomic, so a crash leaves
    no half file."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    name = f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{next(_seq):04d}.wav"
    final = directory / name
    atomic_write(final, wav_with_meta(pcm))
    return final


def load(entry_path: Path) -> tuple[bytes, dict[str, float]]:
    """The PCM and times of a spooled utterance. Raises OSError or ValueError."""
    return read_wav_with_meta(entry_path.read_bytes())


# --- runs that died with an utterance in flight --------------------------------------------

MAX_DEATHS = 3
"""An utterance whose transcription was under way when this many runs died (a crash, SIGKILL,
the watchdog) is set aside instead of sent again: whatever in it or its answer kills the
daemon would otherwise kill every start, until systemd gives up on the service."""


def flight_mark(entry: Path) -> Path:
    return entry.with_suffix(".flight")


def mark_in_flight(entry: Path) -> None:
    """``entry`` is being transcribed and delivered now. Not synced: the mark must outlive
    the process, not the machine (a power cut is not the utterance's fault)."""
    os.close(os.open(flight_mark(entry), os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o600))


def clear_in_flight(entry: Path) -> None:
    """The process survived ``entry``'s transcription and delivery, whatever came of them."""
    flight_mark(entry).unlink(missing_ok=True)


def count_death(entry: Path) -> int:
    """How many runs died with ``entry`` in flight, counting the one that left its mark
    now; the count is written into the entry (atomically) and the mark removed."""
    pcm, meta = load(entry)
    if flight_mark(entry).exists():
        meta["deaths"] = int(meta.get("deaths", 0)) + 1
        atomic_write(entry, wav_with_meta(pcm, meta))
        clear_in_flight(entry)
    return int(meta.get("deaths", 0))
