"""``--post-command``: one utterance's text on the user's command's stdin, its stdout as the
new text, within a time limit.

The command is split as a shell would split it (shlex) and run without a shell, in a session
of its own so that a timeout kills it with everything it started; its environment lacks the
transcription key. Its output is untrusted: bounded (``output_limit``), UTF-8, sanitised of
control characters, and used only when the command exited 0 and printed something.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import shutil
import signal
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from dictation.errors import ConfigError
from dictation.text.sanitize import sanitize

SECRET_VARIABLES = ("OPENAI_API_KEY", "DICTATION_API_KEY")
"""Not passed to the user's command: it has no business with the transcription key."""
STDERR_KEEP = 4096  # bytes of the end of the command's stderr, for the warning's last line


@dataclass(frozen=True)
class Outcome:
    text: str
    problem: str | None = None
    """Why the original text was kept; None when the stage's text is used."""


def command_argv(command: str) -> tuple[str, ...]:
    """``--post-command`` as argv; raises a one-line ConfigError when it cannot run."""
    try:
        argv = tuple(shlex.split(command))
    except ValueError as err:
        raise ConfigError(f"--post-command: {err}") from None
    if not argv:
        raise ConfigError("--post-command is empty")
    if shutil.which(argv[0]) is None:
        raise ConfigError(f"--post-command: '{argv[0]}' is not an executable file or a "
                          "command on PATH")
    return argv


def child_env(api_key: str | None, env: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The environment without the transcription key, under any name it is kept in."""
    return {k: v for k, v in env.items()
            if k not in SECRET_VARIABLES and not (api_key and v == api_key)}


def output_limit(text: str) -> int:
    """Bytes of output accepted: a fix is about as long as its input, never ten times it."""
    return 10 * len(text.encode()) + 1024


async def _read_bounded(stream: asyncio.StreamReader, limit: int) -> tuple[bytes, bool]:
    """Up to ``limit`` bytes, and whether there was more (the rest is drained unread so the
    child never blocks on a full pipe)."""
    data = bytearray()
    over = False
    while chunk := await stream.read(65536):
        if len(data) + len(chunk) > limit:
            over = True
            data += chunk[: max(0, limit - len(data))]
        else:
            data += chunk
    return bytes(data), over


async def _read_tail(stream: asyncio.StreamReader, keep: int) -> bytes:
    """The last ``keep`` bytes: the error a command prints last is the one that matters."""
    data = b""
    while chunk := await stream.read(65536):
        data = (data + chunk)[-keep:]
    return data


def _kill_group(proc: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # its own session: children go too


async def run_command(argv: Sequence[str], text: str, timeout_s: float,
                      api_key: str | None = None) -> Outcome:
    """``text`` on the command's stdin, its stdout as the new text."""
    name = os.path.basename(argv[0])
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, start_new_session=True, env=child_env(api_key))
    except OSError as err:
        return Outcome(text, f"post-command {name} could not start: {err.strerror or err}")
    limit = output_limit(text)
    assert proc.stdout is not None and proc.stderr is not None
    try:
        async with asyncio.timeout(timeout_s):
            (out, over), err, _ = await asyncio.gather(
                _read_bounded(proc.stdout, limit), _read_tail(proc.stderr, STDERR_KEEP),
                _feed(proc, text))
            status = await proc.wait()
    except TimeoutError:
        _kill_group(proc)
        await proc.wait()
        return Outcome(text, f"post-command {name} did not finish within {timeout_s:g} s; "
                             "it was stopped")
    finally:
        if proc.returncode is None:  # cancelled: the child must not outlive the text
            _kill_group(proc)
    return _judge(name, text, out, over, err, status, limit)


async def _feed(proc: asyncio.subprocess.Process, text: str) -> None:
    assert proc.stdin is not None
    try:
        proc.stdin.write(text.encode())
        await proc.stdin.drain()
    except (BrokenPipeError, ConnectionResetError):
        pass  # a command that does not read its input may still answer
    finally:
        proc.stdin.close()


def _judge(name: str, text: str, out: bytes, over: bool, err: bytes, status: int,
           limit: int) -> Outcome:
    if status != 0:
        last = sanitize(err.decode("utf-8", "replace").strip().splitlines()[-1:][0]
                        if err.strip() else "")[:160]
        why = f"exit status {status}" if status > 0 else f"signal {-status}"
        return Outcome(text, f"post-command {name} failed ({why})" + (f": {last}" if last
                                                                      else ""))
    if over:
        return Outcome(text, f"post-command {name} printed more than {limit} bytes")
    try:
        new = sanitize(out.decode("utf-8"))
    except UnicodeDecodeError:
        return Outcome(text, f"post-command {name} printed text that is not UTF-8")
    if not new:
        return Outcome(text, f"post-command {name} printed nothing")
    return Outcome(new)
