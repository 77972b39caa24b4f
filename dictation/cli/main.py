"""The command line's entry point: logging on stderr, every user error as one line, and the
command dispatched (`ctl` and `status` come here only after global options: launch.py takes
them first)."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping

from dictation.batch import transcribe_files
from dictation.cli import settings
from dictation.cli.build import (
    build_config,
    build_engine,
    build_file_job,
    check_daemon_args,
    resolve_args,
)
from dictation.cli.configfile import locate
from dictation.cli.textopts import listing
from dictation.daemon import run_pipeline
from dictation.errors import DeviceError, DictationError
from dictation.logtext import ShowText

log = logging.getLogger("dictation")


def list_devices() -> int:
    """PortAudio's input devices, then the sound server's sources; * marks each default."""
    from dictation.audio.devices import input_devices
    from dictation.audio.soundserver import SERVER_DEVICES, describe, server_sources

    devices = input_devices()
    sources = server_sources(os.environ) or []
    if not devices and not sources:
        raise DeviceError("no input device found")
    print(f"{'':2}{'index':>5}  {'rate':>6}  {'ch':>3}  name")
    for d in devices:
        mark = "*" if d.is_default else " "
        print(f"{mark:2}{d.index:>5}  {d.rate:>6}  {d.channels:>3}  {d.name}")
    if not sources:
        return 0
    via = "/".join(d.name for d in devices if d.name.lower() in SERVER_DEVICES) or "pulse"
    print(f"\nsound server sources ({via} records from *; `pactl set-default-source NAME` "
          "or the desktop's sound settings change it):")
    width = max(len(s.name) for s in sources)
    for s in sources:
        print(f"{'*' if s.is_default else ' ':2}{s.name:<{width}}  {describe(s)}")
    return 0


def show_config(text: str) -> int:
    """`dictation config`: the configuration `run` would use, or the file it would read."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:  # `dictation config | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


class _Formatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        level = "" if record.levelno == logging.INFO else f"{record.levelname.lower()}: "
        return f"dictation: {level}{record.getMessage()}"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    for old in [h for h in log.handlers if isinstance(h.formatter, _Formatter)]:
        log.removeHandler(old)  # an earlier call's, in the same process
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter())
    log.addHandler(handler)
    log.setLevel(logging.INFO)  # until the config says otherwise: its own warnings show
    log.propagate = False
    if argv[:1] == ["completions"]:  # run from shells' start-up files: no config can break it
        from dictation.cli.options import build_parser

        return _completions(build_parser().parse_args(argv).shell)
    try:
        if (path := config_path(argv, os.environ)) is not None:
            return show_config(f"{path}\n")
        resolved = resolve_args(argv, os.environ)
        args = resolved.args
        log.setLevel(logging.DEBUG if args.verbose else logging.ERROR if args.quiet
                     else logging.INFO)
        if args.log_text:
            handler.addFilter(ShowText())
        return dispatch(resolved)
    except DictationError as err:
        log.error("%s", err)
        return err.exit_code
    except KeyboardInterrupt:
        return 130


def config_path(argv: list[str], env: Mapping[str, str]) -> str | None:
    """For `dictation config --path`, the file's path, found without reading it: the way to
    find a broken file must not break on it. None for any other command."""
    if "config" not in argv or not any(a.startswith("--pa") for a in argv):
        return None  # no need to parse twice
    from dictation.cli.options import build_parser, normalize_argv

    parser = build_parser()
    args = parser.parse_args(normalize_argv(parser, argv))
    if args.command != "config" or not args.path:
        return None
    return locate(env, args.config)[0]


def _completions(shell: str) -> int:
    from dictation.cli.completions import print_completions
    from dictation.cli.options import build_parser

    return print_completions(build_parser(), shell)


def dispatch(resolved: settings.Resolved) -> int:
    """Run the command ``resolved`` names."""
    import asyncio

    args = resolved.args
    if args.command == "config":
        return show_config(f"{resolved.path}\n" if args.path else listing(resolved))
    if args.command == "ctl":  # reached with global options first: `dictation -v ctl …`
        from dictation.control.client import ctl, default_socket_path

        return ctl(args.action, args.socket or default_socket_path(dict(os.environ)),
                   args.json)
    if args.command == "status":  # reached with global options first
        from dictation.cli.ctl import show_status, status_format
        from dictation.control.client import default_socket_path

        return show_status(args.socket or default_socket_path(dict(os.environ)),
                           args.spool_dir, status_format(args), args.follow)
    if args.command == "devices":
        return list_devices()
    if args.command == "completions":  # reached with global options first
        return _completions(args.shell)
    if args.command == "models":
        from dictation.cli.models import models_command

        return models_command(args)
    if args.command == "install-service":
        from dictation.control.service import install_service

        daemon_args, grace = check_daemon_args(args.daemon_args, os.environ)
        return install_service(daemon_args, enable=not args.no_enable, env=dict(os.environ),
                               stop_grace_s=grace)
    if args.command == "transcribe":
        from dictation.batch import destinations

        job = build_file_job(args)
        targets = destinations(job.files, job.format, job.out)
        engine = build_engine(args, timestamps=True)
        return asyncio.run(transcribe_files(job, targets, engine))
    cfg = build_config(args, resolved.file)
    return asyncio.run(run_pipeline(cfg, dict(os.environ), demo_fallback=args.demo_fallback))
