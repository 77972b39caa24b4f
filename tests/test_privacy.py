"""What dictation lets out besides the text the user asked for: the environment its child
processes get (each writes down its own), the ydotoold socket it will type to, and
transcript text in its logs and in the journal."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import SAMPLE, Daemon, _need, dictation_cmd, one_clear_line
from faultserver import FaultServer, buzz_wav, json_text
from procs import private_tmp, stop_group

from dictation.env import SECRET_VARIABLES, child_env
from dictation.errors import SinkError
from dictation.output.ydotool import check_owner

NOBODY = 65534


def environ(pid: int) -> dict[str, str]:
    """A process's environment; empty when it is gone (or not ours to read)."""
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return {}
    return dict(item.split("=", 1) for item in raw.decode(errors="replace").split("\0")
                if "=" in item)


def comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


# --- child processes -----------------------------------------------------------------------

def test_the_helper_leaves_out_every_secret() -> None:
    env = {"PATH": "/bin", "DISPLAY": ":1", "OPENAI_API_KEY": "k", "DICTATION_API_KEY": "k",
           "DICTATION_API_KEY_FILE": "/k", "OPENAI_BASE_URL": "u", "DICTATION_BASE_URL": "u",
           "DICTATION_REWRITE_URL": "u"}
    assert child_env(env, LC_ALL="C.UTF-8") == {"PATH": "/bin", "DISPLAY": ":1",
                                                "LC_ALL": "C.UTF-8"}
    expected = {"OPENAI_API_KEY", "DICTATION_API_KEY", "DICTATION_API_KEY_FILE",
                "OPENAI_BASE_URL", "DICTATION_BASE_URL", "DICTATION_REWRITE_URL"}
    assert expected == SECRET_VARIABLES


@pytest.fixture
def started() -> Iterator[list[int]]:
    """Processes our daemon left behind (xclip serving the clipboard): killed at the end."""
    pids: list[int] = []
    yield pids
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, 9)


def _recording(wrappers: Path, records: Path, tool: str) -> None:
    """``tool`` on a PATH of the test's own: the real program, after the environment it was
    given is written down by the process itself, whole. Reading /proc/PID/environ of the
    real child instead raced its exit: a read over several pages came back cut short."""
    real = shutil.which(tool)
    assert real, tool
    script = wrappers / tool
    script.write_text(
        "#!/bin/sh\n"
        f'out="{records}/{tool}.$$"\n'
        'printf \'%s\\n\' "$@" > "$out.args"\n'
        'env -0 > "$out.tmp" && mv "$out.tmp" "$out.env"\n'
        f'exec {real} "$@"\n')
    script.chmod(0o755)


def _recorded(records: Path, tool: str, arg: str) -> dict[str, str] | None:
    """The environment of a run of ``tool`` that had ``arg`` among its arguments, once its
    record is complete."""
    for args in sorted(records.glob(f"{tool}.*.args")):
        env = args.with_suffix(".env")
        if arg in args.read_text().splitlines() and env.exists():
            return dict(item.split("=", 1) for item in env.read_text().split("\0")
                        if "=" in item)
    return None


def test_typing_and_clipboard_children_get_no_key(tmp_path: Path, xdisplay: str,
                                                  started: list[int]) -> None:
    for tool in ("xdotool", "xclip"):
        _need(tool)
    key = f"sk-child-{uuid.uuid4().hex}"
    keyfile = tmp_path / "key"
    keyfile.write_text(key)
    keyfile.chmod(0o600)
    wrappers, records = tmp_path / "bin", tmp_path / "records"
    wrappers.mkdir()
    records.mkdir()
    for tool in ("xdotool", "xclip"):
        _recording(wrappers, records, tool)
    one = buzz_wav(tmp_path / "one.wav", 1)
    with FaultServer(default=json_text("Hello there.")) as srv:
        env = {**os.environ, "DISPLAY": xdisplay, "OPENAI_API_KEY": key,
               "DICTATION_API_KEY_FILE": str(keyfile), "DICTATION_BASE_URL": srv.url + "/v1",
               "XDG_STATE_HOME": str(tmp_path / "state"),
               "PATH": f"{wrappers}:{os.environ['PATH']}"}
        d = Daemon(None, "--input", str(one), "--fast", "--output", "type", "--output",
                   "clipboard", "--typer", "xdotool", "--socket", str(tmp_path / "ctl.sock"),
                   base_env=env)
        try:
            d.proc.wait(timeout=60)  # the file is done: the run ends by itself
            out, err, code = d.stop()
        finally:
            stop_group(d.proc)
            # xclip forks to serve the selection and outlives the helper that started it.
            started += [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()
                        and comm(int(p.name)) == "xclip"
                        and environ(int(p.name)).get("DISPLAY") == xdisplay]
    assert code == 0 and out == "", err  # no stdout output was asked for
    typing = _recorded(records, "xdotool", "type")  # the xdotool that typed the text
    clipboard = _recorded(records, "xclip", "-selection")
    assert typing is not None and clipboard is not None, sorted(records.iterdir())
    for name, env_of in (("xdotool", typing), ("xclip", clipboard)):
        assert not SECRET_VARIABLES & env_of.keys(), (name, sorted(env_of))
        assert key not in "".join(env_of.values()), name
        assert env_of["DISPLAY"] == xdisplay, name  # the session's variables are there
    assert typing["LC_ALL"] == "C.UTF-8"


