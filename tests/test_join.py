"""Which utterance may be transcribed together with the newest piece (deliver/join.py), on
records alone."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from dictation.audio.wav import SAMPLE_RATE
from dictation.deliver.join import JOIN_GAP_S, Held
from dictation.records import Heard, Speech
from dictation.text.boundary import BoundaryConfig, rethinks


def said(seq: int, start: float, end: float) -> Speech:
    """An utterance whose speech runs from ``start`` to ``end``, 0.2 s of silence each side."""
    pcm = np.zeros(round((end - start + 0.4) * SAMPLE_RATE), dtype=np.int16)
    return Speech(seq, start - 0.2, end + 0.2, pcm, 0.0, Heard(20.0, 0.8), start, end)


def band(pause: float) -> bool:
    return rethinks(pause, BoundaryConfig())


def test_a_fragment_takes_any_pause_up_to_the_gap() -> None:
    fragment = Held.of(said(1, 0.0, 2.0))
    assert fragment is not None and not fragment.complete
    assert fragment.takes(said(2, 2.3, 3.0), band)
    assert fragment.takes(said(2, 2.0 + JOIN_GAP_S, 8.0), band)
    assert not fragment.takes(said(2, 2.1 + JOIN_GAP_S, 8.0), band)


def test_a_complete_sentence_takes_only_what_follows_a_thinking_pause() -> None:
    sentence = Held.of(said(1, 0.0, 2.0), complete=True)
    assert sentence is not None and sentence.complete
    assert sentence.takes(said(2, 2.7, 4.0), band)
    assert not sentence.takes(said(2, 2.3, 4.0), band)  # a quick talker's next sentence
    assert not sentence.takes(said(2, 3.5, 4.5), band)  # a calm talker's
    # Joined, it keeps the doubt, and the pause is counted from the continuation's end.
    joint = sentence.joined(said(2, 2.7, 4.0))
    assert joint.complete and joint.takes(said(3, 4.8, 5.5), band)


def test_recovered_or_too_long_audio_is_never_held_or_taken() -> None:
    assert Held.of(said(1, 0.0, 30.0)) is None
    fragment = Held.of(said(1, 0.0, 2.0))
    assert fragment is not None
    assert not fragment.takes(replace(said(2, 2.5, 3.0), recovered=True), band)


def test_a_joint_request_puts_no_words_back_before_its_text() -> None:
    # Its audio holds the piece before, where a cut may have left them (text/carry.py).
    fragment = Held.of(said(1, 0.0, 2.0))
    assert fragment is not None
    item = replace(said(2, 2.3, 3.0), opening=("If", "the"))
    request = fragment.joined(item).request(item)
    assert request.opening == () and len(request.pcm) > len(item.pcm)
