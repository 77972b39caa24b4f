"""The segmenter as a pure state machine: booleans in, utterances out, no audio."""

from __future__ import annotations

import itertools
import random

import pytest

from dictation.segment.pacer import BREATH_BUDGET_S, BreathBudget, SpeculationPacer
from dictation.segment.segmenter import Segmenter, SegmenterConfig, Utterance

F = 0.03


def feed(seg: Segmenter, pattern: list[tuple[bool, float]], level: float | None = None,
         first: int = 0) -> list[Utterance]:
    """Feed runs of (is_speech, seconds); payloads are the frame indices from ``first``."""
    out: list[Utterance] = []
    i = first
    for speech, seconds in pattern:
        for _ in range(round(seconds / F)):
            lvl = level if level is not None else (1000.0 if speech else 10.0)
            u = seg.push(speech, lvl, i)
            i += 1
            if u:
                out.append(u)
    return out


def test_pre_roll_keeps_audio_before_detection() -> None:
    seg = Segmenter(SegmenterConfig(pre_roll_s=0.3))
    [u] = feed(seg, [(False, 2.0), (True, 1.0), (False, 1.0)])
    first_speech = round(2.0 / F)
    # ≥ 300 ms of the audio before the first speech frame is part of the utterance.
    assert u.payloads[0] == u.start
    assert first_speech - u.start >= round(0.3 / F)
    assert first_speech in u.payloads


def test_short_blip_is_dropped_and_counted() -> None:
    seg = Segmenter(SegmenterConfig(min_speech_s=0.25))
    assert feed(seg, [(False, 1), (True, 0.12), (False, 2)]) == []
    assert seg.dropped == 1
    [u] = feed(seg, [(True, 0.6), (False, 2)])
    assert u.speech_frames == round(0.6 / F)


def test_single_frames_of_noise_do_not_open_an_utterance() -> None:
    seg = Segmenter(SegmenterConfig(start_s=0.06))
    assert feed(seg, [(True, F), (False, F)] * 50) == []
    assert not seg.active and seg.dropped == 0


@pytest.mark.parametrize("spoken", [0.6, 1.0, 2.0, 3.0, 5.0])
def test_needed_silence_shrinks_as_the_utterance_grows(spoken: float) -> None:
    seg = Segmenter()
    c = seg.config
    assert c.hangover_min_s <= seg.needed_silence_s(spoken) <= c.hangover_max_s
    assert seg.needed_silence_s(spoken) <= seg.needed_silence_s(spoken / 2)
    assert seg.needed_silence_s(0) == pytest.approx(c.hangover_max_s)
    assert seg.needed_silence_s(100) == pytest.approx(c.hangover_min_s)


def test_short_command_survives_a_pause_that_ends_long_speech() -> None:
    cfg = SegmenterConfig(hangover_max_s=0.7, hangover_min_s=0.27, hangover_shrink_s=2.5)
    # A 0.6 s command followed by a 0.4 s pause: not yet over, the speaker may go on.
    seg = Segmenter(cfg)
    assert feed(seg, [(False, 0.5), (True, 0.6), (False, 0.4)]) == []
    assert seg.active
    # 4 s of speech followed by the same 0.4 s breath pause: cut there.
    seg = Segmenter(cfg)
    out = feed(seg, [(False, 0.5), (True, 4.0), (False, 0.4)])
    assert len(out) == 1 and out[0].reason == "pause"


def test_quick_talker_gets_one_utterance_per_sentence() -> None:
    seg = Segmenter()
    pattern = []
    for _ in range(6):
        pattern += [(True, 3.0), (False, 0.3)]
    out = feed(seg, [*pattern, (False, 1.0)])
    assert len(out) == 6
    # Consecutive utterances neither overlap nor leave a gap: no frame lost or sent twice.
    for a, b in itertools.pairwise(out):
        assert a.end == b.start
    assert [p for u in out for p in u.payloads] == list(range(out[0].start, out[-1].end))


