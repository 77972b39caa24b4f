"""WAV: the one writer and the one reader of RIFF WAVE files. Standard library only, so the spool
and `dictation status` read WAVs without numpy (codec.py turns their samples into arrays).

The writer makes 16-bit PCM, with an optional metadata chunk (``dict``: JSON) that players
skip. The reader walks the chunks, so a WAV with metadata, or any other chunk before its
samples, reads correctly: no header size is assumed anywhere.
"""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

SAMPLE_RATE = 16_000
"""What the pipeline carries everywhere: 16 kHz mono int16."""
META_CHUNK = b"dict"
PCM = 1  # WAVE_FORMAT_PCM; anything else (float, ADPCM, extensible) is FFmpeg's to decode


@dataclass(frozen=True)
class Wav:
    rate: int
    channels: int
    width: int  # bytes per sample
    pcm: bytes  # as the data chunk holds them: a truncated file may end in part of a frame
    meta: dict[str, Any]


def wav_with_meta(pcm: bytes, meta: dict[str, Any] | None = None, *,
                  rate: int = SAMPLE_RATE) -> bytes:
    """Mono 16-bit PCM as WAV bytes, carrying ``meta`` as JSON in a chunk of its own."""
    fmt = struct.pack("<HHIIHH", PCM, 1, rate, rate * 2, 2, 16)
    body = b"WAVE" + _chunk(b"fmt ", fmt)
    if meta is not None:
        blob = json.dumps(meta).encode()
        body += _chunk(META_CHUNK, blob + b" " * (len(blob) % 2))  # even, still JSON
    body += _chunk(b"data", pcm)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _chunk(cid: bytes, data: bytes) -> bytes:
    pad = b"\0" * (len(data) % 2)  # RIFF chunks are word-aligned
    return cid + struct.pack("<I", len(data)) + data + pad


def parse_wav(data: bytes) -> Wav:
    """The format, samples and metadata of a PCM WAV file's bytes. Raises ValueError for
    anything else, saying why."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError("not a RIFF WAVE file")
    fmt: tuple[int, int, int] | None = None
    pcm: bytes | None = None
    meta: dict[str, Any] = {}
    for cid, body in _chunks(data, 12):
        if cid == b"fmt ":
            fmt = _format(body)
        elif cid == b"data":
            if fmt is None:
                raise ValueError("data chunk before fmt chunk")
            pcm = body
        elif cid == META_CHUNK:
            meta = json.loads(body)
    if fmt is None or pcm is None:
        raise ValueError("fmt chunk and/or data chunk missing")
    return Wav(*fmt, pcm, meta)


def _chunks(data: bytes, pos: int) -> Iterator[tuple[bytes, bytes]]:
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        yield cid, data[pos + 8:pos + 8 + size]  # a truncated chunk: what there is of it
        pos += 8 + size + size % 2


def _format(body: bytes) -> tuple[int, int, int]:
    """(rate, channels, bytes per sample) of a PCM fmt chunk."""
    if len(body) < 16:
        raise ValueError("fmt chunk too short")
    tag, channels, rate, _, _, bits = struct.unpack("<HHIIHH", body[:16])
    if tag != PCM:
        raise ValueError(f"unknown format: {tag}")
    if not channels:
        raise ValueError("bad # of channels")
    if not (width := (bits + 7) // 8):
        raise ValueError("bad sample width")
    return rate, channels, width


def read_wav_with_meta(data: bytes) -> tuple[bytes, dict[str, Any]]:
    """The PCM bytes and the metadata of a 16-bit WAV :func:`wav_with_meta` wrote."""
    wav = parse_wav(data)
    if wav.width != 2 or len(wav.pcm) % 2:
        raise ValueError("WAV file without whole 16-bit samples")
    return wav.pcm, wav.meta


def data_size(path: str | os.PathLike[str]) -> int:
    """How many bytes of samples a WAV file holds, from its chunk headers alone (for the
    seconds of audio in the spool, without reading the audio). Raises OSError, ValueError."""
    with open(path, "rb") as f:
        if f.read(12)[8:12] != b"WAVE":
            raise ValueError("not a RIFF WAVE file")
        while len(head := f.read(8)) == 8:
            size = struct.unpack("<I", head[4:])[0]
            if head[:4] == b"data":
                return size
            f.seek(size + size % 2, 1)
    raise ValueError("no data chunk")
