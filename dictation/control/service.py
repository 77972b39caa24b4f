"""The systemd user service: the unit text (the one source of systemd/dictation.service),
ExecStart quoting, and `dictation install-service`."""

from __future__ import annotations

import logging
import math
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from dictation.env import child_env
from dictation.errors import ConfigError, ServiceError
from dictation.storage import atomic_write, config_dir, config_home

log = logging.getLogger("dictation")

UNIT_NAME = "dictation.service"
DEFAULT_EXEC_START = "%h/.local/bin/dictation run"
"""ExecStart of the repository's systemd/dictation.service (a `pip install --user` or pipx)."""

_UNIT = """\
# dictation as a systemd user service: speech to text wherever the cursor is.
# `dictation install-service` writes this file with ExecStart pointing at the installed
# command; `systemctl --user status dictation` and `journalctl --user -u dictation` show it.

[Unit]
Description=Dictation: speech to text wherever the cursor is
# Needs the desktop session (display and sound server); stops and restarts with it.
PartOf=graphical-session.target
After=graphical-session.target
# A setup that cannot work (a rejected key, a misnamed device) fails for good after 5 tries.
StartLimitIntervalSec=300
StartLimitBurst=5

[Service]
# READY once listening, or waiting for a microphone (STATUS says which); the pipeline pings
# the watchdog from the audio loop, so a capture that hangs is killed and restarted.
Type=notify
ExecStart={exec_start}
# OPENAI_API_KEY=... and other settings; keep it chmod 600. Never put the key on ExecStart:
# command lines are visible to every user.
EnvironmentFile=-%E/dictation/env
Restart=on-failure
RestartSec=3
WatchdogSec=30
# Stopping waits for the text of what was said at most --stop-grace seconds (5), then leaves
# the rest in the spool and exits within a second: far inside this timeout.
TimeoutStopSec={stop_timeout}
SyslogIdentifier=dictation

# Hardening that needs no privileges and hides nothing the daemon uses: the sound server and
# Wayland sockets in $XDG_RUNTIME_DIR, X in /tmp/.X11-unix, /dev/uinput for ydotool, and the
# home directory (models, clipboard and typing tools). No namespaces (ProtectHome=,
# PrivateDevices=, PrivateTmp=...), which would hide those or fail without user namespaces,
# and no MemoryDenyWriteExecute=, which breaks CTranslate2's JIT and cffi audio callbacks.
NoNewPrivileges=yes
LockPersonality=yes
RestrictSUIDSGID=yes
RestrictNamespaces=yes
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallErrorNumber=EPERM
UMask=0077

[Install]
WantedBy=graphical-session.target
"""

# Words systemd takes as they are; anything else is double-quoted with C escapes.
_BARE = re.compile(r"[A-Za-z0-9_@%+=:,./-]+")


STOP_TIMEOUT_S = 20
"""TimeoutStopSec: four times the default --stop-grace and then some."""
STOP_MARGIN_S = 15  # past a longer --stop-grace: the exit itself, a slow disk, a loaded machine


def render_unit(exec_start: str = DEFAULT_EXEC_START, stop_grace_s: float = 5.0) -> str:
    """The unit text; ``exec_start`` is already in systemd syntax (see :func:`exec_line`).
    Its stop timeout stays well above the daemon's ``--stop-grace``."""
    timeout = max(STOP_TIMEOUT_S, math.ceil(stop_grace_s) + STOP_MARGIN_S)
    return _UNIT.replace("{exec_start}", exec_start).replace("{stop_timeout}", str(timeout))


def quote(arg: str) -> str:
    """One ExecStart word that systemd turns back into exactly ``arg``: quoted when needed,
    with '%' (specifiers) and '$' (environment variables) doubled."""
    if not _BARE.fullmatch(arg):
        arg = '"' + "".join(_escape(c) for c in arg) + '"'
    return arg.replace("%", "%%").replace("$", "$$")


def _escape(c: str) -> str:
    if c in '\\"':
        return "\\" + c
    if ord(c) < 0x20 or ord(c) == 0x7F:
        return f"\\x{ord(c):02x}"
    return c