def test_pause_is_shared_between_neighbours() -> None:
    seg = Segmenter(SegmenterConfig(hangover_min_s=0.3, hangover_max_s=0.3))
    out = feed(seg, [(True, 1.0), (False, 0.3), (True, 1.0), (False, 1.0)])
    assert len(out) == 2
    silence = range(round(1.0 / F), round(1.3 / F))
    in_first = [p for p in out[0].payloads if p in silence]
    in_second = [p for p in out[1].payloads if p in silence]
    assert in_first and in_second and not set(in_first) & set(in_second)


def test_max_length_splits_at_the_quietest_point_and_loses_nothing() -> None:
    cfg = SegmenterConfig(max_utterance_s=10.0, split_window_s=3.0)
    seg = Segmenter(cfg)
    out: list[Utterance] = []
    i = 0
    # 12 s of speech; the VAD never reports a pause but one stretch (8.1–8.25 s) is quiet.
    for k in range(round(12 / F)):
        t = k * F
        level = 50.0 if 8.1 <= t < 8.25 else 1000.0
        u = seg.push(True, level, i)
        i += 1
        if u:
            out.append(u)
    tail = seg.flush()
    assert tail is not None
    assert len(out) == 1 and out[0].reason == "max_length"
    cut_s = out[0].end * F
    assert 8.1 <= cut_s < 8.25
    assert tail.start == out[0].end
    assert list(out[0].payloads) + list(tail.payloads) == list(range(i))


def test_max_length_prefers_a_vad_pause_over_quiet_speech() -> None:
    seg = Segmenter(SegmenterConfig(max_utterance_s=6.0, split_window_s=3.0))
    frames = []
    for k in range(round(6 / F)):
        t = k * F
        speech = not (4.5 <= t < 4.62)
        level = 5.0 if 3.3 <= t < 3.5 else (300.0 if not speech else 1000.0)
        frames.append((speech, level))
    out = [u for k, (s, lv) in enumerate(frames) if (u := Segmenter.push(seg, s, lv, k))]
    assert len(out) == 1
    assert 4.5 <= out[0].end * F < 4.62


def test_flush_returns_the_utterance_in_progress() -> None:
    seg = Segmenter()
    assert feed(seg, [(False, 0.3), (True, 1.5)]) == []
    u = seg.flush()
    assert u is not None and u.reason == "flush" and u.speech_frames == round(1.5 / F)
    assert seg.flush() is None and not seg.active


def test_flush_drops_a_click() -> None:
    seg = Segmenter()
    feed(seg, [(True, 0.09)])
    assert seg.flush() is None and seg.dropped == 1


