"""Audio in and out of files: WAV encoding for the engines, and decoding any audio file (PCM
WAV through wav.py, everything else with PyAV) to 16 kHz mono int16."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import numpy as np
import soxr

from dictation.audio.wav import SAMPLE_RATE, parse_wav, wav_with_meta
from dictation.errors import AudioFileError

log = logging.getLogger("dictation")


def encode_wav(pcm: np.ndarray, rate: int = SAMPLE_RATE) -> bytes:
    """int16 samples as WAV bytes (wav.py writes them)."""
    return wav_with_meta(pcm.astype("<i2").tobytes(), rate=rate)


def to_16k_int16(samples: np.ndarray, rate: int) -> np.ndarray:
    """Mono float32 in [-1, 1] at any rate → 16 kHz int16."""
    if rate != SAMPLE_RATE:
        samples = soxr.resample(samples, rate, SAMPLE_RATE)
    return np.clip(samples * 32768.0, -32768, 32767).astype(np.int16)


def read_wav(path: Path) -> np.ndarray:
    """Decode a PCM WAV file of any rate, width and channel count to 16 kHz mono int16,
    without FFmpeg (``decode_file`` reads every other format)."""
    try:
        wav = parse_wav(path.read_bytes())
    except FileNotFoundError:
        raise AudioFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise AudioFileError(f"{path}: is a directory, not a WAV file") from None
    except PermissionError:
        raise AudioFileError(f"{path}: permission denied") from None
    except (ValueError, OSError) as err:
        detail = f" ({err})" if str(err) else ""
        raise AudioFileError(f"{path}: not a readable PCM WAV file{detail}") from None
    width, channels, rate = wav.width, wav.channels, wav.rate
    raw = wav.pcm[:len(wav.pcm) // (width * channels) * width * channels]  # a truncated file
    if width == 1:
        samples = (np.frombuffer(raw, np.uint8).astype(np.float32) - 128) / 128
    elif width == 2:
        samples = np.frombuffer(raw, "<i2").astype(np.float32) / 32768
    elif width == 3:
        b = np.frombuffer(raw, np.uint8).reshape(-1, 3).astype(np.int32)
        ints = (b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)) << 8 >> 8  # sign-extend 24 bits
        samples = ints.astype(np.float32) / 2**23
    elif width == 4:
        samples = np.frombuffer(raw, "<i4").astype(np.float32) / 2**31
    else:
        raise AudioFileError(f"{path}: unsupported sample width of {width} bytes")
    if channels > 1:
        samples = samples[: len(samples) // channels * channels].reshape(-1, channels).mean(1)
    if rate <= 0 or samples.size == 0:
        raise AudioFileError(f"{path}: holds no audio")
    return to_16k_int16(samples.astype(np.float32), rate)


def decode_file(path: Path) -> np.ndarray:
    """Decode an audio file, or the sound of a video, to 16 kHz mono int16.

    PCM WAV goes through ``read_wav``; anything else (mp3, ogg/opus, flac, m4a, webm, video,
    and WAV other than plain PCM: float, ADPCM, extensible) through FFmpeg via PyAV.
    """
    try:
        mode = path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        raise AudioFileError(f"{path}: no such file") from None
    except OSError as err:
        raise AudioFileError(f"{path}: cannot be read ({err.strerror or err})") from None
    if stat.S_ISDIR(mode):
        raise AudioFileError(f"{path}: is a directory, not an audio file")
    if stat.S_ISREG(mode):  # not a pipe: reading its head here would lose those bytes
        head = _head(path)
        if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
            try:
                return read_wav(path)
            except AudioFileError:
                pass  # a WAV that wave cannot read; FFmpeg may, or says why not
    return _decode_av(path)


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as f:
            head = f.read(12)
    except OSError as err:
        raise AudioFileError(f"{path}: cannot be read ({err.strerror or err})") from None
    if not head:
        raise AudioFileError(f"{path}: is an empty file")
    return head


def _decode_av(path: Path) -> np.ndarray:
    try:
        import av  # lazily: only files other than PCM WAV need FFmpeg
    except ImportError:
        raise AudioFileError(f"{path}: is not a PCM WAV file, and reading other formats needs "
                             "PyAV: install it with 'pip install av'") from None
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except av.error.FFmpegError as err:
        raise AudioFileError(f"{path}: not a readable audio file ({_reason(err)})") from None
    chunks: list[np.ndarray] = []
    with container:
        if not container.streams.audio:
            raise AudioFileError(f"{path}: has no audio stream")
        resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
        try:
            for frame in container.decode(container.streams.audio[0]):
                chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
        except av.error.FFmpegError as err:
            if not chunks:
                raise AudioFileError(f"{path}: not a readable audio file ({_reason(err)})"
                                     ) from None
            # A cut-off recording: keep what came before, as a player would, but say so.
            log.warning("%s: the audio after %.1f s cannot be decoded (%s); using what "
                        "came before", path, sum(map(len, chunks)) / SAMPLE_RATE, _reason(err))
        chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]  # flush
    if sum(map(len, chunks)) == 0:
        raise AudioFileError(f"{path}: holds no audio")
    return np.concatenate(chunks).astype(np.int16, copy=False)


def _reason(err: Exception) -> str:
    return getattr(err, "strerror", None) or type(err).__name__
