"""Live typing's words as the start of every later decode of their utterance: which words,
for which utterance, and when a final may not begin with them (pure); and that the next
interim and the final ask the engine for them (the real pipeline, a scripted engine)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from corerig import rig, speech

from dictation.deliver.live import LiveText
from dictation.records import Interim
from dictation.text.config import TextConfig
from dictation.text.stage import TextStage

T, P = "talk", "pause"


class Typing:
    """Records what live typing would type: the sink's side is tested in test_typedtail."""

    name = "type"
    final_only = False
    can_live = True

    def __init__(self) -> None:
        self.report = lambda event: None
        self.shown: list[tuple[int, str]] = []

    async def live(self, seq: int, piece: str) -> None:
        self.shown.append((seq, piece))

    def absorb(self, seq: int) -> None:
        pass

    async def settle(self, seq: int | None) -> None:
        pass

    async def deliver(self, item: object) -> None:
        pass

    async def revise(self, rev: object) -> None:
        pass

    async def aclose(self) -> None:
        pass


def heard(live: LiveText, seq: int, text: str, end_s: float) -> None:
    live.interim(Interim(seq, text, "", 0.0, end_s))


def run(steps) -> None:
    async def main() -> None:
        sink = Typing()
        live = LiveText(TextStage(TextConfig()), [sink], lambda: None)
        await steps(live)
        await live.close()

    asyncio.run(main())


def test_the_words_two_decodes_agree_on_begin_every_later_decode() -> None:
    async def steps(live: LiveText) -> None:
        assert live.prefix() == ""
        heard(live, 1, "Then I walked", 1.0)
        assert live.prefix() == ""  # one decode agrees with nothing yet
        heard(live, 1, "Then I walked to the market.", 2.0)
        assert live.prefix() == "Then I walked"
        heard(live, 1, "Then I walked to the market. The", 3.0)
        # The last word's mark is not typed, but a decode that goes on after it keeps it.
        assert live.prefix() == "Then I walked to the market."
        heard(live, 1, "Then I walked to the market. The stalls", 3.2)
        assert live.prefix() == "Then I walked to the market. The"
        # A decode started before the words were agreed agrees on fewer: they stay.
        heard(live, 1, "Then I walked two", 3.5)
        assert live.prefix() == "Then I walked to the market. The"

    run(steps)


def test_a_final_begins_with_its_utterances_words_only_if_its_audio_holds_them() -> None:
    async def steps(live: LiveText) -> None:
        heard(live, 1, "Then I walked", 1.0)
        heard(live, 1, "Then I walked home.", 2.0)  # agreed in the audio to 1.0 s
        live.queued(1)
        assert live.prefix() == ""  # the utterance spoken now is another
        assert live.prefix_of(1, 4.0) == "Then I walked"
        assert live.prefix_of(1, 4.0) == ""  # asked once
        heard(live, 2, "The stalls were", 5.0)
        heard(live, 2, "The stalls were busy", 6.0)
        live.queued(2)
        # Cut at a breath before 5.0 s: the words were heard in audio the final lacks.
        assert live.prefix_of(2, 4.8) == ""

    run(steps)


def test_an_utterance_that_ends_with_no_text_leaves_no_words_to_begin_with() -> None:
    async def steps(live: LiveText) -> None:
        heard(live, 1, "Um so", 1.0)
        heard(live, 1, "Um so", 2.0)
        assert live.prefix() == "Um so"
        heard(live, 1, "", 2.0)  # withdrawn
        assert live.prefix() == ""
        live.queued(1)
        assert live.prefix_of(1, 3.0) == ""

    run(steps)


def test_without_live_typing_no_decode_is_given_words() -> None:
    async def main() -> None:
        live = LiveText(TextStage(TextConfig()), [], lambda: None)
        heard(live, 1, "Then I walked", 1.0)
        heard(live, 1, "Then I walked home", 2.0)
        assert live.prefix() == ""
        await live.close()

    asyncio.run(main())




def test_the_next_interim_and_the_final_are_asked_to_begin_with_the_words_typed(
        tmp_path: Path) -> None:
    # The real pipeline, a scripted engine: interims every 0.3 s of a 2.5 s burst, typed
    # live by a sink that can (Typing).
    async def main() -> None:
        r = rig(tmp_path, speech((P, 0.5), (T, 2.5), (P, 1)), holds=[1.11, 1.71, 2.31],
                interim_s=0.3, sinks=[Typing()]).start()
        await r.held()
        c1 = r.engine.calls[0]
        assert c1.hint is not None and c1.hint.prefix == ""
        c1.answer("Then I walked")
        await r.signal.until(lambda: len(r.observer.interims) == 1, "the first interim")
        r.source.release()
        await r.held()
        c2 = r.engine.calls[1]
        assert c2.hint is not None and c2.hint.prefix == ""  # nothing agreed yet
        c2.answer("Then I walked home")
        await r.signal.until(lambda: len(r.observer.interims) == 2, "the second interim")
        r.source.release()
        await r.held()
        c3 = r.engine.calls[2]
        assert c3.hint is not None and c3.hint.prefix == "Then I walked"
        r.source.release()
        final = await r.engine.call(4)
        assert c3.cancelled and final.seconds > c3.seconds
        assert final.hint is not None and final.hint.prefix == "Then I walked"
        final.answer("Then I walked home.")
        assert await r.finish() == 0
        assert r.sink.texts == ["Then I walked home."]

    asyncio.run(main())
