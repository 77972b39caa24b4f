"""Spoken benchmark corpus: synthesized dictation with known text and known speech times.

Every case is one 16 kHz mono WAV plus a JSON manifest giving, per sentence, the reference text
and the start/end (seconds) of the actual speech in that WAV, so the benchmark can time each
sentence from its last word. Clips come from festival's natural HTS voice and espeak-ng voices,
are cached under bench/.corpus/ and assembled deterministically (fixed seeds).

    python bench/corpus.py [--cases calm quick ...]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import tempfile
import wave
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
CORPUS_DIR = HERE / ".corpus"
CLIP_DIR = CORPUS_DIR / "clips"
RATE = 16_000
VERSION = 1  # bump to rebuild every cached clip and case after changing the recipe

SPEECH_RMS = 0.1  # -20 dBFS: every clip is levelled so voices are equally loud
FRAME = RATE // 100  # 10 ms analysis frames for trimming
TRIM_DB = 40.0  # a frame counts as speech when within this many dB of the clip's loudest


@dataclass(frozen=True)
class Voice:
    """``engine`` is "festival" (natural US female), "espeak" or "kokoro" (neural.py);
    ``rate`` is espeak words per minute, or festival's HTS or Kokoro's speed factor (1.0 = as
    trained)."""

    engine: str
    name: str
    rate: float

    @property
    def label(self) -> str:
        return f"{self.name}@{self.rate:g}"


SLT = "cmu_us_slt_arctic_hts"
FESTIVAL_CODECS = {"upc_ca_ona_hts": "latin-1", "lp_diphone": "latin-1", "pc_diphone": "latin-1"}
"""Festival reads text as bytes in its voice's own encoding; UTF-8 accents come out as noise."""


def slt(rate: float = 1.0) -> Voice:
    return Voice("festival", SLT, rate)


def esp(name: str, wpm: int) -> Voice:
    return Voice("espeak", name, wpm)


# Everyday dictation, written for this benchmark. Different sentences per case so the prior
# transcript sent as prompt never contains the answer.
CALM = [
    "Please remind me to water the plants on the balcony before Friday.",
    "The meeting with the design team has been moved to Thursday afternoon.",
    "Could you send me the updated budget figures by the end of the day?",
    "I left my reading glasses on the kitchen table next to the fruit bowl.",
    "Our flight lands at six in the evening so we should be home by eight.",
    "Add milk, eggs and a loaf of brown bread to the shopping list.",
    "The children want to visit the science museum during the school holidays.",
    "Let me know if the printer on the second floor starts working again.",
]
CALM_VOICES = [slt(), esp("en-us", 160), slt(), esp("en-gb", 150), slt(),
               esp("en-gb-scotland", 160), slt(), esp("en-us", 170)]

QUICK = [
    "Thanks for the quick reply, I will check the numbers tonight.",
    "The parcel arrived this morning but the box was slightly damaged.",
    "We need to book a table for four people on Saturday night.",
    "My phone battery keeps dying much faster than it used to.",
    "Please forward the invoice to the accounts department as soon as possible.",
    "The bus was late again so I missed the start of the lecture.",
    "Remember to lock the back door before you go to bed.",
    "She asked whether the report could wait until next Monday.",
    "I think the new coffee machine makes a much better espresso.",
    "Call the dentist and ask if they have an appointment next week.",
]
QUICK_VOICES = [slt(1.2), esp("en-us", 200), esp("en-gb", 195), slt(1.25),
                esp("en-gb-scotland", 190), esp("en-us", 210), slt(1.2), esp("en-gb", 205),
                esp("en-us", 195), slt(1.25)]

# No commas: the monologue must hold no pause long enough to end an utterance.
MONOLOGUE = [
    "This morning I walked along the river to the old market near the bridge.",
    "The stalls were already busy with people buying fresh bread and vegetables.",
    "I picked up some apples and a small bunch of flowers for my neighbour.",
    "Then I stopped at the bakery on the corner for a coffee and a warm croissant.",
    "The owner told me they are planning to open a second shop next spring.",
    "After that I took the long way home through the park behind the library.",
    "A group of students was playing football on the wet grass near the pond.",
    "I sat on a bench for a while and watched the ducks chasing each other.",
    "When it started to rain I hurried back and made a pot of vegetable soup.",
    "In the afternoon I answered my emails and tidied up the spare bedroom.",
    "Tomorrow I want to finish the garden fence and paint the front door.",
    "If the weather stays dry I might invite my sister over for dinner.",
    "She always brings a chocolate cake and funny stories about her new job.",
    "On Sunday we are driving to the coast to see our grandparents.",
    "They live in a small cottage with a view of the harbour and the lighthouse.",
    "My grandfather still goes fishing every morning before breakfast.",
]
MONOLOGUE_S = 45.0
MONOLOGUE_GAP_S = (0.03, 0.08)  # gaps between sentences, and the longest pause kept inside one

