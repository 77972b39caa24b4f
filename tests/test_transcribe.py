"""`dictation transcribe`: files to text, SRT, VTT and JSON through the real pipeline and the
real bundled model, read back with an independent parser."""

from __future__ import annotations

import io
import itertools
import json
import os
import pty
import re
import select
import signal
import subprocess
import time
import wave
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import dictation_cmd
from faultserver import FaultServer, Reply, Request
from procs import spawn
from test_cues import parse_srt, parse_vtt

from dictation.audio.codec import read_wav

pytestmark = pytest.mark.real  # real parts: processes, servers, the model

SENTENCES = ("Please remind me to water the plants on the balcony before Friday.",
             "The meeting with the design team has been moved to Thursday afternoon.",
             "Could you send me the updated budget figures by the end of the day?")


def words(text: str) -> list[str]:
    return re.sub(r"[^a-z0-9' ]", " ", text.lower()).split()


def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items()
             if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL")}
    return {**clean, "HF_HUB_OFFLINE": "1", "XDG_STATE_HOME": str(tmp_path / "state")}


def run(tmp_path: Path, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    p = subprocess.run(dictation_cmd("transcribe", *args), capture_output=True, text=True,
                       env=env(tmp_path), cwd=tmp_path, timeout=timeout)
    assert "Traceback" not in p.stderr, p.stderr
    return p


@pytest.fixture(scope="module")
def talk(say: Callable, join: Callable) -> Path:
    """Three sentences, two voices, pauses between: ~14 s."""
    return join(say(SENTENCES[0], pad=(1.0, 0.8)), say(SENTENCES[1], voice="en-us"),
                say(SENTENCES[2], pad=(0.3, 1.5)))


def duration(wav: Path) -> float:
    return len(read_wav(wav)) / 16000


def check_cues(cues: list, total_s: float) -> None:
    assert cues
    for a, b in itertools.pairwise(cues):
        assert a.end <= b.start  # in order, no overlap
    assert all(0 <= c.start < c.end <= total_s + 0.001 for c in cues)


@pytest.mark.parametrize("fmt", ["srt", "vtt"])
def test_captions_parse_back_in_order_inside_the_audio(tmp_path: Path, talk: Path,
                                                       fmt: str) -> None:
    out = tmp_path / f"talk.{fmt}"
    p = run(tmp_path, str(talk), "--format", fmt, "-o", str(out))
    assert p.returncode == 0, p.stderr
    doc = out.read_text()
    cues = parse_srt(doc) if fmt == "srt" else parse_vtt(doc)
    check_cues(cues, duration(talk))
    said = words(" ".join(c.text for c in cues))
    assert len(said) >= 0.8 * len(words(" ".join(SENTENCES)))
    assert "friday" in said and "afternoon" in said and "day" in said
    # The cues sit where the sentences were: the first one starts after the 1 s of silence.
    assert 0.5 <= cues[0].start <= 1.6
    friday = next(c for c in cues if "Friday" in c.text)
    thursday = next(c for c in cues if "Thursday" in c.text)
    assert friday.end <= thursday.start


def test_json_and_text(tmp_path: Path, talk: Path) -> None:
    p = run(tmp_path, str(talk), "--format", "json")
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert abs(doc["duration"] - duration(talk)) < 0.01
    assert doc["text"] == " ".join(s["text"] for s in doc["segments"])
    assert [s["id"] for s in doc["segments"]] == list(range(len(doc["segments"])))
    text = run(tmp_path, str(talk))  # text is the default, on stdout
    assert text.returncode == 0
    assert words(text.stdout) == words(doc["text"])
    assert len(text.stdout.splitlines()) == 3  # one line per utterance


def test_any_format_av_decodes(tmp_path: Path, say: Callable) -> None:
    wav = say("Turn left at the second traffic light.")
    flac = tmp_path / "speech.flac"
    subprocess.run(["sox", str(wav), str(flac)], check=True)
    p = run(tmp_path, str(flac))
    assert p.returncode == 0, p.stderr
    assert words(p.stdout) == words("Turn left at the second traffic light.")


def test_several_files_to_a_directory_and_a_bad_one(tmp_path: Path, say: Callable) -> None:
    a, b = say("Good morning everyone."), say("See you tomorrow.", voice="en-us")
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    outdir = tmp_path / "out"
    outdir.mkdir()
    p = run(tmp_path, str(a), str(broken), str(b), "--format", "vtt", "-o", str(outdir))
    assert p.returncode == 1  # the bad file is reported, the others are done
    errors = [ln for ln in p.stderr.splitlines() if "error" in ln]
    assert len(errors) == 1 and "broken.wav" in errors[0]
    written = sorted(x.name for x in outdir.iterdir())
    assert written == sorted([f"{a.stem}.vtt", f"{b.stem}.vtt"])
    assert "tomorrow" in words((outdir / f"{b.stem}.vtt").read_text())


def test_several_files_need_a_directory_for_captions(tmp_path: Path, say: Callable) -> None:
    a, b = say("Good morning everyone."), say("See you tomorrow.", voice="en-us")
    p = run(tmp_path, str(a), str(b), "--format", "srt")
    assert p.returncode == 2 and p.stdout == ""
    assert p.stderr.splitlines() == [
        "dictation: error: 2 files as srt: give -o DIR to write one .srt file per input"]


@pytest.mark.parametrize("spelling", ["-o", "--output", "--out"])
def test_a_path_ending_in_a_slash_is_a_directory_made_for_the_output(
        tmp_path: Path, say: Callable, spelling: str) -> None:
    # `-o newdir/` once wrote a file named newdir. -o is --output, as in `run`; --out, its
    # first name, still works.
    wav = say("See you tomorrow.")
    p = run(tmp_path, str(wav), "--format", "srt", spelling, "newdir/")
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "newdir").is_dir()
    assert [x.name for x in (tmp_path / "newdir").iterdir()] == [f"{wav.stem}.srt"]
    assert "tomorrow" in words((tmp_path / "newdir" / f"{wav.stem}.srt").read_text())
    again = run(tmp_path, str(wav), spelling, "newdir")  # it exists now: written into
    assert again.returncode == 0, again.stderr
    assert "tomorrow" in words((tmp_path / "newdir" / f"{wav.stem}.txt").read_text())


