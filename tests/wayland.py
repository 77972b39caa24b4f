"""A real Wayland desktop for the tests: Debian's sway, headless, with a foot terminal whose
canonical tty a reader (ttyreader.py) writes back.

Sway refuses to run as root, so it runs as an unprivileged user of the tests' own (made once,
idempotently, when the tests run as root), with a runtime directory of its own. Clients of
the test (wtype, wl-clipboard, swaymsg, the daemon) reach it through an absolute
WAYLAND_DISPLAY and SWAYSOCK. Every wait ends on an event: the IPC socket answering, the
window focused in ``swaymsg -t get_tree``, a line of the reader. Everything started carries
the test's token (tests/procs.py), so nothing outlives a failing test.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import procs

HERE = Path(__file__).resolve().parent
RIG_USER = "dictation-rig"
WAIT_S = 60.0  # generous: sway and foot start in well under a second on an idle machine


def rig_user() -> tuple[int, int]:
    """The unprivileged user sway runs as: the tests' own when they run as root."""
    if os.getuid() != 0:
        return os.getuid(), os.getgid()
    try:
        entry = pwd.getpwnam(RIG_USER)
    except KeyError:
        # Two test workers may both get here: the second useradd fails, and the user exists.
        subprocess.run(["useradd", "--system", "--no-create-home", "--home-dir",
                        "/nonexistent", "--shell", "/usr/sbin/nologin", RIG_USER],
                       capture_output=True, check=False, timeout=60)
        entry = pwd.getpwnam(RIG_USER)
    return entry.pw_uid, entry.pw_gid


def until(check: Any, what: str, timeout: float = WAIT_S) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.05)
    return found


def _nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in (*node.get("nodes", ()), *node.get("floating_nodes", ())):
        yield from _nodes(child)


class Sway:
    """A headless sway of the test's own."""

    def __init__(self) -> None:
        self.uid, self.gid = rig_user()
        self.dir = Path(tempfile.mkdtemp(prefix="wl-"))  # short: socket paths are limited
        os.chown(self.dir, self.uid, self.gid)
        self.dir.chmod(0o700)
        # A small screen: sway and foot render every keystroke in software, on the cores
        # the engine under test needs too.
        (self.dir / "config").write_text("xwayland disable\noutput HEADLESS-1 resolution "
                                         "480x270\ndefault_border none\n")
        self._own = {"XDG_RUNTIME_DIR": str(self.dir), "HOME": str(self.dir),
                     "PATH": os.environ.get("PATH", os.defpath), "LC_ALL": "C.UTF-8",
                     procs.TOKEN: os.environ[procs.TOKEN]}
        self.proc = self._spawn(["sway", "-c", str(self.dir / "config")], {
            "WLR_BACKENDS": "headless", "WLR_LIBINPUT_NO_DEVICES": "1",
            "WLR_RENDERER": "pixman"}, log="sway.log")
        self.sock = str(until(lambda: next(self.dir.glob("sway-ipc.*.sock"), None)
                               or self._dead(), "sway's IPC socket"))
        self.display = str(until(lambda: next((p for p in self.dir.glob("wayland-*")
                                                if not p.name.endswith(".lock")), None)
                                  or self._dead(), "sway's Wayland socket"))
        until(lambda: self.msg("get_version") or self._dead(), "sway answering on IPC")
        self.env = {**os.environ, "WAYLAND_DISPLAY": self.display, "SWAYSOCK": self.sock,
                    "XDG_SESSION_TYPE": "wayland", "XDG_CURRENT_DESKTOP": "sway"}
        self.env.pop("DISPLAY", None)

    def _dead(self) -> None:
        if self.proc.poll() is not None:
            log = (self.dir / "sway.log").read_text(errors="replace")[-2000:]
            raise AssertionError(f"sway exited {self.proc.returncode}: {log}")

    def _spawn(self, argv: list[str], env: dict[str, str], log: str) -> subprocess.Popen:
        with open(self.dir / log, "ab") as out:
            return procs.spawn(argv, env={**self._own, **env}, stdout=out, stderr=out,
                               stdin=subprocess.DEVNULL, user=self.uid, group=self.gid,
                               extra_groups=[], cwd=self.dir)

    def msg(self, kind: str, *args: str) -> Any:
        """``swaymsg -t kind`` as JSON; None when it fails."""
        done = subprocess.run(["swaymsg", "-s", self.sock, "-r", "-t", kind, *args],
                              capture_output=True, text=True, timeout=WAIT_S, check=False)
        return json.loads(done.stdout) if done.returncode == 0 else None

    def focused(self) -> dict[str, Any] | None:
        tree = self.msg("get_tree")
        return next((n for n in _nodes(tree) if n.get("focused") and n.get("pid")), None)

    def reader(self) -> Reader:
        return Reader(self)

    def close(self) -> None:
        procs.stop_group(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)


class Reader:
    """A foot window with the focus, running ttyreader.py; what its tty received."""

    def __init__(self, sway: Sway) -> None:
        self.sway = sway
        self.app_id = f"reader{uuid.uuid4().hex[:8]}"
        script = sway.dir / "ttyreader.py"  # the test tree may not be the user's to read
        shutil.copy(HERE / "ttyreader.py", script)
        script.chmod(0o644)
        self.out = sway.dir / f"{self.app_id}.jsonl"
        self.out.touch()
        os.chown(self.out, sway.uid, sway.gid)
        self.proc = sway._spawn(
            ["foot", "--app-id", self.app_id, "python3", str(script), str(self.out)],
            {"WAYLAND_DISPLAY": sway.display}, log="foot.log")
        until(lambda: (n := sway.focused()) and n.get("app_id") == self.app_id,
               f"the foot window {self.app_id} mapped and focused")

    def chunks(self) -> list[str]:
        return [json.loads(line) for line in self.out.read_text().splitlines()]

    def text(self) -> str:
        """Everything the reader received: whole lines, and what flushes made readable."""
        return "".join(self.chunks())

    def flush(self) -> str:
        """Ctrl-D: the line being edited becomes readable as it stands. Pressed again until
        the reader reports it: a key sent while the terminal binds the keyboard the seat
        just gained is lost (that is the bug output/seat.py mends in dictation)."""
        before = len(self.chunks())
        deadline = time.monotonic() + WAIT_S
        while len(self.chunks()) == before:
            assert time.monotonic() < deadline, "the reader never saw Ctrl-D"
            subprocess.run(["wtype", "-M", "ctrl", "-k", "d", "-m", "ctrl"], env=self.sway.env,
                           check=True, timeout=WAIT_S)
            try:
                until(lambda: len(self.chunks()) > before, "the flush", timeout=2)
            except AssertionError:
                continue
        return self.text()

    def close(self) -> None:
        procs.stop_group(self.proc)
