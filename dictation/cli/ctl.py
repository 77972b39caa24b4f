"""`dictation ctl` and `dictation status`: their options and entry points. They run before the
rest of the command line loads (launch.py): a key binding waits on them, so they import the
standard library, the control client and the config file's light reader only. The full parser
(options.py) takes its `ctl` and `status` entries from here.
"""

from __future__ import annotations

import os
import sys

from dictation.cli.configfile import configured, not_a_key
from dictation.control.client import ctl, default_socket_path, status
from dictation.control.status import FORMATS
from dictation.errors import DictationError
from dictation.segment.gate import COMMANDS

TYPE_CHECKING = False  # not typing's: importing typing costs `dictation ctl` 5 ms
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


CTL_DESCRIPTION = ("press/release: push-to-talk; toggle, start, stop: dictation on and off; "
                   "cancel: drop what is being said and not yet delivered; undo: take back "
                   "the last text delivered; status: mode, state, engine, backlog and last "
                   "error")
STATUS_DESCRIPTION = ("the running daemon's state and backlog; with no daemon, what waits in "
                      "the spool for the next start (exit status 3), or, in a bar's format "
                      "(waybar, bar), off (exit status 0)")


def add_ctl_arguments(p: Any) -> None:
    p.add_argument("action", choices=COMMANDS, metavar="COMMAND", help=" | ".join(COMMANDS))
    p.add_argument("--json", action="store_true", help="print the status as JSON")
    add_socket_option(p)


def add_socket_option(p: Any) -> None:
    p.add_argument("--socket", type=os.path.expanduser, metavar="PATH",
                   help="control socket (default: $XDG_RUNTIME_DIR/dictation/control.sock)")


def add_status_arguments(p: Any) -> None:
    shape = p.add_mutually_exclusive_group()
    shape.add_argument("--json", action="store_true", help="print the status as JSON "
                       "(--format json)")
    # Not config keys: each call picks its own (and `format` is `transcribe`'s key).
    not_a_key(shape.add_argument(
        "--format", choices=FORMATS, help="line: the status line (default); json: the "
        "status object; waybar: JSON for Waybar's custom module; bar: a short label for "
        "polybar or i3blocks"))
    not_a_key(p.add_argument(
        "--follow", action="store_true", help="print a line at every change of state, pushed "
        "by the daemon; with no daemon say so and wait for one, until interrupted"))
    add_socket_option(p)
    p.add_argument("--spool-dir", type=os.path.expanduser, metavar="DIR",
                   help="the spool to report when no daemon runs (default: "
                        "$XDG_STATE_HOME/dictation/spool)")


def ctl_main(argv: list[str]) -> int:
    """`dictation ctl COMMAND`: one request, one line of output at most."""
    args = _parse("dictation ctl", CTL_DESCRIPTION, add_ctl_arguments, argv)
    env = dict(os.environ)
    return _run(lambda: ctl(args.action, args.socket or configured_socket(env), args.json))


def status_main(argv: list[str]) -> int:
    """`dictation status`: the daemon's status line, or the backlog it left on disk."""
    args = _parse("dictation status", STATUS_DESCRIPTION, add_status_arguments, argv)
    env = dict(os.environ)
    return _run(lambda: show_status(args.socket or configured_socket(env),
                                    args.spool_dir or configured("spool-dir", env),
                                    status_format(args), args.follow))


def show_status(path: str, spool_dir: str | None, fmt: str, follow: bool) -> int:
    """The status once, or (``follow``) a line at every change until stopped."""
    if follow:
        from dictation.control.follow import follow as follow_changes

        return follow_changes(path, fmt)
    return status(path, spool_dir, fmt)


def status_format(args: Any) -> str:
    """The format `dictation status` was asked for: --format, or --json, or the line."""
    return args.format or ("json" if args.json else "line")


def configured_socket(env: dict[str, str]) -> str:
    """The daemon's socket as the config layers would give it (env, then file, then default),
    read without loading the whole CLI."""
    return configured("socket", env) or default_socket_path(env)


def _parse(prog: str, description: str, add: Callable[[Any], None], argv: list[str]) -> Any:
    from dictation.cli.parser import OneLineParser

    parser = OneLineParser(prog=prog, description=description)
    add(parser)
    return parser.parse_args(argv)


def _run(command: Callable[[], int]) -> int:
    """The command's exit code; a user error is one line on stderr."""
    try:
        return command()
    except DictationError as err:
        print(f"dictation: error: {err}", file=sys.stderr)
        return err.exit_code