def test_a_directory_that_cannot_be_made_is_one_line(tmp_path: Path, say: Callable) -> None:
    (tmp_path / "file").write_text("")
    p = run(tmp_path, str(say("See you tomorrow.")), "-o", "file/sub/")
    assert p.returncode == 2 and p.stdout == ""
    assert p.stderr.startswith("dictation: error: cannot make output directory file/sub")
    assert len(p.stderr.splitlines()) == 1


def test_long_file_goes_to_the_api_as_utterances(tmp_path: Path, say: Callable,
                                                 join: Callable) -> None:
    # ~75 s of speech with pauses: never one request, never one over 30 s of audio.
    parts = [say(s, voice=v) for s in SENTENCES for v in ("slt", "en-us", "en-gb")]
    long = join(*parts, *parts)
    assert duration(long) > 60

    def answer(req: Request) -> Reply:
        with wave.open(io.BytesIO(req.files["file"][2])) as w:
            secs = w.getnframes() / w.getframerate()
        body = {"text": f"Part {req.index}.", "segments": [
            {"start": 0.0, "end": secs, "text": f"Part {req.index}."}]}
        return Reply(200, {"Content-Type": "application/json"}, json.dumps(body))

    with FaultServer(default=answer) as srv:
        p = run(tmp_path, str(long), "--base-url", srv.url + "/v1", "--format", "srt")
    assert p.returncode == 0, p.stderr
    assert len(srv.requests) >= 6
    for req in srv.requests:
        assert req.fields["response_format"] == "verbose_json"  # for the segment times
        data = req.files["file"][2]
        assert len(data) < 25 * 2**20
        with wave.open(io.BytesIO(data)) as w:
            assert w.getnframes() / w.getframerate() <= 30.0
    cues = parse_srt(p.stdout)
    check_cues(cues, duration(long))
    assert [c.text for c in cues] == [f"Part {n}." for n in range(1, len(srv.requests) + 1)]


def test_progress_bar_on_a_terminal(tmp_path: Path, talk: Path) -> None:
    # stderr is a real pseudo-terminal, as in an interactive shell.
    main, child = pty.openpty()
    proc = spawn(dictation_cmd("transcribe", str(talk), "-o",
                                          str(tmp_path / "t.txt")),
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=child,
                            env={**env(tmp_path), "COLUMNS": "120", "TERM": "xterm"})
    os.close(child)
    seen = b""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([main], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(main, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        elif proc.poll() is not None:
            break
    proc.wait(30)
    os.close(main)
    screen = re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]", b"", seen).decode(errors="replace")
    assert proc.returncode == 0, screen
    assert "of audio" in screen and "%" in screen  # the bar: share done, audio done/total
    assert re.search(r"\d+:\d\d / 0:1\d of audio", screen)


def test_ctrl_c_writes_what_was_done_and_says_what_was_not(tmp_path: Path, say: Callable,
                                                           join: Callable) -> None:
    # ~90 s: longer than what may be read ahead (the audio queue's 30 s and two utterances).
    parts = [say(s, voice=v) for s in SENTENCES for v in ("slt", "en-us", "en-gb")]
    long = join(*parts, *parts)
    assert duration(long) > 80

    def slow(req: Request) -> Reply:
        body = {"text": f"Part {req.index}.", "segments": []}
        return Reply(200, {"Content-Type": "application/json"}, json.dumps(body), delay_s=1.0)

    out = tmp_path / "partial.srt"
    with FaultServer(default=slow) as srv:
        proc = spawn(
            dictation_cmd("transcribe", str(long), "--base-url", srv.url + "/v1", "-f", "srt",
                          "-o", str(out)),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env(tmp_path),
            cwd=tmp_path)
        deadline = time.monotonic() + 30
        while not srv.requests and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)  # while the first utterance is being transcribed
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    # What was read before the stop was finished and written; the rest is named, not dropped.
    cues = parse_srt(out.read_text())
    assert [c.text for c in cues] == [f"Part {n}." for n in range(1, len(srv.requests) + 1)]
    rest = re.search(r"was not processed from (\d+\.\d) s on", err)
    assert rest, err
    assert cues[-1].end <= float(rest.group(1)) + 0.05 < duration(long)