NOISY = [
    "The plumber is coming on Tuesday to fix the leaking bathroom tap.",
    "I would like to cancel my gym membership at the end of this month.",
    "Can you pick up the dry cleaning on your way home from work?",
    "The weather forecast says it will be sunny for the rest of the week.",
    "Please make sure the conference room is ready for the client presentation.",
    "My brother is moving to a new apartment closer to the city centre.",
    "We should order more paper for the office printer before it runs out.",
    "The library closes early on Sundays so return the books on Saturday.",
]
NOISY_VOICES = [slt(), esp("en-gb", 160), slt(), esp("en-us", 165), slt(),
                esp("en-gb-scotland", 155), slt(), esp("en-us", 160)]
SNR_DB = 10.0
NOISE_S = 40.0

# A speaker who stops to think inside a sentence: each sentence is spoken in parts with a
# "thinking pause" between them, at the places people pause (after a conjunction, preposition,
# article or modal, or between subject and verb). The reference keeps its punctuation and
# capitals: the case measures formatting across the pauses, not only words.
HESITATION = [
    ["The invoice from the printing company", "still has the wrong billing address on it."],
    ["I was thinking that maybe", "we should move the launch to the second week of March."],
    ["If the tests pass tonight,", "we can ship the new version on Monday."],
    ["Could you ask Sarah to", "send the slides to the whole team before lunch?"],
    ["We need to order more paper and", "some ink for the printer in the hallway."],
    ["My sister is flying in from", "Toronto on Friday evening."],
    ["The best thing about the", "new office is the light in the morning."],
    ["Please tell David that the report", "is finished and", "waiting for his review."],
    ["I think we should", "invite the whole team to the dinner on Thursday."],
    ["Do you know whether the", "train to Edinburgh leaves at nine", "or at ten?"],
]
HESITATION_VOICES = [slt(), esp("en-us", 160), esp("en-gb", 150), slt(),
                     esp("en-gb-scotland", 160), slt(), esp("en-us", 170), slt(),
                     esp("en-gb", 160), slt()]
THINK_S = (0.5, 1.1)  # the pause inside a sentence
HESITATION_GAP_S = (1.2, 2.0)  # between sentences: a speaker who has finished one

LEAD_S = 1.0  # silence before the first sentence, so the daemon settles before speech
TAIL_S = 1.0

CASES = ("calm", "quick", "monologue", "noisy", "noise", "hesitation")


# --- audio helpers -------------------------------------------------------------------------

def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as w:
        if (w.getframerate(), w.getnchannels(), w.getsampwidth()) != (RATE, 1, 2):
            raise ValueError(f"{path}: expected 16 kHz mono 16-bit")
        raw = w.readframes(w.getnframes())
    return np.frombuffer(raw, "<i2").astype(np.float32) / 32768.0