# --- the ydotoold socket -------------------------------------------------------------------

def _socket_file(path: Path, uid: int) -> Path:
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.bind(str(path))
    os.chown(path, uid, -1)
    return path


def test_a_ydotoold_socket_of_another_user_is_refused(tmp_path: Path) -> None:
    assert os.getuid() == 0, "creating another user's socket needs root"
    check_owner(str(_socket_file(tmp_path / "mine.sock", os.getuid())))  # ours: fine
    theirs = _socket_file(tmp_path / "theirs.sock", NOBODY)
    with pytest.raises(SinkError, match=f"belongs to uid {NOBODY}, not to you or root"):
        check_owner(str(theirs))


@pytest.mark.real
def test_the_daemon_refuses_another_users_ydotoold_socket(tmp_path: Path) -> None:
    # ydotool 0.1.x (Debian 12) knows only /tmp/.ydotool_socket, where any user can make a
    # socket first. The run gets a /tmp of its own (a private mount namespace, as root), so
    # the shared /tmp is never touched; there, nobody's socket waits at that path.
    _need("ydotool")
    _need("unshare")
    plant = ("import os, socket, sys; s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); "
             "s.bind('/tmp/.ydotool_socket'); os.chown('/tmp/.ydotool_socket', 65534, -1); "
             "os.execv(sys.executable, [sys.executable, '-m', 'dictation', *sys.argv[1:]])")
    env = {k: v for k, v in os.environ.items()
           if k not in ("YDOTOOL_SOCKET", "XDG_RUNTIME_DIR", "DISPLAY", "WAYLAND_DISPLAY")}
    p = subprocess.run(
        private_tmp([sys.executable, "-c", plant, "run", "--input", str(SAMPLE), "--fast",
                     "--base-url", "http://127.0.0.1:9/v1", "--output", "type", "--typer",
                     "ydotool", "--socket", str(tmp_path / "ctl.sock")]),
        capture_output=True, text=True, env=env, timeout=60)
    line = one_clear_line(p.stderr)
    assert p.returncode != 0 and p.stdout == ""
    assert line == ("dictation: error: ydotoold's socket /tmp/.ydotool_socket belongs to uid "
                    "65534, not to you or root: refusing to type there, since whoever made it "
                    "would receive everything dictated")


# --- transcripts in logs -------------------------------------------------------------------

SAID = "Before the loop. " + " ".join(["Send it today."] * 5)


def _verbose_run(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess:
    one = buzz_wav(tmp_path / "one.wav", 1)
    with FaultServer(default=json_text(SAID)) as srv:
        return subprocess.run(
            dictation_cmd("-v", "run", "--input", str(one), "--fast", "--base-url",
                          srv.url + "/v1", "--socket", str(tmp_path / "ctl.sock"), *extra),
            capture_output=True, text=True, timeout=60,
            env={**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")})


@pytest.mark.real
def test_verbose_logs_show_no_text_unless_asked(tmp_path: Path) -> None:
    quiet = _verbose_run(tmp_path)
    assert quiet.returncode == 0 and quiet.stdout == "Before the loop. Send it today.\n"
    assert "Send it" not in quiet.stderr and "loop" not in quiet.stderr.replace(
        "repetition loop", ""), quiet.stderr
    assert f"cut a repetition loop: <text of {len(SAID)} characters>" in quiet.stderr
    shown = _verbose_run(tmp_path, "--log-text")
    assert f"cut a repetition loop: {SAID!r}" in shown.stderr, shown.stderr


@pytest.mark.real
def test_stdout_that_is_the_journal_gets_no_text_unless_asked(tmp_path: Path) -> None:
    # systemd names the stream it connected to the journal in JOURNAL_STREAM (device:inode):
    # here that stream is a file, so what would have reached the journal can be read back.
    one = buzz_wav(tmp_path / "one.wav", 1)
    journal = tmp_path / "journal"

    def run(*extra: str) -> tuple[str, str]:
        with FaultServer(default=json_text("Private words.")) as srv, open(journal, "w") as out:
            st = os.fstat(out.fileno())
            p = subprocess.run(
                dictation_cmd("run", "--input", str(one), "--fast", "--base-url",
                              srv.url + "/v1", "--socket", str(tmp_path / "ctl.sock"), *extra),
                stdout=out, stderr=subprocess.PIPE, text=True, timeout=60,
                env={**os.environ, "XDG_STATE_HOME": str(tmp_path / "state"),
                     "JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino}"})
        assert p.returncode == 0, p.stderr
        return journal.read_text(), p.stderr

    text, err = run()
    assert text == ""
    warnings = [ln for ln in err.splitlines() if "warning" in ln]
    assert len(warnings) == 1 and "systemd journal" in warnings[0], err
    assert run("--log-text")[0] == "Private words.\n"
    assert run("--output", "stdout")[0] == "Private words.\n"
