"""End to end: speech played into a PulseAudio virtual microphone, `dictation run` as a
subprocess against the real faster-whisper-server, lines read from its stdout."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable

import pytest
from conftest import Daemon, dictation_cmd, mic_env, norm, play
from procs import spawn

pytestmark = [pytest.mark.real, pytest.mark.realtime]  # daemons at real time


def test_two_sentences_from_the_virtual_mic(virtual_mic: str, server_url: str,
                                            say: Callable) -> None:
    a = say("The train to London leaves at half past seven.")
    b = say("Remember to pack an umbrella and a warm coat.", voice="en-us")
    d = Daemon(virtual_mic, "--base-url", server_url)
    try:
        # Generous line waits: a loaded machine has taken seconds for a 0.5 s transcription.
        play(virtual_mic, a).wait(60)
        first = d.line(60)
        play(virtual_mic, b).wait(60)
        second = d.line(60)
    finally:
        out, err, code = d.stop()
    assert "london" in norm(first) and re.search(r"half past (seven|7)\b", norm(first)), (
        first, second, out)
    assert "umbrella" in norm(second) and "warm coat" in norm(second), (first, second, out)
    assert out == ""  # nothing but the two lines
    assert code == 0, err
    assert "Traceback" not in err


def test_sigterm_mid_utterance_still_delivers_it(virtual_mic: str, server_url: str,
                                                 say: Callable) -> None:
    wav = say("Please call the plumber about the leaking kitchen tap tomorrow morning.",
              pad=(0.3, 0.0))
    d = Daemon(virtual_mic, "--base-url", server_url)
    player = play(virtual_mic, wav)
    player.wait(30)
    # Stop the instant playback ends: the endpoint silence never arrives.
    out, err, code = d.stop(signal.SIGTERM)
    assert code == 0, err
    assert "plumber" in norm(out) and "kitchen" in norm(out)
    assert len(out.splitlines()) == 1


def test_devices_lists_the_virtual_mic_path(pulse: None) -> None:
    out = subprocess.run(dictation_cmd("devices"), capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split()[:3] == ["index", "rate", "ch"]
    assert any(line.startswith("*") for line in lines[1:])  # the default is marked
    assert any("pulse" in line or "default" in line for line in lines[1:])


def test_devices_lists_the_sound_servers_sources_and_marks_the_default(
        virtual_mic: str) -> None:
    # PortAudio sees the sound server as "pulse" and "default"; the server's own sources
    # say which microphone that is. PULSE_SOURCE picks the virtual mic, as for the daemon.
    out = subprocess.run(dictation_cmd("devices"), capture_output=True, text=True,
                         timeout=30, env=mic_env(virtual_mic))
    assert out.returncode == 0, out.stderr
    table, _, server = out.stdout.partition("\nsound server sources (")
    assert "pulse" in table and server, out.stdout
    sources = server.splitlines()[1:]
    marked = [line for line in sources if line.startswith("*")]
    assert marked and marked[0].split()[:2] == ["*", f"{virtual_mic}.monitor"], out.stdout
    assert len(marked) == 1 and "Monitor of Null Output" in marked[0]
    # Without it, the server's own default is marked, as pactl names it.
    env = {k: v for k, v in os.environ.items() if k != "PULSE_SOURCE"}
    plain = subprocess.run(dictation_cmd("devices"), capture_output=True, text=True,
                           timeout=30, env=env)
    default = subprocess.run(["pactl", "get-default-source"], capture_output=True, text=True,
                             timeout=30, env=env).stdout.strip()
    server = plain.stdout.partition("\nsound server sources (")[2]
    assert f"{virtual_mic}.monitor " in server and default, plain.stdout
    assert [ln.split()[1] for ln in server.splitlines() if ln.startswith("*")] == [default]


def test_local_engine_keeps_words_spoken_while_the_model_loads(virtual_mic: str,
                                                               say: Callable) -> None:
    # No key, no server: the embedded engine. Speech starts the moment the microphone is
    # open, while the model is still loading; its first word must still come out.
    # A breath of silence first, as anyone leaves after pressing a key: with none, the word's
    # onset lands in the first captured block and tiny.en may hear "write" for "Bright".
    wav = say("Bright yellow balloons are floating above the kitchen table.", pad=(0.3, 0.8))
    # The model can load in under half a second here, faster than "Bright yellow" is spoken.
    # A slower machine is simulated: the daemon shares one core with a busy loop until the
    # model is ready, so the load reliably overlaps the first words.
    # One of the CPUs this test may use (the whole run may be pinned to a single one).
    pin = ("taskset", "-c", str(min(os.sched_getaffinity(0))))
    hog = spawn([*pin, sys.executable, "-c", "while True: pass"])
    try:
        d = Daemon(virtual_mic, "-v", prefix=pin, HF_HUB_OFFLINE="1", OPENAI_API_KEY="",
                   OPENAI_BASE_URL="")
    except BaseException:
        hog.kill()
        raise
    try:
        player = play(virtual_mic, wav)
        began = time.monotonic()
        try:
            d.wait_stderr("ready on", 120)
        finally:
            hog.kill()
        loading_s = time.monotonic() - began
        line = d.line(60)
        player.wait(60)
    finally:
        hog.wait()
        extra, err, code = d.stop()
    assert extra == ""
    assert "local engine, model tiny.en" in d.stderr
    # The first word ("Bright", from 0.3 s) was spoken while the model was loading.
    assert loading_s > 0.3, f"the model was ready {loading_s:.2f} s into the speech"
    said = norm(line).split()
    # The first word is there. Which word tiny.en makes of its plosive onset ("bright" or
    # "write") turned on where the capture's first block began, on a loaded machine.
    assert said[0] in ("bright", "write", "right") and said[1:3] == ["yellow", "balloons"], said
    assert "kitchen" in said
    assert code == 0, err
