"""Pure: where a transcript's sentences end, counted in words (text/sentences.py): how
speculation tells that a later decode confirms a breath's sentence end (segment/candidate.py)."""

from __future__ import annotations

from dictation.records import Speculation
from dictation.segment.candidate import Candidates, Reading, opening, read
from dictation.text.sentences import after_end, ends_near, inner_ends, words


def test_sentence_ends_with_words_after_them() -> None:
    assert inner_ends("Near the bridge. The stalls were") == [3]
    assert inner_ends("One. Two? Three! Four") == [1, 2, 3]
    assert inner_ends("It ends here.") == []  # nothing after it
    assert inner_ends("Well... I think so") == []  # a pause, not an end
    assert inner_ends('He said "no." Then left') == [3]
    assert words("It's 5 o'clock.") == ["It's", "5", "o'clock"]


def test_the_words_after_a_sentence_end_as_written() -> None:
    text = "Paint the front door. If the weather, stays dry"
    assert after_end(text, 4, 3) == ["If", "the", "weather,"]
    assert after_end(text, 4, 9) == ["If", "the", "weather,", "stays", "dry"]
    assert after_end(text, 3, 3) == []  # no end after the third word
    assert after_end("Well... I think. So it", 3, 2) == ["So", "it"]  # the pause is none


def test_a_confirming_text_says_how_the_speech_after_the_end_begins() -> None:
    door = "I will paint the front door."
    assert opening(door, "I will paint the front door. If the weather stays dry") == (
        "If", "the", "weather", "stays")
    assert opening(door, "I'll paint the front door. If it") == ("If", "it")  # worded apart
    assert opening(door, "I will paint the front door and the") == ()  # it does not confirm


def test_a_later_text_confirms_an_end_near_the_same_word() -> None:
    assert ends_near("Near the bridge. The stalls", 3)
    assert ends_near("Near the old bridge. The stalls", 3)  # worded a little apart
    assert not ends_near("Near the bridge. The", 6)
    assert not ends_near("Near the bridge the stalls were busy.", 3)  # no end with words after


def test_a_later_text_confirms_waits_on_or_refutes_a_breath_candidate() -> None:
    # The candidate's 40 speech frames; the later text's are in proportion to its words.
    busy = "The stalls were busy."
    assert read(busy, "The stalls were busy. I picked up some", 40, 80) is Reading.CONFIRMS
    assert read(busy, "The stall was so busy. I picked up", 40, 80) is Reading.CONFIRMS
    # A word past it, left out at the end of the audio: no evidence either way.
    assert read(busy, "The stalls were busy.", 40, 50) is Reading.TOO_CLOSE
    assert read(busy, "The stalls were so busy", 40, 50) is Reading.TOO_CLOSE
    # A word past it heard: the sentence goes on there, or ends at another word.
    assert read(busy, "The stalls were busy with", 40, 50) is Reading.REFUTES
    assert read(busy, "The stalls were busy today.", 40, 50) is Reading.REFUTES
    # The speech went on as one sentence, three words and more past it.
    assert read(busy, "The stalls were busy with people buying", 40, 70) is Reading.REFUTES
    # The sentence ended a word later: the candidate's audio stopped inside it.
    assert read("The shop opens next.", "The shop opens next spring. After that I", 40, 80
                ) is Reading.REFUTES
    # The candidate's 40 frames held 6 words of the later text's rate: it left 2 out.
    assert read(busy, "The stalls were busy. Then I went on to say", 40, 66
                ) is Reading.REFUTES


class _Call:
    """An engine call that was answered: all a kept candidate needs of it."""

    discarded = False

    def discard(self) -> None:
        self.discarded = True


def test_a_later_text_still_confirms_one_of_the_last_refuted_candidates() -> None:
    def breath(frames: int) -> Speculation:
        return Speculation(0, frames, "", _Call())  # type: ignore[arg-type]

    def speech(frames: int) -> int:
        return frames  # all speech: the texts below hold words at one rate

    kept = Candidates()
    texts = ["One two three.", "One two three four five six.", "One two three four five six "
             "seven eight nine.", "One two three four five six seven eight nine ten eleven."]
    specs = [breath(10 * len(t.split())) for t in texts]
    for i, (spec, text) in enumerate(zip(specs, texts, strict=True)):
        if i:  # each refutes the one before: it goes on past it with no end there
            assert kept.judge(text, speech, spec.frames) == (None, Reading.REFUTES)
        kept.add(spec, text)
    # Three refuted are kept, the oldest forgotten (and its call let go).
    assert list(kept.refuted) == specs[:3] and not specs[0].call.discarded
    later = "One two three four five six. Seven eight nine ten eleven twelve thirteen"
    assert kept.judge(later, speech, 130) == (specs[1], Reading.REFUTES)
    assert kept.standing is None and list(kept.refuted) == specs[1:]
    assert specs[0].call.discarded
