"""`dictation ctl` and `dictation status`: their options and entry points. They run before the
rest of the command line loads (launch.py): a key binding waits on them, so they import the
standard library, the control client and the config file's light reader only. The full parser
(options.py) takes its `ctl` and `status` entries from here.
"""

from __future__ import annotations

import os
import sys

from dictation.cli.configfile import configured
from dictation.control.client import ctl, default_socket_path, status
from dictation.errors import DictationError
from dictation.segment.gate import COMMANDS

TYPE_CHECKING = False  # not typing's: importing typing costs `dictation ctl` 5 ms
if TYPE_CHECKING:
    from typing import Any


def add_ctl_arguments(p: Any) -> None:
    p.add_argument("action", choices=COMMANDS, metavar="COMMAND", help=" | ".join(COMMANDS))
    p.add_argument("--json", action="store_true", help="print the status as JSON")
    add_socket_option(p)


def add_socket_option(p: Any) -> None:
    p.add_argument("--socket", type=os.path.expanduser, metavar="PATH",
                   help="control socket (default: $XDG_RUNTIME_DIR/dictation/control.sock)")


CTL_DESCRIPTION = ("press/release: push-to-talk; toggle, start, stop: dictation on and off; "
                   "cancel: drop what is being said and not yet delivered; status: mode, "
                   "state, engine, backlog and last error")


def ctl_main(argv: list[str]) -> int:
    """`dictation ctl COMMAND`: one request, one line of output at most."""
    import argparse

    parser = argparse.ArgumentParser(prog="dictation ctl", description=CTL_DESCRIPTION)
    add_ctl_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return ctl(args.action, args.socket or configured_socket(dict(os.environ)), args.json)
    except DictationError as err:
        print(f"dictation: error: {err}", file=sys.stderr)
        return err.exit_code


def configured_socket(env: dict[str, str]) -> str:
    """The daemon's socket as the config layers would give it (env, then file, then default),
    read without loading the whole CLI."""
    return configured("socket", env) or default_socket_path(env)


STATUS_DESCRIPTION = ("the running daemon's state and backlog; with no daemon, what waits in "
                      "the spool for the next start (exit status 3)")


def add_status_arguments(p: Any) -> None:
    p.add_argument("--json", action="store_true", help="print the status as JSON")
    add_socket_option(p)
    p.add_argument("--spool-dir", type=os.path.expanduser, metavar="DIR",
                   help="the spool to report when no daemon runs (default: "
                        "$XDG_STATE_HOME/dictation/spool)")


def status_main(argv: list[str]) -> int:
    """`dictation status`: the daemon's status line, or the backlog it left on disk."""
    import argparse

    parser = argparse.ArgumentParser(prog="dictation status", description=STATUS_DESCRIPTION)
    add_status_arguments(parser)
    args = parser.parse_args(argv)
    env = dict(os.environ)
    try:
        return status(args.socket or configured_socket(env),
                      args.spool_dir or configured("spool-dir", env), args.json)
    except DictationError as err:
        print(f"dictation: error: {err}", file=sys.stderr)
        return err.exit_code