def write_wav(path: Path, x: np.ndarray) -> None:
    pcm = np.clip(np.round(x * 32768.0), -32768, 32767).astype("<i2")
    tmp = path.with_suffix(".tmp")
    with wave.open(str(tmp), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(pcm.tobytes())
    tmp.replace(path)  # atomic: a run interrupted mid-write leaves no truncated case behind


def frame_db(x: np.ndarray) -> np.ndarray:
    """Level of each 10 ms frame in dB relative to the loudest frame."""
    n = len(x) // FRAME
    rms = np.sqrt(np.mean(x[: n * FRAME].reshape(n, FRAME) ** 2, axis=1)) + 1e-9
    return 20 * np.log10(rms / rms.max())


def trim(x: np.ndarray) -> np.ndarray:
    """Cut leading and trailing silence so the clip starts at the first and ends at the last
    word, to the 10 ms frame."""
    loud = np.flatnonzero(frame_db(x) > -TRIM_DB)
    if not loud.size:
        raise ValueError("clip holds no speech")
    return x[loud[0] * FRAME: (loud[-1] + 1) * FRAME]


def squeeze_pauses(x: np.ndarray, max_gap_s: float) -> np.ndarray:
    """Shorten every pause inside a clip to ``max_gap_s``: TTS voices breathe at phrase
    boundaries, and a monologue must not give the daemon a natural place to end."""
    quiet = frame_db(x) <= -TRIM_DB
    keep = round(max_gap_s * 100)
    out, i = [], 0
    while i < len(quiet):
        j = i
        while j < len(quiet) and quiet[j] == quiet[i]:
            j += 1
        run = x[i * FRAME: j * FRAME]
        out.append(run[: keep * FRAME] if quiet[i] and j - i > keep else run)
        i = j
    out.append(x[len(quiet) * FRAME:])
    return np.concatenate(out)


def level(x: np.ndarray) -> np.ndarray:
    """Scale so speech frames sit at SPEECH_RMS, without clipping peaks."""
    speech = x[: len(x) // FRAME * FRAME].reshape(-1, FRAME)[frame_db(x) > -TRIM_DB]
    gain = SPEECH_RMS / float(np.sqrt(np.mean(speech**2)))
    return x * min(gain, 0.9 / float(np.abs(x).max()))


def white_noise(rng: np.random.Generator, n: int) -> np.ndarray:
    x = rng.standard_normal(n)
    return (x / np.sqrt(np.mean(x**2))).astype(np.float32)


def pink_noise(rng: np.random.Generator, n: int) -> np.ndarray:
    """1/f power spectrum by shaping white noise in the frequency domain."""
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / RATE)
    # Nothing below 20 Hz: inaudible rumble would hold much of the RMS and fake a better SNR.
    shaped = np.where(f >= 20, spec / np.sqrt(np.maximum(f, 20)), 0)
    x = np.fft.irfft(shaped, n)
    return (x / np.sqrt(np.mean(x**2))).astype(np.float32)


def noise_bed(rng: np.random.Generator, n: int) -> np.ndarray:
    """White noise for the first half, pink for the second, unit RMS, with 50 ms fades so
    neither the start nor the switch is a click the VAD could take for speech onset."""
    half = n // 2
    x = np.concatenate([white_noise(rng, half), pink_noise(rng, n - half)])
    fade = RATE // 20
    ramp = np.linspace(0, 1, fade, dtype=np.float32)
    x[:fade] *= ramp
    x[-fade:] *= ramp[::-1]
    x[half - fade: half] *= ramp[::-1]
    x[half: half + fade] *= ramp
    return x


# --- speech synthesis ----------------------------------------------------------------------

def _need(tool: str) -> None:
    if shutil.which(tool) is None:
        raise SystemExit(f"corpus: {tool} is not installed (Debian packages espeak-ng, festival, "
                         "festvox-us-slt-hts, sox)")


def synthesize(text: str, voice: Voice) -> np.ndarray:
    """TTS to a cached 16 kHz mono 16-bit WAV (resampled by sox); returns float samples."""
    key = hashlib.sha1(f"{VERSION}|{voice}|{text}".encode()).hexdigest()[:16]
    path = CLIP_DIR / f"{key}.wav"
    if not path.exists():
        CLIP_DIR.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            raw = Path(tmp) / "raw.wav"
            if voice.engine == "festival":
                _need("text2wave")
                # hts_engine's -r option: speaking speed factor (HTS voices only: the
                # diphone voices have no such parameter and fail on it).
                speed = ["-eval", "(set! hts_engine_params (append hts_engine_params "
                         f"'((\"-r\" {voice.rate}))))"] if voice.rate != 1.0 else []
                subprocess.run(["text2wave", "-eval", f"(voice_{voice.name})", *speed,
                                "-o", str(raw)],
                               input=text.encode(FESTIVAL_CODECS.get(voice.name, "utf-8")),
                               check=True,
                               capture_output=True)
            elif voice.engine == "kokoro":
                import neural  # the bench extra's: only sessions that speak with it need it

                neural.speak(text, voice.name, voice.rate, raw)
            else:
                _need("espeak-ng")
                subprocess.run(["espeak-ng", "-v", voice.name, "-s", str(int(voice.rate)),
                                "-w", str(raw), text], check=True, capture_output=True)
            _need("sox")
            out = Path(tmp) / "out.wav"
            # -D: no dither, so a clip is the same every time it is made.
            subprocess.run(["sox", str(raw), "-D", "-r", str(RATE), "-c", "1", "-b", "16",
                            str(out)], check=True, capture_output=True)
            shutil.move(out, path)
    return read_wav(path)


def clips(texts: list[str], voices: list[Voice]) -> list[np.ndarray]:
    # Two workers: the machine has two cores and festival is single-threaded.
    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(synthesize, texts, voices))


