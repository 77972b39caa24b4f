"""What the pipeline asks of its source about holding audio back (audio/handoff.py holds a
microphone's blocks while the room is quiet): hold while no utterance is open, every block at
once from the one that opens an utterance until it ends, and the waiting blocks first before
a control action. The real pipeline over the real FileSource (corerig), which records what it
was asked."""

from __future__ import annotations

import asyncio
from pathlib import Path

from corerig import HeldFile, rig, speech

from dictation.audio.vad import SAMPLE_RATE

P, T = "pause", "talk"


def recording(source: HeldFile) -> list[tuple[float, bool]]:
    """(seconds of the file handed on when asked, quiet) for each ``hold`` the source gets."""
    asked: list[tuple[float, bool]] = []
    source.hold = lambda quiet: asked.append((source.passed / SAMPLE_RATE, quiet))  # type: ignore[method-assign]
    return asked


def test_the_source_holds_only_while_no_utterance_is_open(tmp_path: Path) -> None:
    async def main() -> None:
        r = rig(tmp_path, speech((P, 1), (T, 1), (P, 2)))
        asked = recording(r.source)
        r.start()
        (await r.engine.call(1)).answer("Alpha one.")
        assert await r.finish() == 0
        changes = [(s, q) for i, (s, q) in enumerate(asked) if i == 0 or asked[i - 1][1] != q]
        # Quiet from the start; every block at once from the talk's first frames on (the
        # segmenter opens after 60 ms of speech, a 30 ms block late at most); quiet again once
        # the utterance ended, after its pause.
        assert [q for _, q in changes] == [True, False, True], changes
        opened, ended = changes[1][0], changes[2][0]
        assert 1.0 < opened <= 1.12, opened
        assert 2.2 < ended < 3.0, ended

    asyncio.run(main())


def test_a_control_action_first_takes_the_blocks_held_back(tmp_path: Path) -> None:
    async def main() -> None:
        r = rig(tmp_path, speech((P, 1), (T, 1), (P, 1)), holds=[0.5])
        asked = recording(r.source)
        r.start()
        await r.held()
        asked.clear()
        r.pipeline.control("status")  # no action: nothing to put in order
        assert asked == []
        r.pipeline.control("stop")  # the gate closes: an action queued after the audio
        assert [q for _, q in asked] == [False]
        assert abs(asked[0][0] - 0.5) < 0.03, asked
        r.source.release()
        assert await r.finish() == 0

    asyncio.run(main())
