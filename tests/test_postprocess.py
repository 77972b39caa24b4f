"""Post-processing with real parts: the user's command is a real script run as a process
(one that succeeds, fails, hangs with a child of its own, prints too much…), and the rewrite
model is a scripted chat server on 127.0.0.1 (tests/chatserver.py says why no real one).
The word-change guard and the argv checks are pure and at the end of the file."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from chatserver import ChatServer, completion, error
from faultserver import HANG, RESET, Reply

from dictation.errors import ConfigError
from dictation.text.postcommand import child_env, command_argv, run_command
from dictation.text.postprocess import PostConfig, PostProcessor
from dictation.text.rewrite import DEFAULT_INSTRUCTION, changed_words, too_different

KEY = "sk-test-secret-key-123"
TEXT = "dear sam thank you for the photos"


def script(tmp_path: Path, name: str, body: str) -> str:
    path = tmp_path / name
    path.write_text(f"#!{sys.executable}\nimport sys, os\n{body}\n")
    path.chmod(0o755)
    return str(path)


def run(argv: list[str], text: str = TEXT, timeout_s: float = 30.0):  # type: ignore[no-untyped-def]
    # 30 s: a real process on a loaded two-core machine; only the hang test waits for it.
    return asyncio.run(run_command(argv, text, timeout_s, KEY))


def gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] == "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return True


@pytest.fixture
def pidfile(tmp_path: Path) -> Iterator[Path]:
    """Where a script notes the pid of a child it started; that child is ended here whatever
    the test did."""
    path = tmp_path / "child.pid"
    yield path
    if path.exists() and path.read_text().strip():
        pid = int(path.read_text())
        if not gone(pid):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.real
def test_a_command_that_succeeds_gives_the_text(tmp_path: Path) -> None:
    upper = script(tmp_path, "upper", "sys.stdout.write(sys.stdin.read().upper())")
    out = run([upper])
    assert out.text == TEXT.upper() and out.problem is None


@pytest.mark.real
def test_arguments_are_passed_without_a_shell(tmp_path: Path) -> None:
    show = script(tmp_path, "show", "print(' | '.join(sys.argv[1:]), sys.stdin.read())")
    argv = command_argv(f"{show} 'a b' '$HOME' ';' 'x'")
    assert run(list(argv)).text == f"a b | $HOME | ; | x {TEXT}"


@pytest.mark.real
def test_a_failing_command_keeps_the_text_with_its_last_error_line(tmp_path: Path) -> None:
    fail = script(tmp_path, "fail", "sys.stdin.read(); print('warming up' * 2000, file=sys.stderr);"
                                    "print('no dictionary\\x1b[31m here', file=sys.stderr);"
                                    " sys.exit(3)")
    out = run([fail])
    assert out.text == TEXT
    assert out.problem == "post-command fail failed (exit status 3): no dictionary here"


@pytest.mark.real
def test_a_hanging_command_is_killed_with_its_children(tmp_path: Path, pidfile: Path) -> None:
    hang = tmp_path / "hang"
    hang.write_text(f"#!/bin/sh\nsleep 300 &\necho $! > {pidfile}\nwait\n")
    hang.chmod(0o755)
    began = time.monotonic()
    out = run([str(hang)], timeout_s=1.0)
    assert time.monotonic() - began < 20  # not the 300 s of the sleep
    assert out.text == TEXT
    assert out.problem == "post-command hang did not finish within 1 s; it was stopped"
    pid = int(pidfile.read_text())
    deadline = time.monotonic() + 10  # SIGKILL is delivered at once; init reaps the orphan
    while not gone(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert gone(pid), "the command's child outlived it"


@pytest.mark.real
@pytest.mark.parametrize("body, problem", [
    ("sys.stdin.read()", "post-command bad printed nothing"),
    ("sys.stdin.read(); print('   ')", "post-command bad printed nothing"),
    ("sys.stdin.read(); sys.stdout.write('x' * 10**6)", "post-command bad printed more than "),
    ("sys.stdin.read(); sys.stdout.buffer.write(b'\\xff\\xfe')", "post-command bad printed text "
                                                                "that is not UTF-8"),
    ("os.kill(os.getpid(), 9)", "post-command bad failed (signal 9)"),
])
def test_bad_output_keeps_the_text(tmp_path: Path, body: str, problem: str) -> None:
    out = run([script(tmp_path, "bad", body)])
    assert out.text == TEXT
    assert out.problem is not None and out.problem.startswith(problem)


@pytest.mark.real
def test_output_is_sanitised_and_a_command_need_not_read(tmp_path: Path) -> None:
    out = run([script(tmp_path, "esc", "print('\\x1b]0;title\\x07Fixed\\x1b[2J text\\x00.')")])
    assert out.text == "Fixed text." and out.problem is None


@pytest.mark.real
def test_the_command_never_sees_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                        ) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("DICTATION_API_KEY", "other")
    monkeypatch.setenv("MY_COPY", KEY)
    monkeypatch.setenv("KEEP_ME", "yes")
    env = script(tmp_path, "env", "sys.stdin.read(); print(sorted(k for k in os.environ "
                                  "if k in ('OPENAI_API_KEY', 'DICTATION_API_KEY', 'MY_COPY',"
                                  " 'KEEP_ME')))")
    assert run([env]).text == "['KEEP_ME']"
    assert child_env(None, {"OPENAI_API_KEY": "k", "A": "k"}) == {"A": "k"}


@pytest.mark.real
def test_lines_go_through_separately_and_failures_are_one_line(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    wrap = script(tmp_path, "wrap", "print('[' + sys.stdin.read() + ']')")
    stage = PostProcessor(PostConfig(command=wrap))
    out = asyncio.run(stage.process("Dear Sam,\n\nthe lake!\n"))
    assert out == "[Dear Sam,]\n\n[the lake!]\n"
    assert asyncio.run(stage.process(",")) == ","  # nothing but punctuation: not sent
    fail = script(tmp_path, "fail", "sys.exit(1)")
    stage = PostProcessor(PostConfig(command=fail))
    with caplog.at_level(logging.DEBUG, logger="dictation"):
        texts = [asyncio.run(stage.process(t)) for t in ("one", "two", "three")]
    assert texts == ["one", "two", "three"]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == ["post-command fail failed (exit status 1); the text is kept as it was"]


def rewrite(srv: ChatServer, text: str = TEXT, **kw: object) -> tuple[str, list[str]]:
    """The stage's text and the warning lines it logged."""
    cfg = PostConfig(rewrite_model="fixer", rewrite_url=srv.url, api_key=KEY, **kw)  # type: ignore[arg-type]

    async def go() -> str:
        stage = PostProcessor(cfg)
        try:
            return await stage.process(text)
        finally:
            await stage.aclose()

    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    log = logging.getLogger("dictation")
    log.addHandler(handler)
    try:
        out = asyncio.run(go())
    finally:
        log.removeHandler(handler)
    return out, [r.getMessage() for r in records if r.levelno >= logging.WARNING]