def exec_line(argv: Sequence[str]) -> str:
    if not argv or not os.path.isabs(argv[0]):
        raise ConfigError(f"the service needs an absolute executable path, got {argv[:1]}")
    return " ".join(quote(a) for a in argv)


def dictation_command(argv0: str | None = None) -> list[str]:
    """The command that runs this installation: the `dictation` script we were started as,
    else the one on PATH, else this interpreter with ``-m dictation``."""
    argv0 = sys.argv[0] if argv0 is None else argv0
    if os.path.basename(argv0) == "dictation":
        if os.sep in argv0 and os.access(argv0, os.X_OK) and os.path.isfile(argv0):
            return [os.path.abspath(argv0)]  # not resolved: a ~/.local/bin link survives upgrades
        found = shutil.which("dictation")
        if found:
            return [os.path.abspath(found)]
    if not sys.executable:
        raise ConfigError("cannot tell which program runs dictation; install it with pip")
    return [sys.executable, "-m", "dictation"]


def write_unit(text: str, env: Mapping[str, str]) -> Path:
    """Write the unit to the user's systemd directory (mode 0644, replaced atomically)."""
    directory = Path(config_home(env)) / "systemd" / "user"
    path = directory / UNIT_NAME
    try:
        directory.mkdir(parents=True, exist_ok=True)
        # Readable by the manager whatever our umask; not synced: install-service rewrites it.
        atomic_write(path, text.encode(), mode=0o644, durable=False)
    except OSError as err:
        raise ConfigError(f"cannot write {path}: {err.strerror or err}") from None
    return path


ENABLE_COMMANDS = ("systemctl --user daemon-reload",
                   f"systemctl --user enable --now {UNIT_NAME}")


def install_service(daemon_args: Sequence[str], *, enable: bool,
                    env: Mapping[str, str], stop_grace_s: float = 5.0) -> int:
    """Write the unit running ``dictation run DAEMON_ARGS``, then (``enable``) reload the user
    manager and enable and start it. ``daemon_args`` must already be checked
    (cli.build.check_daemon_args)."""
    text = render_unit(exec_line([*dictation_command(), "run", *daemon_args]), stop_grace_s)
    path = write_unit(text, env)
    log.info("installed %s", path)
    _check_env_file(Path(config_dir(env)) / "env")
    if not enable:
        _print_commands("to start it now and at each login, run:")
        return 0
    systemctl = shutil.which("systemctl")
    if systemctl is None:
        log.warning("systemctl not found: this system does not run systemd")
        _print_commands("on a systemd system, run:")
        return 0
    reload = _systemctl(systemctl, "daemon-reload")
    if reload.returncode != 0:
        log.warning("the systemd user manager is not reachable (%s)", _reason(reload))
        _print_commands("from your desktop session, run:")
        return 0
    started = _systemctl(systemctl, "enable", "--now", UNIT_NAME)
    if started.returncode != 0:
        raise ServiceError(f"{UNIT_NAME} is installed but did not start: {_reason(started)}; "
                           "see journalctl --user -u dictation")
    log.info("enabled and started %s; it starts with each graphical session", UNIT_NAME)
    return 0


def _systemctl(systemctl: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([systemctl, "--user", *args], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, env=child_env())


def _reason(proc: subprocess.CompletedProcess[str]) -> str:
    """systemctl's first line that says what went wrong (enable first lists its symlinks)."""
    for line in (proc.stderr + proc.stdout).splitlines():
        if line.strip() and not line.startswith(("Created symlink", "Removed")):
            return line.strip().rstrip(".")
    return f"systemctl exited with status {proc.returncode}"


def _print_commands(intro: str) -> None:
    print(intro, *(f"  {c}" for c in ENABLE_COMMANDS), sep="\n", file=sys.stderr)


def _check_env_file(path: Path) -> None:
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if mode & 0o077:
        log.warning("%s is readable by other users; chmod 600 it", path)
