"""Where dictation keeps things on disk, and how it writes them: one way each to find the
config and state directories, to make a private directory, and to replace a file whole.

Standard library only, nothing heavy at import: `dictation ctl` finds the config file here.
"""

from __future__ import annotations

import os
import stat

from dictation.errors import ConfigError

TYPE_CHECKING = False  # not typing's: importing typing costs `dictation ctl` 5 ms
if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

APP = "dictation"


def _xdg(env: Mapping[str, str], var: str, fallback: str) -> str:
    """An XDG base directory: the variable if it holds an absolute path (the specification
    says to ignore a relative one), else ``fallback`` under the home directory."""
    value = env.get(var, "")
    if os.path.isabs(value):
        return value
    return os.path.join(env.get("HOME") or os.path.expanduser("~"), fallback)


def config_home(env: Mapping[str, str] = os.environ) -> str:
    """$XDG_CONFIG_HOME, usually ~/.config: systemd's user units live under it too."""
    return _xdg(env, "XDG_CONFIG_HOME", ".config")


def config_dir(env: Mapping[str, str] = os.environ) -> str:
    """dictation's config directory: config.toml, and the service's env file."""
    return os.path.join(config_home(env), APP)


def state_dir(env: Mapping[str, str] = os.environ) -> str:
    """dictation's state directory, usually ~/.local/state/dictation: the spool and the
    audio that could not be transcribed."""
    return os.path.join(_xdg(env, "XDG_STATE_HOME", os.path.join(".local", "state")), APP)


def private_dir(path: str | Path, *, name: str = "", refusal: str) -> None:
    """Make ``path`` a 0700 directory of ours: a wrong mode is fixed (and said), a wrong owner
    refused with ConfigError. ``name`` says what it is in messages (``spool directory``),
    ``refusal`` what would not be done there (``keep audio there``)."""
    label = f"{name} {path}" if name else str(path)
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        st = os.lstat(path)
    except OSError as err:
        raise ConfigError(f"cannot create {label}: {err.strerror or err}") from None
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid():
        raise ConfigError(f"{label} is not a directory owned by you; refusing to {refusal}")
    if st.st_mode & 0o077:
        import logging

        logging.getLogger("dictation").warning(
            "%s was readable by others (mode %o); made it 0700", label, st.st_mode & 0o777)
        os.chmod(path, 0o700)


def atomic_write(path: str | Path, data: bytes, *, mode: int = 0o600,
                 durable: bool = True) -> None:
    """Replace ``path`` with ``data`` whole: readers and a crash see the old file or the new
    one, never part of either. ``durable``: the data and the rename are on disk when this
    returns (fsync of the file and of its directory), as an utterance in the spool must be.
    Raises OSError; the temporary file (``.NAME.*.tmp`` beside it) is gone then."""
    import contextlib
    import tempfile

    directory, name = os.path.split(os.fspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory or ".", prefix=f".{name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            if mode != 0o600:  # mkstemp's; readable by others only when asked, whatever umask
                os.fchmod(f.fileno(), mode)
            f.write(data)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if durable:
        fsync_dir(directory or ".")  # the rename itself survives a power cut


def fsync_dir(path: str | Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