# --- cases ---------------------------------------------------------------------------------

@dataclass
class Assembly:
    """A case under construction: audio so far plus the placed sentences."""

    audio: list[np.ndarray]
    sentences: list[dict]
    pos: int = 0  # samples so far

    def pad(self, seconds: float) -> None:
        n = round(seconds * RATE)
        self.audio.append(np.zeros(n, np.float32))
        self.pos += n

    def speak(self, clip: np.ndarray, text: str, voice: Voice) -> None:
        self.sentences.append({"text": text, "voice": voice.label,
                               "start": round(self.pos / RATE, 3),
                               "end": round((self.pos + len(clip)) / RATE, 3)})
        self.audio.append(clip)
        self.pos += len(clip)

    def speak_parts(self, parts: list[np.ndarray], texts: list[str], voice: Voice,
                    pauses: list[float]) -> None:
        """One sentence spoken in parts with ``pauses`` between them; the sentence's entry
        also lists each part's text and times."""
        placed = []
        for i, (clip, text) in enumerate(zip(parts, texts, strict=True)):
            if i:
                self.pad(pauses[i - 1])
            placed.append({"text": text, "start": round(self.pos / RATE, 3),
                           "end": round((self.pos + len(clip)) / RATE, 3)})
            self.audio.append(clip)
            self.pos += len(clip)
        self.sentences.append({"text": " ".join(texts), "voice": voice.label,
                               "start": placed[0]["start"], "end": placed[-1]["end"],
                               "parts": placed})

    def signal(self) -> np.ndarray:
        return np.concatenate(self.audio).astype(np.float32)


def spaced(texts: list[str], voices: list[Voice], pause_s: tuple[float, float],
           seed: int) -> tuple[np.ndarray, list[dict]]:
    """Sentences separated by random pauses drawn from ``pause_s``."""
    rng = np.random.default_rng(seed)
    a = Assembly([], [])
    a.pad(LEAD_S)
    for i, (text, voice, clip) in enumerate(zip(texts, voices, clips(texts, voices),
                                                strict=True)):
        if i:
            a.pad(float(rng.uniform(*pause_s)))
        a.speak(level(trim(clip)), text, voice)
    a.pad(TAIL_S)
    return a.signal(), a.sentences


def case_calm() -> tuple[np.ndarray, list[dict], dict]:
    x, sentences = spaced(CALM, CALM_VOICES, (1.0, 2.0), seed=1)
    return x, sentences, {"pauses_s": [1.0, 2.0]}


def case_quick() -> tuple[np.ndarray, list[dict], dict]:
    x, sentences = spaced(QUICK, QUICK_VOICES, (0.25, 0.45), seed=2)
    return x, sentences, {"pauses_s": [0.25, 0.45]}


def case_monologue() -> tuple[np.ndarray, list[dict], dict]:
    rng = np.random.default_rng(3)
    voices = [slt(1.1)] * len(MONOLOGUE)
    a = Assembly([], [])
    a.pad(LEAD_S)
    speech = 0.0
    for i, (text, voice, clip) in enumerate(zip(MONOLOGUE, voices, clips(MONOLOGUE, voices),
                                                strict=True)):
        if speech >= MONOLOGUE_S:
            break
        if i:
            a.pad(float(rng.uniform(*MONOLOGUE_GAP_S)))
        c = level(squeeze_pauses(trim(clip), MONOLOGUE_GAP_S[1]))
        a.speak(c, text, voice)
        speech = a.pos / RATE - LEAD_S
    if speech < MONOLOGUE_S:
        raise RuntimeError("monologue: not enough sentences for the target length")
    a.pad(TAIL_S)
    x = a.signal()
    body = x[round(LEAD_S * RATE): round((LEAD_S + speech) * RATE)]
    return x, a.sentences, {"speech_s": round(speech, 2),
                            "longest_pause_s": longest_pause(body)}


def longest_pause(x: np.ndarray) -> float:
    """Longest run of 10 ms frames below the trim threshold, to prove the monologue has no
    pause a hangover could end it at."""
    quiet = frame_db(x) <= -TRIM_DB
    best = run = 0
    for q in quiet:
        run = run + 1 if q else 0
        best = max(best, run)
    return best / 100


