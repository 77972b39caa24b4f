"""Decoding audio and video files: real speech encoded at test time by sox and by FFmpeg's own
encoders (through PyAV), decoded and compared with the WAV it came from."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import av
import numpy as np
import pytest

from dictation.audio.codec import decode_file, encode_wav, read_wav
from dictation.audio.files import FileSource
from dictation.errors import AudioFileError

RATE = 16000


@pytest.fixture(scope="module")
def speech(say: Callable[..., Path]) -> Path:
    """About 5 s of espeak-ng speech, 16 kHz mono 16-bit PCM WAV."""
    return say("The quick brown fox jumps over the lazy dog, then runs into the forest.",
               voice="en-us", pad=(0.2, 0.3))


@pytest.fixture(scope="module")
def ref(speech: Path) -> np.ndarray:
    return read_wav(speech)


def sox(src: Path, out: Path, *args: str) -> Path:
    if shutil.which("sox") is None:
        pytest.fail("sox is not installed: run 'make test', which installs it")
    subprocess.run(["sox", str(src), *args, str(out)], check=True)
    return out


def av_write(out: Path, pcm: np.ndarray, codec: str | None, *, fmt: str | None = None,
             rate: int = RATE, video: str | None = None) -> Path:
    """Encode 16 kHz int16 ``pcm`` with FFmpeg's ``codec`` (none: no audio stream), with a
    small moving picture alongside if ``video`` names a video codec."""
    with av.open(str(out), "w", format=fmt) as c:
        streams = []  # all streams must exist before the first packet is written
        if video:
            vs = c.add_stream(video, rate=10)
            vs.width = vs.height = 64
            vs.pix_fmt = "yuvj420p" if video == "mjpeg" else "yuv420p"
            pictures = [av.VideoFrame.from_ndarray(np.full((64, 64, 3), i * 7 % 256, np.uint8),
                                                   format="rgb24")
                        for i in range(len(pcm) * 10 // RATE)]
            streams.append((vs, pictures))
        if codec:
            s = c.add_stream(codec, rate=rate, layout="mono")
            frame = av.AudioFrame.from_ndarray(pcm[None, :], format="s16", layout="mono")
            frame.rate = RATE
            resampler = av.AudioResampler(format=s.codec_context.format, layout="mono",
                                          rate=rate)
            fifo = av.AudioFifo()  # the encoders take fixed frame sizes
            for f in [*resampler.resample(frame), *resampler.resample(None)]:
                fifo.write(f)
            size = s.codec_context.frame_size or 1024
            frames = []
            while (f := fifo.read(size, partial=True)) is not None and f.samples:
                frames.append(f)
            streams.append((s, frames))
        for stream, frames in streams:
            for f in [*frames, None]:  # None flushes the encoder
                for packet in stream.encode(f):
                    c.mux(packet)
    return out


def similarity(ref: np.ndarray, got: np.ndarray) -> tuple[float, float, float]:
    """Length difference in seconds, correlation, and RMS ratio of ``got`` against ``ref``."""
    n = min(len(ref), len(got))
    x, y = ref[:n].astype(np.float64), got[:n].astype(np.float64)
    corr = float(np.corrcoef(x, y)[0, 1])
    rms = float(np.sqrt(np.mean(y**2)) / np.sqrt(np.mean(x**2)))
    return abs(len(got) - len(ref)) / RATE, corr, rms


def one_line_error(path: Path) -> str:
    with pytest.raises(AudioFileError) as info:
        decode_file(path)
    msg = str(info.value)
    assert "\n" not in msg and path.name in msg
    return msg


# --- formats that decode -----------------------------------------------------------------


def test_pcm_wav_takes_the_standard_library_path(speech: Path, ref: np.ndarray,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "av", None)  # importing av now fails
    got = decode_file(speech)
    assert got.dtype == np.int16 and np.array_equal(got, ref)


@pytest.mark.parametrize("how", ["sox", "ffmpeg"])
def test_flac_is_lossless(how: str, speech: Path, ref: np.ndarray, tmp_path: Path) -> None:
    out = tmp_path / "speech.flac"
    if how == "sox":
        sox(speech, out)
    else:
        av_write(out, ref, "flac")
    assert np.array_equal(decode_file(out), ref)


def test_float_wav_that_wave_cannot_read(speech: Path, ref: np.ndarray, tmp_path: Path) -> None:
    out = sox(speech, tmp_path / "float.wav", "-e", "floating-point", "-b", "32")
    with pytest.raises(AudioFileError):
        read_wav(out)
    got = decode_file(out)
    assert len(got) == len(ref) and np.abs(got.astype(int) - ref).max() <= 1


@pytest.mark.parametrize("encoding", ["ima-adpcm", "ms-adpcm"])
def test_adpcm_wav(encoding: str, speech: Path, ref: np.ndarray, tmp_path: Path) -> None:
    out = sox(speech, tmp_path / f"{encoding}.wav", "-e", encoding)
    dlen, corr, rms = similarity(ref, decode_file(out))
    assert dlen < 0.03 and corr > 0.99 and 0.9 < rms < 1.1  # lossy, padded to whole blocks


@pytest.mark.parametrize("name", ["stereo44k.wav", "stereo44k.flac"])
def test_stereo_44k(name: str, speech: Path, ref: np.ndarray, tmp_path: Path) -> None:
    out = sox(speech, tmp_path / name, "-r", "44100", "-c", "2")
    got = decode_file(out)
    _, corr, rms = similarity(ref, got)
    assert abs(len(got) - len(ref)) <= 2  # resampled there and back; the resampler's tail kept
    assert corr > 0.999 and 0.98 < rms < 1.02


@pytest.mark.parametrize(("name", "codec", "fmt", "rate"), [
    ("speech.mp3", "mp3", None, RATE),
    ("speech.ogg", "libopus", "ogg", RATE),
    ("speech.opus", "libopus", "ogg", 48000),
    ("speech.m4a", "aac", "ipod", RATE),
    ("speech.webm", "libopus", "webm", 48000),
])
def test_lossy_formats(name: str, codec: str, fmt: str | None, rate: int, ref: np.ndarray,
                       tmp_path: Path) -> None:
    got = decode_file(av_write(tmp_path / name, ref, codec, fmt=fmt, rate=rate))
    assert got.dtype == np.int16
    dlen, corr, rms = similarity(ref, got)
    assert dlen < 0.01 and corr > 0.95 and 0.8 < rms < 1.2


def test_video_with_sound(ref: np.ndarray, tmp_path: Path) -> None:
    out = av_write(tmp_path / "clip.mkv", ref, "libopus", rate=48000, video="mjpeg")
    dlen, corr, rms = similarity(ref, decode_file(out))
    assert dlen < 0.01 and corr > 0.95 and 0.8 < rms < 1.2


@pytest.mark.timeout(20)  # a pipe read twice would wait for a writer forever
def test_a_pipe_is_read_once_and_whole(speech: Path, ref: np.ndarray, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: fifo.write_bytes(speech.read_bytes()), daemon=True)
    writer.start()
    try:
        assert np.array_equal(decode_file(fifo), ref)
    finally:
        writer.join(10)


def test_file_source_plays_any_format(ref: np.ndarray, tmp_path: Path) -> None:
    src = FileSource(av_write(tmp_path / "talk.mp3", ref, "mp3"), realtime=False)
    assert abs(len(src.pcm) - len(ref)) < RATE * 0.01
    assert "talk.mp3" in src.description


# --- damaged files -----------------------------------------------------------------------


def test_truncated_flac_keeps_what_came_before(speech: Path, ref: np.ndarray, tmp_path: Path,
                                               caplog: pytest.LogCaptureFixture) -> None:
    whole = sox(speech, tmp_path / "whole.flac").read_bytes()
    cut = tmp_path / "cut.flac"
    cut.write_bytes(whole[:len(whole) // 2])
    with caplog.at_level(logging.WARNING, logger="dictation"):
        got = decode_file(cut)
    assert RATE * 0.5 < len(got) < len(ref) * 0.75
    assert np.array_equal(got, ref[:len(got)])  # lossless: exactly the start of the speech
    assert "cut.flac" in caplog.text and "cannot be decoded" in caplog.text


def test_truncated_mp3_gives_its_start(ref: np.ndarray, tmp_path: Path) -> None:
    whole = av_write(tmp_path / "whole.mp3", ref, "mp3").read_bytes()
    cut = tmp_path / "cut.mp3"
    cut.write_bytes(whole[:len(whole) // 2])
    got = decode_file(cut)
    assert len(ref) * 0.3 < len(got) < len(ref) * 0.7
    assert similarity(ref, got)[1] > 0.95


@pytest.mark.parametrize(("name", "codec", "fmt"), [("head.m4a", "aac", "ipod"),
                                                     ("head.ogg", "libopus", "ogg")])
def test_file_cut_inside_its_header(name: str, codec: str, fmt: str, ref: np.ndarray,
                                    tmp_path: Path) -> None:
    whole = av_write(tmp_path / f"whole-{name}", ref, codec, fmt=fmt).read_bytes()
    cut = tmp_path / name
    cut.write_bytes(whole[:40])
    assert "not a readable audio file" in one_line_error(cut)


def test_text_named_mp3(tmp_path: Path) -> None:
    notes = tmp_path / "notes.mp3"
    notes.write_text("Shopping list: eggs, milk, bread.\n" * 20)
    assert "not a readable audio file" in one_line_error(notes)


def test_random_bytes_named_wav(tmp_path: Path) -> None:
    noise = tmp_path / "noise.wav"
    noise.write_bytes(np.random.default_rng(7).integers(0, 256, 4096, np.uint8).tobytes())
    assert "not a readable audio file" in one_line_error(noise)


def test_wav_header_with_garbage_inside(tmp_path: Path) -> None:
    bad = tmp_path / "liar.wav"
    bad.write_bytes(b"RIFF\xff\xff\x00\x00WAVEjunk" + b"\x13" * 200)
    assert "not a readable audio file" in one_line_error(bad)


def test_video_without_sound(tmp_path: Path) -> None:
    silent = av_write(tmp_path / "silent.mp4", np.zeros(RATE, np.int16), None, video="mpeg4")
    assert "has no audio stream" in one_line_error(silent)


def test_wav_without_samples(tmp_path: Path) -> None:
    empty = tmp_path / "nothing.wav"
    empty.write_bytes(encode_wav(np.zeros(0, np.int16)))
    assert "no audio" in one_line_error(empty)


def test_empty_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.ogg"
    empty.touch()
    assert "empty" in one_line_error(empty)


def test_missing_file(tmp_path: Path) -> None:
    assert "no such file" in one_line_error(tmp_path / "absent.mp3")


def test_directory(tmp_path: Path) -> None:
    folder = tmp_path / "album.flac"
    folder.mkdir()
    assert "directory" in one_line_error(folder)


def test_unreadable_file(speech: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    # Root reads any file whatever its mode, and CI runs as root: there the check runs in a
    # child process without the capabilities that override file modes (setpriv, util-linux),
    # so the kernel really refuses.
    locked = tmp_path_factory.mktemp("locked") / "locked.wav"
    shutil.copy(speech, locked)
    locked.chmod(0)
    if os.geteuid() != 0:
        assert "permission denied" in one_line_error(locked).lower()
        return
    code = ("import sys; from pathlib import Path; from dictation.audio.codec import decode_file\n"
            "try:\n    decode_file(Path(sys.argv[1]))\n"
            "except Exception as e:\n    print(type(e).__name__, e)")
    caps = "-dac_override,-dac_read_search"
    done = subprocess.run(["setpriv", f"--bounding-set={caps}", f"--inh-caps={caps}",
                           sys.executable, "-c", code, str(locked)],
                          capture_output=True, text=True, timeout=60)
    assert done.stdout.startswith("AudioFileError "), done.stdout + done.stderr
    assert "permission denied" in done.stdout.lower() and "locked.wav" in done.stdout
    assert len(done.stdout.strip().splitlines()) == 1


def test_without_pyav_other_formats_name_the_package(ref: np.ndarray, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    mp3 = av_write(tmp_path / "talk.mp3", ref, "mp3")
    monkeypatch.setitem(sys.modules, "av", None)
    assert "pip install av" in one_line_error(mp3)
