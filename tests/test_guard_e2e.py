"""What is never typed, end to end: generated noise and silence through the real CLI and the
real tiny.en model give no text, and real short answers still come out."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import dictation_cmd, norm

pytestmark = pytest.mark.real  # real parts: processes, servers, the model

PRIOR = "We deployed the new dashboard yesterday and it looks fine."


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL")}
    return {**env, "HF_HUB_OFFLINE": "1", "XDG_STATE_HOME": str(tmp_path / "state")}


def _sox(out: Path, *effects: str, seconds: float = 3.0, synth: str = "") -> Path:
    # -R: the same noise every run (sox seeds its generator anew otherwise), so a verdict
    # on it is the same every run too.
    args = ["sox", "-R", "-n", "-r", "16000", "-c", "1", "-b", "16", str(out), "synth",
            str(seconds), *synth.split()] if synth else \
        ["sox", "-R", "-n", "-r", "16000", "-c", "1", "-b", "16", str(out), "trim", "0",
         str(seconds)]
    subprocess.run([*args, *effects], check=True)
    return out


@pytest.fixture(scope="module")
def noise_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Silence, then noises that switch on abruptly (far above the tracked background, as a
    fan or a passing truck is): white, pink and brown noise, mains hum, breath-like bursts,
    and clicks on a quiet line."""
    d = tmp_path_factory.mktemp("noise")
    room = _sox(d / "room.wav", "vol", "0.0003", synth="pinknoise")
    parts = [
        room,
        _sox(d / "white.wav", "vol", "0.05", synth="whitenoise"),
        room,
        _sox(d / "pink.wav", "vol", "0.05", synth="pinknoise"),
        room,
        _sox(d / "brown.wav", "vol", "0.1", synth="brownnoise"),
        room,
        _sox(d / "hum.wav", "vol", "0.05", synth="sine 50 sine 100 sine 150"),
        room,
        # Breaths: band-passed pink noise swelling and fading, 0.8 s on, 1.2 s off.
        _sox(d / "breath.wav", "sinc", "300-2500", "tremolo", "0.5", "100", "vol", "0.05",
             seconds=4.0, synth="pinknoise"),
        # Clicks: a short square burst every 0.4 s on a quiet line.
        _sox(d / "clicks.wav", "vol", "0.02", "tremolo", "2.5", "100", seconds=3.0,
             synth="square 1000"),
        _sox(d / "silence.wav", seconds=2.0),
    ]
    out = d / "noises.wav"
    subprocess.run(["sox", *map(str, parts), str(out)], check=True)
    return out


def _run(tmp_path: Path, wav: Path, *args: str) -> subprocess.CompletedProcess:
    # Its own control socket: a daemon of another run on this machine must not refuse it.
    return subprocess.run(dictation_cmd("-v", "run", "--input", str(wav), "--fast", "--socket",
                                        str(tmp_path / "control.sock"), *args),
                          capture_output=True, text=True, timeout=300, env=_env(tmp_path))


@pytest.mark.parametrize("prompt", ["", PRIOR])
def test_noise_and_silence_type_nothing_local(tmp_path: Path, noise_file: Path,
                                              prompt: str) -> None:
    r = _run(tmp_path, noise_file, "--engine", "local", "--prompt", prompt)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "", r.stderr
    # Not deafness: the noise did open utterances, which reached the engine or the floor.
    assert "ended by pause" in r.stderr or "not transcribed" in r.stderr, r.stderr


def test_short_answers_still_come_out_local(tmp_path: Path, say: Callable,
                                            join: Callable) -> None:
    answers = join(say("Yes."), say("Thank you."), say("No.", voice="en-us"),
                   say("Okay.", voice="en+f3"))
    r = _run(tmp_path, answers, "--engine", "local", "--prompt", PRIOR)
    assert r.returncode == 0, r.stderr
    assert [norm(line) for line in r.stdout.splitlines()] == ["yes", "thank you", "no",
                                                               "okay"], r.stderr


def test_quiet_answer_over_a_noisy_room_comes_out_local(tmp_path: Path,
                                                        say: Callable) -> None:
    speech = say("Thank you.", pad=(1.0, 1.5))
    quiet = tmp_path / "quiet.wav"
    subprocess.run(["sox", str(speech), str(quiet), "vol", "0.2"], check=True)  # -14 dB
    room = _sox(tmp_path / "room.wav", "vol", "0.005", synth="pinknoise",
                seconds=float(subprocess.run(["soxi", "-D", str(quiet)], capture_output=True,
                                             text=True, check=True).stdout))
    mixed = tmp_path / "mixed.wav"
    subprocess.run(["sox", "-m", str(quiet), str(room), str(mixed)], check=True)
    r = _run(tmp_path, mixed, "--engine", "local")
    assert norm(r.stdout) == "thank you", r.stderr


def test_api_engine_with_verbose_segments(tmp_path: Path, server_url: str, noise_file: Path,
                                          say: Callable, join: Callable) -> None:
    api = ("--engine", "api", "--base-url", server_url, "--response-format", "verbose_json")
    r = _run(tmp_path, noise_file, *api, "--prompt", PRIOR)
    assert r.returncode == 0 and r.stdout == "", r.stderr
    r = _run(tmp_path, join(say("Yes."), say("Thank you.")), *api, "--prompt", PRIOR)
    assert [norm(line) for line in r.stdout.splitlines()] == ["yes", "thank you"], r.stderr


# --- said again, or an echo of the prompt: the audio decides ---

REPEATED = "Please send the report to the whole team."
ENGINES = {"local": ("--engine", "local"),
           "api": ("--engine", "api", "--response-format", "verbose_json")}


def _engine(name: str, request: pytest.FixtureRequest) -> tuple[str, ...]:
    if name == "api":
        return (*ENGINES[name], "--base-url", request.getfixturevalue("server_url"))
    return ENGINES[name]


@pytest.mark.parametrize("gap_s", [2.0, 0.6])
@pytest.mark.parametrize("engine", ["local", "api"])
def test_a_sentence_said_three_times_comes_out_three_times(
        tmp_path: Path, say: Callable, join: Callable, engine: str, gap_s: float,
        request: pytest.FixtureRequest) -> None:
    # Each time the sentence is in the prompt (the text before it); 0.6 s apart the three may
    # also reach the model as one utterance.
    once = say(REPEATED, pad=(0.0, gap_s))
    r = _run(tmp_path, join(say("Good morning.", pad=(0.3, 1.0)), once, once, once),
             *_engine(engine, request))
    assert r.returncode == 0, r.stderr
    assert norm(r.stdout).count(norm(REPEATED)) == 3, (r.stdout, r.stderr)


@pytest.mark.parametrize("engine", ["local", "api"])
def test_after_a_sentence_silence_and_noise_add_nothing(
        tmp_path: Path, say: Callable, join: Callable, noise_file: Path, engine: str,
        request: pytest.FixtureRequest) -> None:
    # The sentence is the prompt of everything after it: Whisper's echo of it on the noise
    # and the silence is told apart by the audio, and none of it comes out.
    r = _run(tmp_path, join(say(REPEATED), noise_file), *_engine(engine, request))
    assert r.returncode == 0, r.stderr
    assert [norm(line) for line in r.stdout.splitlines()] == [norm(REPEATED)], r.stderr
