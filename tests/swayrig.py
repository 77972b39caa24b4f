"""A real Wayland compositor for the tests: Debian's sway, headless, drawing in memory.

sway refuses to run as root, so it runs as an unprivileged system user made for the tests,
with a runtime directory of its own. Its clients (a bar, grim for screenshots) may run as
root: they reach its Wayland socket by path, and root may connect to any socket.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import procs

USER = "dictation-rig"
_LOCK = Path(tempfile.gettempdir()) / "dictation-rig-user.lock"  # test workers make it once


def rig_user() -> pwd.struct_passwd:
    """The unprivileged user the compositor runs as, made the first time it is needed."""
    with open(_LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            return pwd.getpwnam(USER)
        except KeyError:
            made = subprocess.run(["useradd", "--system", "--user-group", "--no-create-home",
                                   "--home-dir", "/nonexistent", "--shell",
                                   "/usr/sbin/nologin", USER], capture_output=True, text=True)
        try:  # made by another test run meanwhile, useradd says it exists: fine too
            return pwd.getpwnam(USER)
        except KeyError:
            raise AssertionError(f"cannot make the user {USER}: {made.stderr}") from None


class Sway:
    """A headless sway with one output of ``width`` x ``height``; :meth:`close` ends it."""

    def __init__(self, width: int = 800, height: int = 200) -> None:
        user = rig_user()
        self.root = Path(tempfile.mkdtemp(prefix="dictation-sway-"))
        self.runtime = self.root / "run"
        self.runtime.mkdir(mode=0o700)
        (self.root / "home").mkdir()
        config = self.root / "config"
        config.write_text(f"output HEADLESS-1 resolution {width}x{height}\n"
                          "xwayland disable\n")
        for path in (self.root, self.runtime, self.root / "home", config):
            os.chown(path, user.pw_uid, user.pw_gid)
        env = {k: v for k, v in os.environ.items()
               if k not in ("WAYLAND_DISPLAY", "DISPLAY", "SWAYSOCK")}
        env.update(HOME=str(self.root / "home"), XDG_RUNTIME_DIR=str(self.runtime),
                   WLR_BACKENDS="headless", WLR_LIBINPUT_NO_DEVICES="1",
                   WLR_RENDERER="pixman")
        self.proc = procs.spawn(["sway", "-c", str(config)], user=user.pw_uid,
                                group=user.pw_gid, extra_groups=[], env=env,
                                cwd=self.root, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        self.log = procs.Stream(self.proc.stderr)
        try:
            self.display = procs.wait_until(self._socket, 60, "sway's Wayland socket")
        except BaseException:
            self.close()
            raise

    def _socket(self) -> Path | None:
        assert self.proc.poll() is None, f"sway exited: {self.log.text[-2000:]}"
        found = [p for p in self.runtime.glob("wayland-*") if not p.name.endswith(".lock")]
        return found[0] if found else None

    def client_env(self, runtime: Path) -> dict[str, str]:
        """The environment of a client run as root: the display by path, and a runtime
        directory of its own (``runtime``, made here)."""
        runtime.mkdir(mode=0o700, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "SWAYSOCK")}
        return {**env, "WAYLAND_DISPLAY": str(self.display), "XDG_RUNTIME_DIR": str(runtime)}

    def screenshot(self, runtime: Path) -> tuple[int, int, bytes]:
        """The output as (width, height, RGB bytes), taken by grim."""
        shot = subprocess.run(["grim", "-t", "ppm", "-"], env=self.client_env(runtime),
                              capture_output=True, timeout=30, check=True).stdout
        magic, size, depth, pixels = shot.split(b"\n", 3)
        width, height = map(int, size.split())
        assert magic == b"P6" and depth == b"255", shot[:20]
        return width, height, pixels[:width * height * 3]

    def close(self) -> None:
        procs.stop_group(self.proc)
        shutil.rmtree(self.root, ignore_errors=True)


@contextlib.contextmanager
def running_sway(width: int = 800, height: int = 200) -> Iterator[Sway]:
    sway = Sway(width, height)
    try:
        yield sway
    finally:
        sway.close()