def case_noisy() -> tuple[np.ndarray, list[dict], dict]:
    x, sentences = spaced(NOISY, NOISY_VOICES, (1.0, 2.0), seed=4)
    # SNR against the speech itself, not the file: pauses would otherwise dilute it.
    mask = np.zeros(len(x), bool)
    for s in sentences:
        mask[round(s["start"] * RATE): round(s["end"] * RATE)] = True
    speech_rms = float(np.sqrt(np.mean(x[mask] ** 2)))
    noise_rms = speech_rms / 10 ** (SNR_DB / 20)
    x = x + noise_bed(np.random.default_rng(5), len(x)) * noise_rms
    return x, sentences, {"snr_db": SNR_DB, "noise": "white then pink",
                          "noise_dbfs": round(20 * np.log10(noise_rms), 1)}


def case_noise() -> tuple[np.ndarray, list[dict], dict]:
    # The same noise level as the noisy case, with nobody speaking.
    noise_rms = SPEECH_RMS / 10 ** (SNR_DB / 20)
    x = noise_bed(np.random.default_rng(6), round(NOISE_S * RATE)) * noise_rms
    return x, [], {"noise": "white then pink", "noise_dbfs": round(20 * np.log10(noise_rms), 1)}


def case_hesitation() -> tuple[np.ndarray, list[dict], dict]:
    rng = np.random.default_rng(7)
    texts = [t for parts in HESITATION for t in parts]
    voices = [v for parts, v in zip(HESITATION, HESITATION_VOICES, strict=True) for _ in parts]
    spoken = iter(clips(texts, voices))
    a = Assembly([], [])
    a.pad(LEAD_S)
    for i, (parts, voice) in enumerate(zip(HESITATION, HESITATION_VOICES, strict=True)):
        if i:
            a.pad(float(rng.uniform(*HESITATION_GAP_S)))
        # Each part levelled on its own: a pause must not come with a change of loudness.
        audio = [level(trim(next(spoken))) for _ in parts]
        a.speak_parts(audio, parts, voice, [float(rng.uniform(*THINK_S)) for _ in parts[1:]])
    a.pad(TAIL_S)
    return a.signal(), a.sentences, {"pauses_s": list(THINK_S),
                                     "sentence_gaps_s": list(HESITATION_GAP_S)}


BUILDERS: dict[str, Callable[[], tuple[np.ndarray, list[dict], dict]]] = {
    "calm": case_calm, "quick": case_quick, "monologue": case_monologue,
    "noisy": case_noisy, "noise": case_noise, "hesitation": case_hesitation,
}


def _recipe_key(case: str) -> str:
    # Rebuild a case when its recipe (this file) changes, not on every run.
    digest = hashlib.sha1(f"{VERSION}|{case}|".encode())
    digest.update(Path(__file__).read_bytes())
    return digest.hexdigest()[:16]


def build(case: str) -> Path:
    """Make (or reuse) ``case``'s WAV and manifest; returns the manifest path."""
    manifest = CORPUS_DIR / f"{case}.json"
    key = _recipe_key(case)
    if manifest.exists():
        old = json.loads(manifest.read_text())
        if old.get("key") == key and (CORPUS_DIR / old["wav"]).exists():
            return manifest
    x, sentences, info = BUILDERS[case]()
    CORPUS_DIR.mkdir(parents=True, exist_ok=True)
    wav = CORPUS_DIR / f"{case}.wav"
    write_wav(wav, x)
    # The WAV path is relative to the manifest so the corpus can move with the checkout.
    data = {"case": case, "key": key, "wav": wav.name, "sample_rate": RATE,
            "duration": round(len(x) / RATE, 3), "sentences": sentences, **info}
    manifest.write_text(json.dumps(data, indent=1) + "\n")
    return manifest


def load(manifest: Path) -> dict:
    """A manifest with ``wav`` resolved to an absolute path."""
    data = json.loads(manifest.read_text())
    data["wav"] = str(manifest.parent / data["wav"])
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description="Build the spoken benchmark corpus.")
    parser.add_argument("--cases", nargs="+", choices=CASES, default=list(CASES))
    args = parser.parse_args()
    for case in args.cases:
        m = load(build(case))
        extra = {k: v for k, v in m.items()
                 if k not in ("case", "key", "wav", "sample_rate", "duration", "sentences")}
        print(f"{case:10} {m['duration']:6.1f} s  {len(m['sentences']):2} sentences  "
              f"{extra}  {m['wav']}")


if __name__ == "__main__":
    main()
