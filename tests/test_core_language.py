"""The core in-process: each piece's language, decided at the engine, travels with it. The
next request is told the language before it and given a prompt per language holding only
that language's text; the pieces and the status carry their language. The scripted engine
says which language each answer is in."""

from __future__ import annotations

import asyncio
from pathlib import Path

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
