"""A microphone that hears nothing (dictation/audio/silentinput.py): one line after a quiet
window, once for each class of level; the pure watch fed levels and a clock of the test's,
then the real daemon on the tests' PulseAudio null sink, whose monitor plays zeros."""

from __future__ import annotations

import re

import pytest
from conftest import Daemon

from dictation.audio.silentinput import SilentInput, level_class
from dictation.records import Final, Transcribed


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def watched(after_s: float = 20.0) -> tuple[SilentInput, Clock, list[tuple[float, str]]]:
    clock, said = Clock(), []
    return SilentInput(lambda db, quiet: said.append((db, quiet)), after_s=after_s,
                       clock=clock), clock, said


def feed(watch: SilentInput, clock: Clock, dbfs: float, seconds: float,
         block_s: float = 0.05) -> None:
    for _ in range(round(seconds / block_s)):
        clock.now += block_s
        watch.level(dbfs)


def test_level_classes() -> None:
    assert level_class(-120) == level_class(-96) == level_class(-91) == "digital silence"
    assert level_class(-89) == level_class(-71) == "near silence"
    assert level_class(-70) is level_class(-55) is level_class(-20) is None


def test_one_line_after_a_quiet_window_and_never_again_for_the_same_class() -> None:
    watch, clock, said = watched()
    feed(watch, clock, -120.0, 19.9)
    assert said == []  # not before the window is over
    feed(watch, clock, -120.0, 0.2)
    assert said == [(-120.0, "digital silence")]
    feed(watch, clock, -120.0, 300)
    assert len(said) == 1  # a quiet run says it once


def test_a_new_class_is_said_again() -> None:
    watch, clock, said = watched()
    feed(watch, clock, -120.0, 21)
    feed(watch, clock, -85.0, 41)  # someone turned the volume up, or plugged it in
    feed(watch, clock, -120.0, 41)  # and muted it again
    assert [quiet for _, quiet in said] == ["digital silence", "near silence",
                                            "digital silence"]
    assert said[1][0] == -85.0  # the loudest block of the window is the level said


def test_one_loud_block_in_the_window_or_a_delivered_text_says_nothing() -> None:
    watch, clock, said = watched()
    for _ in range(5):
        feed(watch, clock, -90.0, 15)
        watch.level(-35.0)  # a word
        feed(watch, clock, -90.0, 5)
    assert said == []
    watch, clock, said = watched()
    for _ in range(5):
        feed(watch, clock, -75.0, 15)  # a very quiet speaker the VAD still heard
        item = Transcribed(seq=1, text="Hi.", start_s=0, end_s=1, speech_start_s=0,
                           speech_end_s=1)
        watch.final(Final(item, latency_s=0.3))
    assert said == []
    feed(watch, clock, -75.0, 20.1)  # then 20 s with nothing said
    assert said == [(-75.0, "near silence")]


def test_a_quiet_room_through_a_working_microphone_says_nothing() -> None:
    watch, clock, said = watched()
    feed(watch, clock, -62.0, 200)
    assert said == []


@pytest.mark.real
def test_the_daemon_names_the_silent_source_its_level_and_dictation_devices(
        virtual_mic: str) -> None:
    # The null sink's monitor plays zeros: a muted microphone, to PortAudio and to us.
    d = Daemon(virtual_mic, HF_HUB_OFFLINE="1", OPENAI_API_KEY="", OPENAI_BASE_URL="")
    try:
        text = d.wait_stderr("dictation devices", 90)
    finally:
        _, err, code = d.stop()
    [line] = [ln for ln in err.splitlines() if "dictation devices" in ln]
    assert line.startswith("dictation: warning: digital silence for 20 s from source "
                           f"'{virtual_mic}.monitor' (")
    # Zeros come out of the resampler dithered, ±1 in a quarter of the samples: -96 dBFS.
    level = re.search(r"at most (-\d+) dBFS", line)
    assert "through PortAudio's '" in line and level and int(level[1]) < -90, line
    assert "dictation devices" in text and code == 0, err


def test_the_sound_servers_words_are_cleaned_and_bounded() -> None:
    # pactl's output is another program's: escape sequences and controls never reach a line.
    from dictation.audio.soundserver import ServerSource, _clean, describe

    assert _clean("Mic\x1b[31m red\x07\n") == "Mic red"
    assert len(_clean("x" * 500)) == 120 and _clean(None) == ""
    src = ServerSource("mic", "Built-in", "idle", False, "80%", True)
    assert describe(src) == "Built-in, idle, volume 80%"
    assert describe(ServerSource("m", "", "", True, "", False)) == "muted"
