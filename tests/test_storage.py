"""The one helper each for files on disk: the config and state directories, a private
directory, a file replaced whole, and WAV files with metadata. Real files in a temporary
directory; nothing else."""

from __future__ import annotations

import logging
import os
import re
import stat
from pathlib import Path

import numpy as np
import pytest

from dictation.audio.codec import encode_wav, read_wav
from dictation.audio.wav import SAMPLE_RATE, data_size, parse_wav, wav_with_meta
from dictation.deliver.spool import Spool, backlog
from dictation.errors import ConfigError
from dictation.storage import atomic_write, config_dir, config_home, private_dir, state_dir


def test_xdg_directories_take_absolute_variables_and_fall_back_under_home() -> None:
    env = {"HOME": "/home/alice", "XDG_CONFIG_HOME": "/cfg", "XDG_STATE_HOME": "/st"}
    assert (config_home(env), config_dir(env), state_dir(env)) == (
        "/cfg", "/cfg/dictation", "/st/dictation")
    # Empty or relative values are ignored, as the XDG specification says.
    for value in ("", "relative/dir"):
        env = {"HOME": "/home/alice", "XDG_CONFIG_HOME": value, "XDG_STATE_HOME": value}
        assert config_dir(env) == "/home/alice/.config/dictation"
        assert state_dir(env) == "/home/alice/.local/state/dictation"


def test_atomic_write_replaces_the_file_whole_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")
    atomic_write(target, b"new")
    assert target.read_bytes() == b"new" and stat.S_IMODE(target.stat().st_mode) == 0o600
    atomic_write(target, b"shared", mode=0o644, durable=False)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_a_failed_atomic_write_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")

    with pytest.raises(TypeError):  # the write fails after the temporary file was made
        atomic_write(target, "not bytes")  # type: ignore[arg-type]
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_private_dir_is_made_0700_and_a_too_open_one_is_fixed_and_said(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    made = tmp_path / "a" / "b"
    private_dir(made, refusal="keep things there")
    assert stat.S_IMODE(made.stat().st_mode) == 0o700
    made.chmod(0o755)
    with caplog.at_level(logging.WARNING, logger="dictation"):
        private_dir(made, name="spool directory", refusal="keep things there")
    assert stat.S_IMODE(made.stat().st_mode) == 0o700
    assert f"spool directory {made} was readable by others" in caplog.text


def test_private_dir_refuses_a_file_a_link_and_another_users_directory(tmp_path: Path) -> None:
    afile = tmp_path / "file"
    afile.write_text("")
    with pytest.raises(ConfigError, match=r"cannot create .*file: File exists"):
        private_dir(afile, refusal="x")
    link = tmp_path / "link"
    link.symlink_to(tmp_path)
    with pytest.raises(ConfigError, match="is not a directory owned by you; refusing to x"):
        private_dir(link, refusal="x")
    theirs = tmp_path / "theirs"
    theirs.mkdir(mode=0o700)
    os.chown(theirs, 12345, 12345)  # the tests run as root, who can give it away
    refused = f"^{re.escape(str(theirs))} is not a directory owned by you"
    with pytest.raises(ConfigError, match=refused):
        private_dir(theirs, refusal="put the control socket there")


def pcm(seconds: float) -> np.ndarray:
    return (np.sin(np.arange(round(seconds * SAMPLE_RATE)) / 7) * 9000).astype(np.int16)


def test_a_wav_with_metadata_reads_as_audio_everywhere(tmp_path: Path) -> None:
    samples = pcm(0.7)
    meta = {"start_s": 1.25, "note": "x" * 333}  # a chunk of odd length before the samples
    path = tmp_path / "meta.wav"
    path.write_bytes(wav_with_meta(samples.tobytes(), meta))
    assert np.array_equal(read_wav(path), samples)  # the decoder skips the metadata
    wav = parse_wav(path.read_bytes())
    assert (wav.rate, wav.channels, wav.width, wav.meta) == (SAMPLE_RATE, 1, 2, meta)
    assert data_size(path) == len(samples) * 2
    # Without metadata the bytes are the plain 44-byte-header WAV every tool writes.
    plain = encode_wav(samples)
    assert len(plain) == 44 + len(samples) * 2 and parse_wav(plain).meta == {}


def test_the_spool_counts_seconds_of_audio_not_bytes_of_file(tmp_path: Path) -> None:
    sp = Spool(tmp_path / "spool", 10 ** 9)
    sp.open()
    meta = {"start_s": 0.0, "note": "y" * 5000}  # 5 kB of metadata: 0.16 s if counted
    sp.add(1, pcm(1.5).tobytes(), meta)
    assert sp.seconds == pytest.approx(1.5, abs=1e-9)
    assert backlog(tmp_path / "spool").seconds == pytest.approx(1.5, abs=1e-9)
    sp.close()


def test_truncated_or_foreign_wavs_are_refused_with_a_reason(tmp_path: Path) -> None:
    whole = encode_wav(pcm(0.1))
    assert len(parse_wav(whole[:-3]).pcm) == len(whole) - 44 - 3  # what there is of it
    for data, why in ((b"RIFF\0\0\0\0WAVEjunk" + b"\x13" * 50, "missing"),
                      (whole[:20] + b"\x03" + whole[21:], "unknown format: 3"),
                      (b"not a wav at all", "not a RIFF WAVE file")):
        with pytest.raises(ValueError, match=why):
            parse_wav(data)
