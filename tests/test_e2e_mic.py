"""End to end: speech played into a PulseAudio virtual microphone, `dictation run` as a
subprocess against the real faster-whisper-server, lines read from its stdout."""

from __future__ import annotations

import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable

from conftest import dictation_cmd, mic_env, play


def norm(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9' ]", " ", text.lower()).split())


class Daemon:
    def __init__(self, sink: str, *args: str, prefix: tuple[str, ...] = (), **env: str) -> None:
        self.proc = subprocess.Popen([*prefix, *dictation_cmd("run", *args)],
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True,
                                     env=mic_env(sink, **env))
        self.stderr = ""
        self._wait_stderr("listening on", 30)

    def _wait_stderr(self, needle: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while needle not in self.stderr:
            assert self.proc.poll() is None, f"daemon exited: {self.stderr}"
            assert time.monotonic() < deadline, f"no '{needle}' in: {self.stderr}"
            ready, _, _ = select.select([self.proc.stderr], [], [], 0.5)
            if ready:
                self.stderr += self.proc.stderr.readline()

    def line(self, timeout: float) -> str:
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        assert ready, f"no line on stdout in time; stderr so far: {self.stderr}"
        return self.proc.stdout.readline().rstrip("\n")

    def stop(self, sig: int = signal.SIGINT) -> tuple[str, str, int]:
        self.proc.send_signal(sig)
        out, err = self.proc.communicate(timeout=60)
        return out, self.stderr + err, self.proc.returncode


def test_two_sentences_from_the_virtual_mic(virtual_mic: str, server_url: str,
                                            say: Callable) -> None:
    a = say("The train to London leaves at half past seven.")
    b = say("Remember to pack an umbrella and a warm coat.", voice="en-us")
    d = Daemon(virtual_mic, "--base-url", server_url)
    try:
        play(virtual_mic, a).wait(30)
        first = d.line(10)
        time.sleep(0.5)
        play(virtual_mic, b).wait(30)
        second = d.line(10)
    finally:
        out, err, code = d.stop()
    assert "london" in norm(first) and "half past seven" in norm(first)
    assert "umbrella" in norm(second) and "warm coat" in norm(second)
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


def test_local_engine_keeps_words_spoken_while_the_model_loads(virtual_mic: str,
                                                               say: Callable) -> None:
    # No key, no server: the embedded engine. Speech starts the moment the microphone is
    # open, while the model is still loading; its first word must still come out.
    wav = say("Bright yellow balloons are floating above the kitchen table.", pad=(0.0, 0.8))
    # The model can load in under half a second here, faster than "Bright yellow" is spoken.
    # A slower machine is simulated: the daemon shares one core with a busy loop until the
    # model is ready, so the load reliably overlaps the first words.
    pin = ("taskset", "-c", "1")
    hog = subprocess.Popen([*pin, sys.executable, "-c", "while True: pass"])
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
            d._wait_stderr("ready on", 30)
        finally:
            hog.kill()
        loading_s = time.monotonic() - began
        line = d.line(30)
        player.wait(30)
    finally:
        hog.wait()
        extra, err, code = d.stop()
    assert extra == ""
    assert "local engine, model tiny.en" in d.stderr
    # The first words ("Bright yellow", ~0.5 s) were spoken while the model was loading.
    assert loading_s > 0.5, f"the model was ready {loading_s:.2f} s into the speech"
    said = norm(line).split()
    assert said[:2] == ["bright", "yellow"] and "kitchen" in said
    assert code == 0, err