@pytest.mark.real
def test_rewrite_success_sends_the_instruction_and_the_key() -> None:
    with ChatServer([completion("Dear Sam, thank you for the photos.")]) as srv:
        out, warnings = rewrite(srv)
    assert out == "Dear Sam, thank you for the photos." and warnings == []
    req = srv.requests[0]
    assert req.path == "/v1/chat/completions"
    assert req.headers["authorization"] == f"Bearer {KEY}"
    assert req.body["model"] == "fixer" and req.body["temperature"] == 0
    assert req.body["messages"] == [{"role": "system", "content": DEFAULT_INSTRUCTION},
                                    {"role": "user", "content": TEXT}]


@pytest.mark.real
@pytest.mark.parametrize("reply, problem", [
    (error(500, f"overloaded, key {KEY}"), "answered HTTP 500: overloaded, key ***"),
    (error(401, "invalid api key"), "answered HTTP 401: invalid api key"),
    (RESET, "failed: "),
    (completion(None), "answered without a chat completion's text"),
    (Reply(200, {}, "not json"), "answered without a chat completion's text"),
    (completion("   "), "answered with empty text"),
    (completion("Sure! Here is the corrected text: Dear Sam, thank you for the photos."),
     "changed 6 of 7 words, more than a fix of punctuation and casing"),
    (completion("I am glad you liked the photos, Sam."), "changed "),
    (Reply(200, {}, "x" * 300_000), "answered more than 262144 bytes"),
])
def test_rewrite_failures_keep_the_text_with_one_line(reply: Reply, problem: str) -> None:
    with ChatServer([reply]) as srv:
        out, warnings = rewrite(srv)
    assert out == TEXT
    assert len(warnings) == 1
    assert warnings[0].startswith(f"rewrite model fixer at {srv.url}/chat/completions ")
    assert problem in warnings[0] and KEY not in warnings[0]


@pytest.mark.real
def test_rewrite_timeout_keeps_the_text() -> None:
    with ChatServer([HANG]) as srv:
        began = time.monotonic()
        out, warnings = rewrite(srv, rewrite_timeout_s=1.0)
        took = time.monotonic() - began
    assert out == TEXT and took < 20  # not the server's 120 s hang
    assert warnings == [f"rewrite model fixer at {srv.url}/chat/completions did not answer "
                        "within 1 s; the text is kept as it was"]


@pytest.mark.real
def test_rewrite_nothing_listening_keeps_the_text(refused_port: socket.socket) -> None:
    class Closed:  # rewrite() needs only the URL
        url = f"http://127.0.0.1:{refused_port.getsockname()[1]}/v1"

    out, warnings = rewrite(Closed())  # type: ignore[arg-type]
    assert out == TEXT
    assert len(warnings) == 1 and "failed: " in warnings[0] and KEY not in warnings[0]


def test_word_changes_are_counted_ignoring_case_and_punctuation() -> None:
    assert changed_words("dear sam thank you", "Dear Sam, thank you.") == 0
    assert changed_words("their going home now", "they're going home now") == 1
    assert changed_words("a b c d", "x y a b c d") == 2
    # One word is always allowed; otherwise up to a quarter.
    assert not too_different("their going", "they're going", 0.25)
    ten = "one two three four five six seven eight nine ten"
    assert not too_different(ten, ten.replace("two", "too").replace("six", "sicks"), 0.25)
    assert too_different(ten, "Here is the corrected text: " + ten, 0.25)


def test_argv_checks_are_one_line() -> None:
    for bad, message in [("", "--post-command is empty"),
                         ("'unclosed", "--post-command: No closing quotation"),
                         ("no-such-program-x --flag", "--post-command: 'no-such-program-x' is "
                                                      "not an executable")]:
        with pytest.raises(ConfigError) as err:
            command_argv(bad)
        assert str(err.value).startswith(message)
    assert command_argv("sed -e 's/a b/c/'") == ("sed", "-e", "s/a b/c/")


def test_rewrite_refuses_plain_http_to_another_host_before_sending_anything() -> None:
    with pytest.raises(ConfigError) as err:
        PostProcessor(PostConfig(rewrite_model="m", rewrite_url="http://example.com/v1",
                                 api_key=KEY))
    assert "over http://" in str(err.value) and KEY not in str(err.value)
    assert repr(PostConfig(api_key=KEY)).count(KEY) == 0
