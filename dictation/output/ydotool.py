"""ydotool: where its client finds ydotoold, what it can type, and whether that socket can be
trusted with what is dictated.

ydotool types through ydotoold, which any local user can impersonate by creating its socket
first: 0.1.x only knows ``/tmp/.ydotool_socket``, 1.x falls back to it without
XDG_RUNTIME_DIR. Whoever listens there receives every dictated word. So the socket must belong
to the user, or to root for a system-wide ydotoold; anything else is refused.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Mapping

from dictation.errors import SinkError

# What a keyboard gives for the typographic punctuation ydotool cannot type.
_ASCII_PUNCT = str.maketrans({"‘": "'", "’": "'", "‚": "'", "“": '"', "”": '"', "„": '"',
                              "–": "-", "—": "-", "…": "...", "\u00a0": " "})
YDOTOOL_LEGACY_SOCKET = "/tmp/.ydotool_socket"  # ydotool 0.1.x knows no other
UINPUT = "/dev/uinput"  # where ydotoold makes its keyboard
UINPUT_RULE = 'KERNEL=="uinput", GROUP="input", MODE="0660"'


def ydotool_is_v1(help_text: str) -> bool:
    """ydotool 1.x (daemon socket configurable, raw key codes) or 0.1.x (Debian 12)."""
    return "YDOTOOL_SOCKET" in help_text


def ydotool_socket(env: Mapping[str, str], *, v1: bool) -> str:
    """Where the ydotool client looks for ydotoold."""
    if not v1:
        return YDOTOOL_LEGACY_SOCKET
    if env.get("YDOTOOL_SOCKET"):
        return env["YDOTOOL_SOCKET"]
    if env.get("XDG_RUNTIME_DIR"):
        return f"{env['XDG_RUNTIME_DIR']}/.ydotool_socket"
    return YDOTOOL_LEGACY_SOCKET


def ydotool_text(text: str) -> str:
    """ydotool types US-keyboard ASCII only (1.x types garbage for other bytes): curly quotes
    and dashes become their ASCII look-alikes; other characters are refused."""
    out = text.translate(_ASCII_PUNCT)
    if not out.isascii():
        bad = next(ch for ch in out if not ch.isascii())
        raise SinkError(f"ydotool types only ASCII, not '{bad}': use --output paste for "
                        "such text")
    return out


def check_owner(path: str) -> None:
    """Refuse a ydotoold socket that belongs to another user (it may be anybody's listener)."""
    try:
        owner = os.stat(path).st_uid
    except FileNotFoundError:
        return  # nothing there: connecting says so
    except OSError as err:
        raise SinkError(f"cannot check ydotoold's socket {path}: {err.strerror or err}"
                        ) from None
    if owner not in (os.getuid(), 0):
        raise SinkError(f"ydotoold's socket {path} belongs to uid {owner}, not to you or "
                        "root: refusing to type there, since whoever made it would receive "
                        "everything dictated")


def check_daemon(path: str, *, v1: bool) -> None:
    """A ydotoold of the user's (or root's) listens on ``path``."""
    check_owner(path)
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM if v1 else socket.SOCK_STREAM
                       ) as sock:
        try:
            sock.connect(path)
        except (FileNotFoundError, ConnectionRefusedError):
            where = "; or set YDOTOOL_SOCKET if it listens elsewhere" if v1 else ""
            raise SinkError(f"ydotool needs its daemon, but none listens on {path}: "
                            f"{daemon_fix(shutil.which('ydotoold'))}{where}") from None
        except OSError as err:
            raise SinkError(f"ydotool cannot use ydotoold's socket {path}: "
                            f"{err.strerror or err}") from None


def daemon_fix(ydotoold: str | None, uinput: str = UINPUT) -> str:
    """The steps that get a ydotoold running, as far as this machine shows what is missing:
    the daemon's package, the kernel's uinput device, the right to write it."""
    steps = [] if ydotoold else ["install the Debian package ydotoold"]
    if not os.path.exists(uinput):
        steps.append(f"load the kernel's uinput module for {uinput} (sudo modprobe uinput)")
        steps.append("start ydotoold")
    elif not os.access(uinput, os.W_OK):
        steps.append(f"start ydotoold as root (sudo ydotoold), or let yourself write "
                     f"{uinput} (a udev rule '{UINPUT_RULE}' and membership in the input "
                     "group), then start ydotoold")
    else:
        steps.append("start ydotoold")
    return ", then ".join(steps)
