"""The embedded engine with the real bundled tiny.en weights, offline, and how an engine is
chosen."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from conftest import SAMPLE, dictation_cmd

from dictation.audio.codec import read_wav
from dictation.cli.build import build_engine, resolve_args
from dictation.errors import ConfigError
from dictation.transcribe import Hint
from dictation.transcribe.engines import ApiConfig, LocalConfig
from dictation.transcribe.local import LocalTranscriber

pytestmark = pytest.mark.real  # real parts: processes, servers, the model

OFFLINE = {"HF_HUB_OFFLINE": "1"}


def words(text: str) -> list[str]:
    return re.sub(r"[^a-z0-9' ]", " ", text.lower()).split()


def local_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL")}
    return {**env, **OFFLINE, "XDG_STATE_HOME": str(tmp_path / "state")}


def transcribe(pcm: np.ndarray, prompt: str = "", **kw: object):
    async def go():
        t = LocalTranscriber(LocalConfig(**kw))
        try:
            return await t.transcribe(pcm, prompt)
        finally:
            await t.aclose()

    return asyncio.run(go())


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in OFFLINE.items():
        monkeypatch.setenv(k, v)


def test_local_engine_transcribes_generated_speech(say: Callable) -> None:
    sentence = "The quick brown fox jumps over the lazy dog."
    result = transcribe(read_wav(say(sentence)))
    assert words(result.text) == words(sentence)


@pytest.mark.parametrize("full_window", [False, True])
def test_short_and_full_windows_agree_and_keep_long_audio(say: Callable, join: Callable,
                                                          full_window: bool) -> None:
    # 14 s of speech: longer than the 10 s minimum window, so the window must grow with it.
    a = say("Please remind me to water the plants on the balcony before Friday.")
    b = say("The meeting with the design team has been moved to Thursday afternoon.",
            voice="en-us")
    c = say("Could you send me the updated budget figures by the end of the day?")
    pcm = read_wav(join(a, b, c))
    assert len(pcm) / 16000 > 11
    said = words(transcribe(pcm, full_window=full_window).text)
    for last in ("friday", "afternoon", "day"):
        assert last in said  # the end of the audio was encoded, not cut off by the window


def test_timestamps_are_inside_the_audio(say: Callable) -> None:
    pcm = read_wav(say("Turn left at the second traffic light, then park behind the bakery."))
    result = transcribe(pcm, timestamps=True)
    assert result.segments
    ends = [s.end for s in result.segments]
    assert all(0 <= s.start < s.end <= len(pcm) / 16000 + 0.5 for s in result.segments), \
        result.segments
    assert ends == sorted(ends)
    assert all(s.no_speech_prob is not None for s in result.segments)


def test_a_prefix_is_where_the_text_begins_and_it_goes_on_from_there(say: Callable) -> None:
    # Live typing's words, a mark placed as the model would not: the text keeps them as they
    # are and goes on with the rest of the speech.
    pcm = read_wav(say("I picked up some apples and a small bunch of flowers for my neighbor."))
    prefix = "I picked up some apples, and a small"

    async def go():
        t = LocalTranscriber(LocalConfig())
        try:
            return await t.transcribe(pcm, "", Hint(prefix=prefix))
        finally:
            await t.aclose()

    text = asyncio.run(go()).text
    assert text.startswith(prefix), text
    assert words(text)[-3:] == ["for", "my", "neighbor"]


@pytest.mark.parametrize(("sentence", "name", "prompt"), [
    # Rare names the model mishears without the prompt (tiny.en wrote "Ziamara", "Shavana")…
    ("Send the report to Kubernetes team lead Xiomara.", "Xiomara",
     "Xiomara from the Kubernetes team."),
    ("Please call Siobhan about the invoice.", "Siobhan", "Siobhan from accounting."),
    # … and a name it hears right but spells the usual way ("Caitlin") unless told otherwise.
    ("Send the contract to Caitlin Mahoney.", "Caitlyn", "Caitlyn Mahoney, legal."),
], ids=["Xiomara", "Siobhan", "Caitlyn"])
def test_the_prompt_steers_the_spelling_of_a_name(say: Callable, sentence: str, name: str,
                                                  prompt: str) -> None:
    pcm = read_wav(say(sentence))

    async def both() -> tuple[str, str]:
        t = LocalTranscriber(LocalConfig())
        try:
            return (await t.transcribe(pcm, "")).text, (await t.transcribe(pcm, prompt)).text
        finally:
            await t.aclose()

    plain, steered = asyncio.run(both())
    assert name not in plain, plain  # the spelling comes from the prompt, not the audio alone
    assert name in steered, steered


# --- choosing the engine -------------------------------------------------------------------


@pytest.mark.parametrize(("argv", "env", "engine"), [
    ([], {}, LocalConfig),
    ([], {"OPENAI_API_KEY": "sk-x"}, ApiConfig),
    ([], {"OPENAI_BASE_URL": "http://127.0.0.1:8000/v1"}, ApiConfig),
    (["--base-url", "http://127.0.0.1:8000/v1"], {}, ApiConfig),
    (["--api-key", "sk-x"], {}, ApiConfig),
    (["--engine", "local"], {"OPENAI_API_KEY": "sk-x"}, LocalConfig),
    (["--engine", "api", "--base-url", "http://127.0.0.1:8000/v1"], {}, ApiConfig),
])
def test_engine_selection(argv: list[str], env: dict[str, str], engine: type) -> None:
    assert isinstance(build_engine(resolve_args(argv, env).args), engine)


def test_engine_selection_key_file(tmp_path: Path) -> None:
    key = tmp_path / "key"
    key.write_text("sk-file\n")
    key.chmod(0o600)
    cfg = build_engine(resolve_args(["--api-key-file", str(key)], {}).args)
    assert isinstance(cfg, ApiConfig) and cfg.api_key == "sk-file"


def test_explicit_api_without_key_or_url_is_an_error() -> None:
    with pytest.raises(ConfigError, match="no API key"):
        build_engine(resolve_args(["--engine", "api"], {}).args)


# --- the CLI with the local engine ---------------------------------------------------------


def run(tmp_path: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    p = subprocess.run(dictation_cmd(*args), capture_output=True, text=True, cwd=tmp_path,
                       env=local_env(tmp_path), timeout=timeout)
    assert "Traceback" not in p.stderr, p.stderr
    return p


def test_no_key_no_server_dictates_with_the_local_engine(tmp_path: Path) -> None:
    r = run(tmp_path, "run", "--input", str(SAMPLE), "--fast", "-v")
    assert r.returncode == 0, r.stderr
    assert "local engine, model tiny.en (bundled)" in r.stderr.splitlines()[0]
    lines = r.stdout.splitlines()
    assert len(lines) == 2 and "cursor" in lines[0].lower() and "sentence" in lines[1].lower()
    # --fast: both utterances are cut long before the model is ready; they waited, queued.
    log = r.stderr.splitlines()
    ready = next(i for i, ln in enumerate(log) if "ready on cpu" in ln)
    cut = [i for i, ln in enumerate(log) if "ended by" in ln]
    assert len(cut) == 2 and max(cut) < ready


@pytest.mark.parametrize(("model", "says"), [
    ("base.en", "cannot download model 'base.en'"),
    ("no-such-model", "unknown local model 'no-such-model'"),
    ("./missing-dir", "local model directory ./missing-dir does not exist"),
])
def test_unusable_model_is_one_line(tmp_path: Path, model: str, says: str) -> None:
    r = run(tmp_path, "run", "--input", str(SAMPLE), "--fast", "--local-model", model)
    assert r.returncode == 2 and r.stdout == ""
    errors = [ln for ln in r.stderr.splitlines() if "error" in ln]
    assert len(errors) == 1 and says in errors[0], r.stderr


def test_model_directory_without_weights_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    r = run(tmp_path, "run", "--input", str(SAMPLE), "--local-model", str(tmp_path / "empty"))
    assert r.returncode == 2
    assert r.stderr.splitlines() == [
        f"dictation: error: {tmp_path / 'empty'} is not a faster-whisper model directory "
        "(no model.bin)"]


def test_a_draft_is_never_redone_the_slow_way(tmp_path: Path) -> None:
    # Clicks after a sentence's prompt: tiny.en's quick pass looks broken (it makes up a
    # sentence), and a final's text is redone over the full window with temperature
    # fallback; an interim's (a draft) is returned as it is, in one decode.
    clicks = tmp_path / "clicks.wav"
    subprocess.run(["sox", "-R", "-n", "-r", "16000", "-c", "1", "-b", "16", str(clicks),
                    "synth", "3", "square", "1000", "vol", "0.02", "tremolo", "2.5", "100"],
                   check=True)
    pcm = read_wav(clicks)

    async def go() -> list[int]:
        t = LocalTranscriber(LocalConfig())
        await t.prepare()
        decodes = 0
        inner = t._model.transcribe

        def counted(*args: object, **kw: object) -> object:
            nonlocal decodes
            decodes += 1
            return inner(*args, **kw)

        t._model.transcribe = counted
        counts = []
        try:
            for draft in (False, True):
                decodes = 0
                await t.transcribe(pcm, "Please send the report to the whole team.",
                                   Hint(draft=draft))
                counts.append(decodes)
        finally:
            await t.aclose()
        return counts

    final, draft = asyncio.run(go())
    assert final == 2  # the quick pass, then the slow one: the audio does look broken
    assert draft == 1


FAST_TALK = {  # what the fastest speech measured holds a second (33 characters), and more
    "en": "Please send the quarterly report to the whole team before Friday afternoon, "
          "and copy the cache directory results into the shared folder. ",
    "fr": "Envoie le rapport trimestriel à toute l'équipe avant vendredi après-midi, et "
          "copie les résultats du répertoire dans le dossier partagé. ",
    "de": "Schick den Quartalsbericht vor Freitagnachmittag an das ganze Team und kopiere "
          "die Ergebnisse des Verzeichnisses in den gemeinsamen Ordner. ",
}


@pytest.mark.parametrize("language", sorted(FAST_TALK))
def test_the_token_limit_holds_the_fastest_speech(language: str,
                                                  base_model_dir: Path) -> None:
    # Each decode stops at a limit that follows the audio's length (a loop no longer runs
    # to the context's end); it must never cut what a fast talker said in that time.
    from tokenizers import Tokenizer

    from dictation.transcribe.windowed import token_limit

    tokenizer = Tokenizer.from_file(str(base_model_dir / "tokenizer.json"))
    for seconds in (0.5, 1, 2, 4, 8, 15, 30):
        said = (FAST_TALK[language] * 40)[: int(33 * seconds)]
        tokens = len(tokenizer.encode(" " + said, add_special_tokens=False).ids)
        limit = token_limit(seconds)
        assert limit is None or tokens + 2 <= limit, (seconds, tokens)  # + end, timestamp
    assert token_limit(30) is None  # a full window: the model's own limit, as ever
    assert token_limit(2) is not None  # a short utterance cannot loop for seconds


def _nice_of_threads() -> list[int]:
    return [int(Path(t, "stat").read_text().rsplit(")", 1)[1].split()[16])
            for t in Path("/proc/self/task").iterdir()]


def test_a_lowered_priority_reaches_every_decoding_thread() -> None:
    # A refiner's decodes yield the cores to the fast model's: its loading thread lowers its
    # own priority, and the threads the model starts inherit it; this thread's is untouched.
    before = _nice_of_threads().count(7)
    mine = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    async def go() -> tuple[int, str]:
        t = LocalTranscriber(LocalConfig(nice=7, threads=2))
        try:
            result = await t.transcribe(read_wav(SAMPLE), "")
            return _nice_of_threads().count(7) - before, result.text
        finally:
            await t.aclose()

    niced, text = asyncio.run(go())
    assert niced >= 2, niced  # the engine's own thread and the model's workers
    assert text.strip()  # and it still decodes
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == mine
