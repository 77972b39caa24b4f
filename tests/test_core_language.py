"""The core in-process: each piece's language, decided at the engine, travels with it. The
next request is told the language before it and given a prompt per language holding only
that language's text; the pieces and the status carry their language. The scripted engine
says which language each answer is in."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest
from corerig import rig, speech

T, P = "talk", "pause"
THREE = speech((P, 0.5), (T, 1.5), (P, 1.0), (T, 1.5), (P, 1.0), (T, 1.5), (P, 1.0))


def test_the_language_before_and_a_prompt_per_language_go_with_each_request(
        tmp_path: Path) -> None:
    async def main() -> None:
        r = rig(tmp_path, THREE, prompt="Notes:").start()
        c1 = await r.engine.call(1)
        assert c1.hint is not None and c1.hint.previous is None
        c1.answer("Good morning.", "en")
        c2 = await r.engine.call(2)
        assert c2.hint.previous == "en" and c2.prompt == "Notes: Good morning."
        c2.answer("Bonjour à tous.", "fr")
        c3 = await r.engine.call(3)
        hint = c3.hint
        assert hint.previous == "fr"
        assert hint.prompts["fr"] == "Notes: Bonjour à tous."
        assert hint.prompts["en"] == "Notes: Good morning."
        assert hint.prompt_for("es", "") == "Notes:"  # never heard: no text before it
        assert r.pipeline.status()["language"] == "fr"
        c3.answer("Let us start.", "en")
        assert await r.finish() == 0
        assert [f.item.language for f in r.observer.finals] == ["en", "fr", "en"]
        assert r.pipeline.status()["language"] == "en"

    asyncio.run(main())


@pytest.mark.parametrize(("heard", "joined"), [
    (("es",), False),  # sure of another language: alone
    (("es", "en"), True),  # unsure, the fragment's language its runner-up: joined
    (("en",), True),
    ((), True),  # the engine cannot tell
])
def test_a_continuation_the_engine_hears_in_another_language_is_not_joined(
        tmp_path: Path, heard: tuple[str, ...], joined: bool) -> None:
    # A joint decode is in one language: the continuation's language is asked first, and
    # the scripted engine's detector answers ``heard``.
    async def main() -> None:
        r = rig(tmp_path, speech((P, 0.5), (T, 1), (P, 1.5), (T, 1.2), (P, 1)))
        asked: list[tuple[np.ndarray, str | None]] = []

        async def languages_of(pcm: np.ndarray, previous: str | None) -> tuple[str, ...]:
            asked.append((pcm.copy(), previous))
            return heard

        r.engine.languages_of = languages_of  # type: ignore[attr-defined]
        r.start()
        c1 = await r.engine.call(1)
        c1.answer("The meeting is at.", "en")  # left open
        await r.delivered(1)
        c2 = await r.engine.call(2)
        # Asked of the continuation's own audio, told the fragment's language; then the
        # two decoded together, or that audio alone.
        [(audio, previous)] = asked
        assert previous == "en" and np.array_equal(c2.pcm, audio) != joined
        assert np.array_equal(c2.pcm[-len(audio) + 4000:], audio[4000:])
        c2.answer("The meeting is at three on Friday." if joined else "Por favor.",
                  "en" if joined else "es")
        assert await r.finish() == 0
        assert r.pipeline.stats.joined == joined
        got = [(i.text, i.language) for i in r.sink.items]
        if joined:
            assert got == [("The meeting is at.", "en")] and r.sink.revisions
        else:  # the fragment as it was, and a piece of its own in Spanish
            assert got == [("The meeting is at.", "en"), ("Por favor.", "es")]
            assert not r.sink.revisions

    asyncio.run(main())
