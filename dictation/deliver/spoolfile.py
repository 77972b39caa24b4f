"""The files of the spool: utterances as WAVs carrying their times, written atomically; audio
kept for the user; and the marks that count the runs an utterance was being transcribed in
when they died (a poisoned utterance must not kill every start after it).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import struct
import time
from pathlib import Path

SAMPLE_RATE = 16000  # what the pipeline produces: 16 kHz mono int16
META_CHUNK = b"dict"  # players skip unknown RIFF chunks: each file still plays as a WAV
_seq = itertools.count(1)


def write_atomic(path: Path, data: bytes) -> None:
    """Readers and a crash see the whole file or none of it."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    fsync_dir(path.parent)  # the rename itself survives a power cut


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def keep_audio(pcm: object, directory: Path) -> Path:
    """Write ``pcm`` as a WAV only the user can read; atomic, so a crash leaves no half file."""
    from dictation.audio.codec import encode_wav

    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    name = f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{next(_seq):04d}.wav"
    final = directory / name
    write_atomic(final, encode_wav(pcm))  # type: ignore[arg-type]
    return final


def wav_with_meta(pcm: bytes, meta: dict[str, float]) -> bytes:
    """16 kHz mono int16 WAV bytes carrying ``meta`` as JSON in a chunk of its own."""
    blob = json.dumps(meta).encode()
    if len(blob) % 2:
        blob += b" "  # RIFF chunks are word-aligned
    fmt = struct.pack("<HHIIHH", 1, 1, SAMPLE_RATE, SAMPLE_RATE * 2, 2, 16)
    body = (b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
            + META_CHUNK + struct.pack("<I", len(blob)) + blob
            + b"data" + struct.pack("<I", len(pcm)) + pcm)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def read_wav_with_meta(data: bytes) -> tuple[bytes, dict[str, float]]:
    """The PCM bytes and the metadata of :func:`wav_with_meta`'s output."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError("not a WAV file")
    pos, meta, pcm = 12, {}, None
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        chunk = data[pos + 8:pos + 8 + size]
        if cid == META_CHUNK:
            meta = json.loads(chunk)
        elif cid == b"data":
            pcm = chunk
        pos += 8 + size + (size % 2)
    if pcm is None or len(pcm) % 2:
        raise ValueError("WAV file without whole 16-bit samples")
    return pcm, meta


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
        write_atomic(entry, wav_with_meta(pcm, meta))
        clear_in_flight(entry)
    return int(meta.get("deaths", 0))
