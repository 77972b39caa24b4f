"""Audio that could not be turned into text is kept on disk, never thrown away."""

from __future__ import annotations

import itertools
import os
import time
from pathlib import Path

import numpy as np
import platformdirs

from dictation.codec import encode_wav

_seq = itertools.count(1)


def default_keep_dir() -> Path:
    return platformdirs.user_state_path("dictation") / "unsent"


def keep_audio(pcm: np.ndarray, directory: Path) -> Path:
    """Write ``pcm`` as a WAV only the user can read; atomic, so a crash leaves no half file."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    name = f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{next(_seq):04d}.wav"
    final = directory / name
    tmp = directory / f".{name}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(encode_wav(pcm))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, final)
    return final
