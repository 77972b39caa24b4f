"""Pure: where a transcript's sentences end in words, and where in the audio a sentence end a
later text found is looked for (segment/lookback.py), from frames' speech flags alone."""

from __future__ import annotations

import numpy as np

from dictation.audio.vad import Frame
from dictation.segment.lookback import LookingBack, find, left_out, pause_near
from dictation.text.sentences import ends_near, inner_ends, words

PCM = np.zeros(480, np.int16)


def frames(pattern: str) -> list[Frame]:
    """'s' a speech frame, '.' a silent one."""
    return [Frame(PCM, c == "s", 0.0) for c in pattern]


def test_sentence_ends_with_words_after_them() -> None:
    assert inner_ends("Near the bridge. The stalls were") == [3]
    assert inner_ends("One. Two? Three! Four") == [1, 2, 3]
    assert inner_ends("It ends here.") == []  # nothing after it
    assert inner_ends("Well... I think so") == []  # a pause, not an end
    assert inner_ends('He said "no." Then left') == [3]
    assert words("It's 5 o'clock.") == ["It's", "5", "o'clock"]
    assert ends_near("Near the bridge. The stalls", 4) and not ends_near("Near the bridge. The", 6)


def test_the_pause_nearest_where_the_words_place_the_end() -> None:
    f = frames("..ssss.sss...ssss")  # pauses begin at frames 6 and 10
    assert pause_near(f, 6, 2) == 7  # a one-frame pause: kept whole
    assert pause_near(f, 9, 2) == 12  # three frames: the first two kept
    assert pause_near(f, 2, 2) is None  # the silence before the speech is no pause
    assert pause_near(f, 16, 3) is None  # none within reach


def test_the_first_inner_end_is_placed_by_its_share_of_the_speech() -> None:
    # Eight words over the first 8 speech frames, two over the last 2: the end after the
    # eighth word falls at the pause after the eighth speech frame, not the earlier one.
    f = frames(".ssss.ssss..ss")
    back = find(f, "A b c d e f g h. I j", start=40, frame_s=0.03)
    assert back is not None and (back.start, back.frames, back.words) == (40, 11, 8)
    assert (back.heard_frames, back.heard_words) == (len(f), 10)
    assert back.confirms("A b c d e f g h.", f)
    assert back.confirms("A b c d e f g x.", f)  # one word heard apart
    assert not back.confirms("A b c d e f g.", f)  # a word short: cut too early
    assert not back.confirms("A b c d e f g h i.", f)  # a word over: too late
    assert not back.confirms("A b c d e f x y.", f)  # other words
    assert find(f, "A b c d e f g h i j", start=0, frame_s=0.03) is None  # no end inside
    assert find(frames("ssssssss"), "A b. C d", start=0, frame_s=0.03) is None  # no pause


def test_a_cut_whose_text_left_out_the_words_its_audio_held_is_refused() -> None:
    f = frames("ssssssssss")
    # Ten words over ten frames: the first eight frames held eight words.
    assert not left_out(f, 8, 8, 10, 10)
    assert left_out(f, 8, 5, 10, 10)  # three words missing at the cut


def test_a_place_is_tried_once_and_only_for_its_own_utterance() -> None:
    f = frames(".ssss.ssss..ss")
    back = LookingBack(0.03)
    assert back.look(f, "A b c d e f g h. I j", start=40)
    assert back.due(40, f) == tuple(f[:11]) and back.due(41, f) is None  # another utterance
    back.clear()
    assert not back.look(f, "A b c d e f g h. I j k", start=40)  # the same place: tried
    assert back.look(f, "A b c d. E f g h i j", start=40)  # another place
    assert back.due(40, f) is not None
    spec = object()
    back.launched(spec)  # type: ignore[arg-type]
    assert back.owns(spec) and back.due(40, f) is None  # sent: not due again
    assert not back.answered("A b c d e f g h", True, f)  # not where the later text put it
    assert back.place is None