@pytest.mark.parametrize("kwargs", [
    {"hangover_min_s": 0.8, "hangover_max_s": 0.5},
    {"max_utterance_s": 4.0, "split_window_s": 3.0},
    {"pre_roll_s": -1.0},
])
def test_bad_settings_are_rejected(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        SegmenterConfig(**kwargs)


# --- speculation pacing ---------------------------------------------------------------------


def test_pacer_backs_off_on_resumed_pauses_and_recovers_on_ends() -> None:
    p = SpeculationPacer(0.09, 0.7)
    assert p.wait_s == 0.09
    for _ in range(3):
        p.resumed()
    assert p.wait_s == pytest.approx(0.09 * 1.5**3)
    for _ in range(20):
        p.resumed()
    assert p.wait_s == 0.7  # capped: never beyond the longest hangover
    waits = []
    for _ in range(20):
        p.ended()
        waits.append(p.wait_s)
    assert waits == sorted(waits, reverse=True) and waits[-1] == 0.09  # back to the base


def test_the_breath_budget_grows_with_the_breaths_the_engine_may_hold_at_once() -> None:
    one, two = BreathBudget(1), BreathBudget(2)
    assert one.quick and two.quick  # nothing known of the engine yet
    for elapsed_s in (0.4, 1.5 * BREATH_BUDGET_S, 1.5 * BREATH_BUDGET_S):
        one.answered(elapsed_s)
        two.answered(elapsed_s)
    assert not one.quick and two.quick  # the median is 1.5 budgets
    for _ in range(3):
        two.answered(2.5 * BREATH_BUDGET_S)
    assert not two.quick


def test_pacer_settles_where_pauses_are_mostly_ends() -> None:
    # A speaker whose every third pause is a real end: the wait stays well below the cap.
    p = SpeculationPacer(0.09, 0.7)
    for _ in range(30):
        p.resumed()
        p.ended()
        p.ended()
    assert p.wait_s < 0.15


def test_if_silence_holds_is_exactly_the_utterance_that_ends() -> None:
    # Random talk: whenever the segmenter offers the utterance "if silence holds" and the
    # silence does hold, the utterance it then emits is that one, frame for frame.
    rng = random.Random(7)
    for cfg in (SegmenterConfig(), SegmenterConfig(hangover_min_s=0.33, hangover_max_s=0.81)):
        seg: Segmenter[int] = Segmenter(cfg)
        offered: tuple[int, ...] | None = None
        checked = 0
        for i in range(20000):
            speech = rng.random() < (0.8 if (i // 40) % 3 else 0.1)
            if speech:
                offered = None  # speech came back: the offer is void
            utt = seg.push(speech, 1.0, i)
            if utt is not None and offered is not None:
                assert utt.payloads == offered
                checked += 1
            if utt is not None:
                offered = None
            elif seg.active and offered is None:
                offered = seg.if_silence_holds()
        assert checked > 50


def test_if_silence_holds_waits_for_the_first_half_of_the_pause() -> None:
    seg: Segmenter[int] = Segmenter(SegmenterConfig())
    for i in range(100):  # 3 s of speech: a 0.24 s (8-frame) pause ends it, keeping 4 frames
        seg.push(True, 1.0, i)
    offers = []
    for i in range(100, 107):
        seg.push(False, 1.0, i)
        offers.append(seg.if_silence_holds())
    assert offers[:3] == [None, None, None]
    assert offers[3] is not None and offers[3][-1] == 103  # speech plus the pause's first half
    assert all(o == offers[3] for o in offers[3:])
    utt = seg.push(False, 1.0, 107)
    assert utt is not None and utt.payloads == offers[3]


def test_closed_segmenter_only_keeps_pre_roll() -> None:
    seg = Segmenter(SegmenterConfig(pre_roll_s=0.3))
    seg.close(0.2)
    # Speech while released never becomes an utterance, however long.
    assert feed(seg, [(True, 3.0), (False, 2.0)]) == []
    assert not seg.active


def test_speech_just_before_the_press_is_kept() -> None:
    seg = Segmenter(SegmenterConfig(pre_roll_s=0.3))
    seg.close(0.2)
    feed(seg, [(False, 2.0), (True, 0.15)])  # "He-" said before the press
    seg.open()
    assert seg.active
    out = feed(seg, [(True, 1.0), (False, 2.0)])
    [u] = out
    first_speech = round(2.0 / F)
    assert first_speech in u.payloads or u.start <= first_speech


def test_speech_long_before_the_press_is_not_kept() -> None:
    seg = Segmenter(SegmenterConfig(pre_roll_s=0.3))
    seg.close(0.2)
    feed(seg, [(True, 1.0), (False, 1.0)])  # a sentence, then a second of silence
    seg.open()
    assert not seg.active
    before = 2 * round(1.0 / F)
    [u] = feed(seg, [(False, 0.3), (True, 1.0), (False, 2.0)], first=before)
    assert u.start >= before  # nothing of the earlier sentence


def test_release_ends_the_utterance_at_once_with_a_trimmed_tail() -> None:
    seg = Segmenter(SegmenterConfig(pre_roll_s=0.3, hangover_max_s=0.7))
    assert feed(seg, [(False, 0.5), (True, 1.0), (False, 0.3)]) == []  # under the hangover
    u = seg.close(0.15)
    assert u is not None and u.reason == "flush"
    last_speech = round(0.5 / F) + round(1.0 / F) - 1
    assert u.payloads[-1] - last_speech == round(0.15 / F)
    assert not seg.listening


def test_release_during_silence_before_any_speech_gives_nothing() -> None:
    seg = Segmenter()
    feed(seg, [(False, 1.0)])
    assert seg.close(0.15) is None


def test_cancel_forgets_the_open_utterance() -> None:
    seg = Segmenter()
    feed(seg, [(True, 1.0)])
    assert seg.active
    seg.cancel()
    assert not seg.active
    assert feed(seg, [(False, 2.0)]) == []


def test_frame_numbering_continues_across_a_release() -> None:
    seg = Segmenter(SegmenterConfig(pre_roll_s=0.3))
    seg.close(0.2)
    feed(seg, [(False, 5.0)])
    seg.open()
    [u] = feed(seg, [(False, 0.3), (True, 1.0), (False, 2.0)], first=round(5.0 / F))
    # Frames pushed while released still count: times stay true to the capture clock.
    assert u.start == u.payloads[0] >= round(5.0 / F)


def test_a_hold_lengthens_one_pause_and_speech_clears_it() -> None:
    seg = Segmenter()
    feed(seg, [(True, 3.0)])
    seg.hold_s = 0.6  # 0.24 s of hangover + 0.6 s: 28 frames
    assert feed(seg, [(False, 0.81)]) == [] and seg.active
    assert len(feed(seg, [(False, 0.03)])) == 1  # the 28th silent frame ends it
    # A pause the speaker ends clears the hold: the next one needs the hangover alone.
    seg = Segmenter()
    feed(seg, [(True, 3.0)])
    seg.hold_s = 0.6
    assert feed(seg, [(False, 0.15), (True, 0.3)]) == [] and seg.hold_s == 0
    assert len(feed(seg, [(False, 0.24)])) == 1


def test_a_cut_with_speech_after_it_keeps_that_speech_open() -> None:
    seg = Segmenter()
    feed(seg, [(False, 0.3), (True, 3.0), (False, 0.06), (True, 1.0)])
    start, total = seg.open_start, seg.open_frames
    assert start is not None
    keep = round(3.3 / F) + 1 - start  # the breath's first frame
    utt = seg.cut(keep, "breath")
    assert utt is not None and utt.reason == "breath" and len(utt.payloads) == keep
    assert seg.active and seg.open_start == utt.end and seg.open_frames == total - keep
    [tail] = feed(seg, [(False, 1.0)], first=start + total)
    # Nothing lost, nothing twice: the cut and what followed are one run of frames.
    assert tail.start == utt.end and list(utt.payloads) + list(tail.payloads)[:total - keep] \
        == list(range(start, start + total))


def test_a_cut_in_silence_ends_the_utterance_and_shares_the_pause() -> None:
    seg = Segmenter()
    feed(seg, [(False, 0.3), (True, 1.0), (False, 0.15)])
    keep = seg.pause_start + 2
    utt = seg.cut(keep, "sentence")
    assert utt is not None and utt.reason == "sentence" and not seg.active
    # The rest of the pause is the next utterance's pre-roll.
    [nxt] = feed(seg, [(True, 1.0), (False, 1.0)], first=utt.end + 3)
    assert nxt.start == utt.end


def test_at_breath_is_the_utterance_cut_inside_the_pause_so_far() -> None:
    seg: Segmenter[int] = Segmenter()
    feed(seg, [(True, 3.0)])
    assert seg.at_breath() is None
    offers = []
    for i in range(100, 104):
        seg.push(False, 10.0, i)
        offers.append(seg.at_breath())
    # The pause's first half, however short the pause: as a pause that ends is shared.
    assert [o[-1] if o else None for o in offers] == [100, 100, 101, 101]


def test_split_on_request_cuts_at_the_quietest_point_of_the_window() -> None:
    seg = Segmenter(SegmenterConfig(split_window_s=3.0))
    levels = [50.0 if 8.1 <= k * F < 8.25 else 1000.0 for k in range(round(10 / F))]
    for k, level in enumerate(levels):
        assert seg.push(True, level, k) is None
    utt = seg.split("soft_length")
    assert utt.reason == "soft_length" and 8.1 <= utt.end * F < 8.25
    assert seg.open_start == utt.end and seg.open_frames == len(levels) - utt.end
