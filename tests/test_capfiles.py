"""`run --srt/--vtt FILE` and `--events FILE|-`: the real daemon on a spoken file and the real
bundled model, the files read back with the independent parsers of test_cues and every event
checked against the published JSON Schema."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import subprocess
from pathlib import Path

import jsonschema
import pytest
from conftest import Daemon, dictation_cmd, one_clear_line
from test_cues import parse_srt, parse_vtt
from test_transcribe import SENTENCES, check_cues, duration, env, talk, words  # noqa: F401

from dictation.errors import SinkError
from dictation.output.captionfiles import CaptionFile
from dictation.output.events import EventStream, schema_path
from dictation.records import Final, Interim, LiveTyped, Revised, Transcribed
from dictation.transcribe import Segment

VALIDATOR = jsonschema.Draft202012Validator(json.loads(schema_path().read_text()))


def events_of(text: str) -> list[dict]:
    assert text.endswith("\n")
    events = [json.loads(line) for line in text.splitlines()]
    for e in events:
        VALIDATOR.validate(e)
    return events


def check_order(events: list[dict]) -> None:
    """start first, stop last, finals in utterance order, each after its utterance was heard."""
    kinds = [e["type"] for e in events]
    assert kinds[0] == "start" and kinds[-1] == "stop" and kinds.count("start") == 1
    assert kinds.count("stop") == 1
    finals = [i for i, k in enumerate(kinds) if k == "final"]
    assert [events[i]["seq"] for i in finals] == sorted({events[i]["seq"] for i in finals})
    for n, i in enumerate(finals, 1):
        heard = [e for e in events[:i] if e["type"] == "state" and e["state"] == "hearing speech"]
        assert len(heard) >= n, f"final {n} before its speech was heard"
        assert events[i]["speech_end_s"] <= events[i]["end_s"]
    delivered = [e["delivered"] for e in events if e["type"] == "state"]
    assert delivered == sorted(delivered)
    ts = [e["t"] for e in events]
    assert ts == sorted(ts)


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    p = subprocess.run(dictation_cmd("run", "--engine", "local", "--socket",
                                     str(tmp_path / "ctl.sock"), *args),
                       capture_output=True, text=True, env=env(tmp_path), cwd=tmp_path,
                       timeout=180)
    assert "Traceback" not in p.stderr, p.stderr
    return p


@pytest.mark.real
@pytest.mark.realtime
def test_live_files_are_valid_while_it_runs_and_whole_at_the_end(tmp_path: Path,
                                                                  talk: Path) -> None:  # noqa: F811
    srt, vtt, ev = tmp_path / "s.srt", tmp_path / "s.vtt", tmp_path / "events.jsonl"
    srt.write_text("an older session\n")  # replaced, not appended to
    d = Daemon(None, "--input", str(talk), "--engine", "local", "--srt", str(srt), "--vtt",
               str(vtt), "--events", str(ev), "--socket", str(tmp_path / "ctl.sock"),
               base_env=env(tmp_path))
    try:
        first = d.line(120)  # real time: the rest of the file is still being spoken
        # The caption files are written before stdout: the first utterance is already there.
        early = parse_srt(srt.read_text())
        assert early and words(" ".join(c.text for c in early)) == words(first)
        assert words(" ".join(c.text for c in parse_vtt(vtt.read_text()))) == words(first)
        partial = ev.read_text()
        assert partial.endswith("\n") and events_of(partial)[0]["type"] == "start"
        lines = [first, d.line(120), d.line(120)]
        assert d.proc.wait(120) == 0, d.stderr + d.proc.stderr.read()
    finally:
        if d.proc.poll() is None:
            d.stop()
    total = duration(talk)
    srt_cues, vtt_cues = parse_srt(srt.read_text()), parse_vtt(vtt.read_text())
    assert srt_cues == vtt_cues
    check_cues(srt_cues, total)
    assert words(" ".join(c.text for c in srt_cues)) == words(" ".join(lines))
    assert "friday" in words(lines[0]) and "day" in words(lines[2])
    # Where the sentences were: the first after the file's 1 s of silence, each in its own.
    assert 0.5 <= srt_cues[0].start <= 1.6
    friday = next(c for c in srt_cues if "Friday" in c.text)
    thursday = next(c for c in srt_cues if "Thursday" in c.text)
    assert friday.end <= thursday.start
    events = events_of(ev.read_text())
    check_order(events)
    finals = [e for e in events if e["type"] == "final"]
    assert [e["text"] for e in finals] == lines
    assert all(0 <= e["latency_s"] < 60 for e in finals)
    assert events[-1]["exit_code"] == 0 and events[-1]["error"] is None
    assert events[0]["engine"].startswith("local engine")


@pytest.mark.real
@pytest.mark.realtime
def test_events_to_stdout_are_all_that_stdout_carries(tmp_path: Path,
                                                      talk: Path) -> None:  # noqa: F811
    p = run(tmp_path, "--input", str(talk), "--fast", "--events", "-", "--vtt", "c.vtt")
    assert p.returncode == 0, p.stderr
    events = events_of(p.stdout)  # every line of stdout is an event
    check_order(events)
    said = words(" ".join(e["text"] for e in events if e["type"] == "final"))
    assert len(said) >= 0.8 * len(words(" ".join(SENTENCES)))
    cues = parse_vtt((tmp_path / "c.vtt").read_text())
    check_cues(cues, duration(talk))
    assert words(" ".join(c.text for c in cues)) == said
    # Appended: a second session follows the first in the same file.
    log = tmp_path / "events.jsonl"
    for _ in range(2):
        assert run(tmp_path, "--input", str(talk), "--fast", "--events", str(log),
                   "-q").returncode == 0
    both = events_of(log.read_text())
    cut = [i for i, e in enumerate(both) if e["type"] == "start"]
    assert len(cut) == 2
    check_order(both[:cut[1]])
    check_order(both[cut[1]:])


@pytest.mark.parametrize(("args", "wording"), [
    (("--srt", "missing/dir/x.srt"), "cannot write SRT captions to missing/dir/x.srt: No such"),
    (("--vtt", "."), "cannot write VTT captions to .: Is a directory"),
    (("--events", "missing/e.jsonl"), "cannot write events to missing/e.jsonl: No such"),
    (("--srt", "a.srt", "--vtt", "./a.srt"), "--srt and --vtt name the same file"),
    (("--events", "-", "-o", "stdout"), "cannot also carry --output stdout"),
    (("--events", "-", "--captions"), "the captions screen and --events - both need stdout"),
])
def test_bad_paths_are_one_line(tmp_path: Path, args: tuple[str, ...], wording: str) -> None:
    p = run(tmp_path, "--input", "nothing.wav", *args)
    assert p.returncode == 2
    assert wording in one_clear_line(p.stderr)
    assert p.stdout == ""


def test_read_only_file_is_one_line(tmp_path: Path) -> None:
    ro = tmp_path / "ro.srt"
    ro.write_text("")
    ro.chmod(0o444)
    # As root a file's mode is no obstacle; sysfs refuses even root a file it cannot store.
    target = "/sys/kernel/uevent_seqnum" if os.geteuid() == 0 else str(ro)
    p = run(tmp_path, "--input", "nothing.wav", "--srt", target)
    assert p.returncode == 2
    assert f"cannot write SRT captions to {target}: Permission denied" in one_clear_line(
        p.stderr)


# --- the writers fed records directly: what no real run here can produce on demand ---------


def item(seq: int, start: float, end: float, text: str, recovered: bool = False,
         segments: tuple[Segment, ...] = ()) -> Transcribed:
    return Transcribed(seq, text, start, end, start + 0.2, end - 0.1, segments, recovered)


def test_caption_file_grows_valid_and_numbered(tmp_path: Path) -> None:
    srt, vtt = CaptionFile(tmp_path / "a.srt", "srt"), CaptionFile(tmp_path / "a.vtt", "vtt")
    assert parse_srt((tmp_path / "a.srt").read_text()) == []  # valid before any speech
    assert parse_vtt((tmp_path / "a.vtt").read_text()) == []
    long = " ".join(["a rather long sentence that goes on, and on."] * 4)
    feed = [item(1, 1.0, 3.0, "Hello there."),
            item(2, 2.8, 14.0, long,  # pre-roll reaching back into the one before
                 segments=(Segment(0.0, 5.0, long[:90].rsplit(" ", 1)[0]),
                           Segment(5.0, 11.0, long[len(long[:90].rsplit(" ", 1)[0]) + 1:]))),
            item(3, 500.0, 505.0, "From a run that died.", recovered=True),
            item(4, 20.0, 22.0, "A <b> & --> c")]
    for n, it in enumerate(feed, 1):
        asyncio.run(srt.deliver(it))
        asyncio.run(vtt.deliver(it))
        cues = parse_srt((tmp_path / "a.srt").read_text())
        in_vtt = parse_vtt((tmp_path / "a.vtt").read_text())
        assert [(c.start, c.end) for c in cues] == [(c.start, c.end) for c in in_vtt]
        assert [words(c.text) for c in cues] == [words(c.text) for c in in_vtt]
        check_cues(cues, 30.0)
        said = " ".join(x.text for x in feed[:n] if not x.recovered)
        assert words(" ".join(c.text for c in cues)) == words(said)
    assert len(cues) >= 5  # the long utterance became several readable cues
    assert all(len(c.text) <= 84 for c in cues)
    assert parse_vtt((tmp_path / "a.vtt").read_text())[-1].text == "A <b> & --> c"
    for f in (srt, vtt):
        asyncio.run(f.aclose())


def test_caption_file_rewrites_a_revised_piece_and_stays_valid(tmp_path: Path) -> None:
    # A fragment joined with its continuation, then the next piece taken back and another
    # said: the file is cut back to the revised piece's first cue and written again, valid
    # and numbered after every write.
    srt, vtt = CaptionFile(tmp_path / "r.srt", "srt"), CaptionFile(tmp_path / "r.vtt", "vtt")
    first, fragment = item(1, 0.0, 2.0, "It works."), item(2, 3.0, 5.0, "The meeting is at.")
    joined = item(2, 3.0, 9.0, "The meeting is at three on Friday, in the big room.")
    steps = [("deliver", first), ("deliver", fragment),
             ("revise", Revised(2, " The meeting is at.", " " + joined.text, joined)),
             ("deliver", item(3, 10.0, 12.0, "Scratch this.")),
             ("revise", Revised(3, " Scratch this.", "", item(3, 10.0, 12.0, "Scratch this."))),
             ("deliver", item(4, 13.0, 15.0, "Good night."))]
    shown = [["It works."], ["It works.", "The meeting is at."],
             ["It works.", joined.text], ["It works.", joined.text, "Scratch this."],
             ["It works.", joined.text], ["It works.", joined.text, "Good night."]]
    for (how, what), want in zip(steps, shown, strict=True):
        for f in (srt, vtt):
            asyncio.run(getattr(f, how)(what))
        cues = parse_srt((tmp_path / "r.srt").read_text())
        assert [(c.start, c.end, c.text) for c in cues] == \
            [(c.start, c.end, c.text) for c in parse_vtt((tmp_path / "r.vtt").read_text())]
        check_cues(cues, 30.0)
        assert words(" ".join(c.text for c in cues)) == words(" ".join(want))
    assert cues[1].start == 3.2 and cues[-1].start == 13.2  # the revised piece's own times
    assert (tmp_path / "r.srt").read_text().count("\n3\n") == 1  # numbered anew
    for f in (srt, vtt):
        asyncio.run(f.aclose())


def test_event_stream_revise_events_follow_the_schema() -> None:
    out = io.StringIO()
    ev = EventStream(out)
    fragment = item(1, 0.5, 2.0, "The meeting is at.")
    joined = item(1, 0.5, 6.0, "The meeting is at three.")
    ev.final(Final(fragment, 0.3))
    ev.revise(Revised(1, fragment.text, joined.text, joined, "joined"))
    ev.revise(Revised(1, joined.text, "", joined, "scratch that"))  # taken back
    events = events_of(out.getvalue())
    assert [(e["type"], e["v"], e["seq"], e["text"]) for e in events] == [
        ("final", 4, 1, "The meeting is at."), ("revise", 4, 1, "The meeting is at three."),
        ("revise", 4, 1, "")]
    assert events[1]["old_text"] == "The meeting is at." and events[1]["end_s"] == 6.0
    assert events[2]["old_text"] == "The meeting is at three."
    assert [e.get("why") for e in events] == [None, "joined", "scratch that"]
    with pytest.raises(jsonschema.ValidationError):  # only the reasons there are
        VALIDATOR.validate({**events[1], "why": "felt like it"})
    with pytest.raises(jsonschema.ValidationError):  # the schema can fail
        VALIDATOR.validate({**events[1], "old_text": ""})


def test_live_typing_events_follow_the_schema() -> None:
    out = io.StringIO()
    ev = EventStream(out)
    ev.live(LiveTyped(2, " And then we", 12, 0, "agreed"))
    ev.live(LiveTyped(2, " And then we left.", 6, 0, "final"))
    ev.live(LiveTyped(3, "", 0, 4, "withdrawn"))
    events = events_of(out.getvalue())
    for e in events:
        VALIDATOR.validate(e)
    assert [(e["type"], e["seq"], e["typed"], e["deleted"], e["why"]) for e in events] == [
        ("live", 2, 12, 0, "agreed"), ("live", 2, 6, 0, "final"), ("live", 3, 0, 4, "withdrawn")]
    with pytest.raises(jsonschema.ValidationError):  # only the reasons there are
        VALIDATOR.validate({**events[0], "why": "guessed"})
    with pytest.raises(jsonschema.ValidationError):
        VALIDATOR.validate({**events[0], "deleted": -1})


def test_caption_file_full_disk_is_a_sink_error() -> None:
    f = CaptionFile(Path("/dev/full"), "srt")  # a real device that refuses every write
    with pytest.raises(SinkError, match="cannot write captions to /dev/full: No space"):
        asyncio.run(f.deliver(item(1, 0.0, 1.0, "lost")))
    f.close()


def test_event_stream_interim_final_and_a_closed_stream(caplog: pytest.LogCaptureFixture
                                                        ) -> None:
    out = io.StringIO()
    ticks = iter(range(100))
    ev = EventStream(out, clock=lambda: float(next(ticks)))
    status = {"mode": "toggle", "state": "listening", "listening": True, "engine": "e",
              "backlog": 0, "delivered": 0, "last_error": None, "spool_bytes": 3}
    ev.start(status, "mic")
    ev.state({**status, "spool_bytes": 9})  # no field of the stream changed: no event
    ev.state({**status, "state": "hearing speech"})
    ev.interim(Interim(1, "hello wor", "hello", 0.5, 1.25))
    ev.final(Final(item(1, 0.5, 2.0, "Hello world.", segments=(Segment(0.1, 1.4, " Hello "),
                                                               Segment(1.4, 1.5, ""))), 0.3))
    ev.state({**status, "delivered": 1, "last_error": "server said 503"})
    ev.stop(0)
    events = events_of(out.getvalue())
    assert [e["type"] for e in events] == ["start", "state", "state", "interim", "final",
                                           "state", "stop"]
    check_order(events)
    assert events[0]["input"] == "mic" and events[0]["mode"] == "toggle"
    assert events[3] | {"time": 0} == {"v": 4, "type": "interim", "time": 0, "t": 4.0,
                                       "seq": 1, "text": "hello wor", "stable": "hello",
                                       "start_s": 0.5, "end_s": 1.25}
    assert events[4]["segments"] == [{"start_s": 0.6, "end_s": 1.9, "text": " Hello "}]
    assert events[4]["latency_s"] == 0.3 and events[4]["recovered"] is False
    with pytest.raises(jsonschema.ValidationError):  # the schema can fail
        VALIDATOR.validate({**events[4], "type": "interim"})

    stopped = []
    ev.on_broken = lambda: stopped.append(1)
    out.close()
    with caplog.at_level(logging.ERROR, logger="dictation"):
        ev.state({**status, "state": "idle"})
        ev.stop(0)
    assert stopped == [1] and ev.broken
    assert [r.getMessage() for r in caplog.records] == [
        "cannot write events to event stream: closed; stopping"]
