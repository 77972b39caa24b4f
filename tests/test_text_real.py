"""The text stage on what the real tiny.en writes (bundled model, offline) for speech from
festival's natural voice: spoken commands with the command words in the prompt, the user's
vocabulary in the prompt, and replacements fixing what the model spells its own way."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from dictation.audio.codec import read_wav
from dictation.text import commands
from dictation.text.replacements import from_table
from dictation.transcribe.engines import LocalConfig
from dictation.transcribe.local import LocalTranscriber
from dictation.transcribe.prompt import build_prompt

pytestmark = pytest.mark.real  # real parts: the model and generated speech

TAIL = "We met on Monday and talked about the budget for next year."


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def transcribe_all(say: Callable, jobs: list[tuple[str, str]]) -> list[str]:
    """(sentence, prompt) → what tiny.en wrote, with one engine for all."""

    async def go() -> list[str]:
        engine = LocalTranscriber(LocalConfig())
        try:
            return [(await engine.transcribe(read_wav(say(s)), p)).text for s, p in jobs]
        finally:
            await engine.aclose()

    return asyncio.run(go())


def test_the_letter_with_commands_in_the_prompt(say: Callable) -> None:
    table = commands.build_table(commands.CommandConfig())
    prompt = build_prompt("", "", vocabulary=commands.bias_phrases(table))
    said = ["Dear Sam, comma, new line.", "Thank you for the photos from the trip, period.",
            "new paragraph", "scratch that"]
    heard = transcribe_all(say, [(s, prompt) for s in said])
    out = [commands.apply(h, table) for h in heard]
    assert [o.text for o in out[:3]] == ["Dear Sam,\n", "Thank you for the photos from the trip.",
                                         "\n\n"], heard
    assert out[3].retract and out[3].text == "", heard


def test_vocabulary_in_the_prompt_spells_a_rare_name(say: Callable) -> None:
    sentence = "Please ask Xiomara to review the pull request."
    vocab = ["Kubernetes", "Xiomara", "Siobhan"]
    plain, steered = transcribe_all(say, [(sentence, build_prompt("", TAIL)),
                                          (sentence, build_prompt("", TAIL, vocabulary=vocab))])
    assert "Xiomara" not in plain, plain  # the spelling comes from the vocabulary
    assert "Xiomara" in steered, steered


def test_replacements_fix_what_the_model_writes(say: Callable) -> None:
    fixes = from_table({"cube control": "kubectl", "engine x": "nginx"})
    heard = transcribe_all(say, [("Run cube control get pods on the cluster.", ""),
                                 ("Restart engine x on the web server.", "")])
    fixed = [fixes.apply(h) for h in heard]
    assert "kubectl" not in heard[0] and "kubectl get pods" in fixed[0], heard
    assert "nginx" not in heard[1] and "nginx on the web server" in fixed[1], heard
