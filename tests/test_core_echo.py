"""The core in-process: text that could echo the prompt. The text alone cannot tell Whisper
repeating its prompt over near-silence from a speaker who said the same thing again, so the
audio is asked: transcribed again without any prompt, an echo is gone and a repetition stays.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
from corerig import PLAIN, rig, speech
from scripted import Call

from dictation.text.commands import CommandConfig

T, P = "talk", "pause"
THREE = speech((P, 0.5), (T, 1.5), (P, 1), (T, 1.5), (P, 1), (T, 1.5), (P, 1))
SAID = "I agree with you."


def _same_audio(a: Call, b: Call) -> bool:
    return np.array_equal(a.pcm, b.pcm)


def test_a_sentence_said_three_times_is_delivered_three_times(tmp_path: Path) -> None:
    async def main() -> None:
        r = rig(tmp_path, THREE).start()
        (await r.engine.call(1)).answer(SAID)
        c2 = await r.engine.call(2)
        assert c2.prompt == SAID
        c2.answer(SAID)  # the prompt's words again: an echo, or said again?
        ask = await r.engine.call(3)
        assert ask.prompt == "" and _same_audio(ask, c2)  # the same audio, no prompt
        ask.answer("I agree with you")  # still there: said again
        c4 = await r.engine.call(4)
        c4.answer(SAID)
        (await r.engine.call(5)).answer("I agree with you.")
        assert await r.finish() == 0
        assert r.sink.texts == [SAID, SAID, SAID]
        assert r.pipeline.stats.echo_checks == 2 and r.pipeline.kept == []

    asyncio.run(main())


def test_an_echo_of_the_prompt_is_dropped_when_the_audio_holds_no_words(tmp_path: Path
                                                                         ) -> None:
    async def main() -> None:
        r = rig(tmp_path, THREE).start()
        (await r.engine.call(1)).answer("We deployed the new dashboard yesterday.")
        (await r.engine.call(2)).answer("We deployed the new dashboard yesterday.")
        (await r.engine.call(3)).answer("")  # without the prompt: nothing there
        c4 = await r.engine.call(4)
        c4.answer("deployed the new dashboard")  # an echo of part of it
        (await r.engine.call(5)).answer("[BLANK_AUDIO]")  # without: what the guard drops
        assert await r.finish() == 0
        assert r.sink.texts == ["We deployed the new dashboard yesterday."]
        assert r.pipeline.stats.echo_checks == 2

    asyncio.run(main())


def test_other_words_heard_without_the_prompt_are_delivered(tmp_path: Path) -> None:
    async def main() -> None:
        r = rig(tmp_path, THREE[: 5 * 16000]).start()
        (await r.engine.call(1)).answer("The build is green again.")
        (await r.engine.call(2)).answer("The build is green again.")
        (await r.engine.call(3)).answer("Ship it tonight.")
        assert await r.finish() == 0
        assert r.sink.texts == ["The build is green again.", "Ship it tonight."]

    asyncio.run(main())


def test_an_answer_of_the_prompts_bias_words_is_an_echo_unless_the_audio_says_it(
        tmp_path: Path) -> None:
    # With spoken commands on, the prompt carries the command phrases. What Whisper makes of
    # noise with such a prompt is those phrases: before the audio was asked, ", .\n," was
    # typed. A speaker who says them stays (the second utterance).
    text = PLAIN.__class__(commands=CommandConfig(), boundary=PLAIN.boundary)

    async def main() -> None:
        r = rig(tmp_path, THREE[: 5 * 16000], text=text).start()
        c1 = await r.engine.call(1)
        assert "new line" in c1.prompt.lower()  # the bias words
        c1.answer("Comma, period, new line, comma.")
        (await r.engine.call(2)).answer("")
        (await r.engine.call(3)).answer("Comma, period, new line.")
        (await r.engine.call(4)).answer("comma period new line")
        assert await r.finish() == 0
        assert r.sink.shown == ",.\n", repr(r.sink.shown)

    asyncio.run(main())


def test_a_sentence_looped_after_a_prompt_that_holds_it_is_delivered_once(tmp_path: Path
                                                                           ) -> None:
    # With the sentence three times in its prompt, the model wrote it three times for audio
    # that holds it once: asked without the prompt, the audio says it once.
    async def main() -> None:
        r = rig(tmp_path, THREE[: 5 * 16000]).start()
        (await r.engine.call(1)).answer(SAID)
        (await r.engine.call(2)).answer(" ".join([SAID] * 6))
        ask = await r.engine.call(3)
        assert ask.prompt == ""
        ask.answer(SAID)
        assert await r.finish() == 0
        assert r.sink.texts == [SAID, SAID]

    asyncio.run(main())
