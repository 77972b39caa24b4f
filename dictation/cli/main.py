"""Command line: argparse values become explicit config objects; user errors become one line."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING

from dictation.cli import settings
from dictation.cli.options import (
    FILE_GIVE_UP_S,
    INTERIM_S,
    SPECULATE_S,
    build_parser,
    normalize_argv,
)
from dictation.config import (
    DEFAULT_BASE_URL,
    ApiConfig,
    LocalConfig,
    RunConfig,
    TyperConfig,
)
from dictation.control.notify import stdout_is_journal
from dictation.daemon import run_pipeline, sample_path, transcribe_files
from dictation.errors import ConfigError, DeviceError, DictationError
from dictation.logtext import ShowText
from dictation.segment.segmenter import SegmenterConfig
from dictation.text.guard import GuardConfig

if TYPE_CHECKING:
    from dictation.filemode import FileJob

log = logging.getLogger("dictation")


def build_guard(args: argparse.Namespace) -> GuardConfig:
    return GuardConfig.with_phrases(args.silence_phrase or (),
                                    defaults=not args.no_default_silence_phrases,
                                    min_snr_db=args.speech_floor)


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The command line alone, without the config file or the environment."""
    parser = build_parser()
    return parser.parse_args(normalize_argv(parser, argv))


def resolve_args(argv: list[str], env: Mapping[str, str]) -> settings.Resolved:
    """The command line merged over the environment, the config file and the defaults.
    `dictation config` gets the options of `run`, the configuration it shows."""
    parser = build_parser()
    return settings.resolve(parser, normalize_argv(parser, argv), env,
                            shows={"config": "run"})


def read_api_key(args: argparse.Namespace) -> str | None:
    if args.api_key:
        return args.api_key
    if args.api_key_file:
        try:
            key = args.api_key_file.read_text().strip()
        except OSError as err:
            raise ConfigError(f"cannot read API key file {args.api_key_file}: "
                              f"{err.strerror or err}") from None
        if not key:
            raise ConfigError(f"API key file {args.api_key_file} is empty")
        if args.api_key_file.stat().st_mode & 0o077:
            log.warning("API key file %s is readable by other users; chmod 600 it",
                        args.api_key_file)
        return key
    return None


def build_engine(args: argparse.Namespace, *, timestamps: bool = False
                 ) -> ApiConfig | LocalConfig:
    """The engine settings: local unless an API is configured (in any layer) or asked for."""
    key = read_api_key(args)
    base_url = args.base_url
    engine = args.engine or ("api" if key or base_url else "local")
    if engine == "local":
        return LocalConfig(model=args.local_model, device=args.device,
                           compute_type=args.compute_type, threads=args.threads,
                           beam_size=args.beam_size, language=args.language,
                           temperature=args.temperature, full_window=args.full_window,
                           timestamps=timestamps)
    base_url = base_url or DEFAULT_BASE_URL
    if key is None and base_url.rstrip("/") == DEFAULT_BASE_URL:
        raise ConfigError("no API key: set OPENAI_API_KEY or --api-key-file, or point "
                          "--base-url at a local OpenAI-compatible server")
    from dictation.transcribe.endpoint import check_endpoint, tls_context

    check_endpoint(base_url, args.allow_insecure_http)  # refused before anything starts
    tls_context(args.ca_cert)
    return ApiConfig(base_url=base_url, api_key=key, model=args.model, language=args.language,
                     temperature=args.temperature, response_format=args.response_format,
                     allow_insecure_http=args.allow_insecure_http, ca_cert=args.ca_cert,
                     connect_timeout_s=args.connect_timeout, read_timeout_s=args.read_timeout,
                     request_timeout_s=args.request_timeout)


def build_segmenter(args: argparse.Namespace) -> SegmenterConfig:
    try:
        return SegmenterConfig(
            pre_roll_s=args.pre_roll, hangover_max_s=args.hangover_max,
            hangover_min_s=args.hangover_min, min_speech_s=args.min_speech,
            max_utterance_s=args.max_utterance)
    except ValueError as err:
        raise ConfigError(f"bad VAD setting: {err}") from None


def speculate_s(args: argparse.Namespace, engine: ApiConfig | LocalConfig) -> float:
    if args.speculate is None:
        if args.fast:  # nobody is waiting for a file read at full speed: no extra requests
            return 0.0
        return SPECULATE_S["local" if isinstance(engine, LocalConfig) else "api"]
    return args.speculate


def interim_s(args: argparse.Namespace, engine: ApiConfig | LocalConfig) -> float:
    if args.interim is not None:
        return args.interim
    if args.fast:  # a file read at full speed: nobody watches captions
        return 0.0
    if isinstance(engine, ApiConfig):
        # A paid API bills every interim; and a server keeps decoding a request the client
        # gave up on, so interims competed with finals: against faster-whisper-server on
        # this machine, final latency went from 0.96 s to 8.2 s (bench/interim.md).
        return 0.0
    return INTERIM_S


def build_typer(args: argparse.Namespace) -> TyperConfig:
    from dictation.output.keytools import parse_chord

    parse_chord(args.paste_keys)  # a usage error, reported before anything starts
    return TyperConfig(tool=args.typer, delay_ms=args.type_delay, paste_keys=args.paste_keys)


def build_outputs(args: argparse.Namespace) -> tuple[str, ...]:
    """Where text goes: stdout unless something else is asked for. ``--events -`` takes
    stdout for its JSON lines, which must never mix with plain text lines. Under systemd,
    stdout is the journal, which keeps what it is given for weeks: text goes there only when
    asked for (``--output stdout`` or ``--log-text``)."""
    if args.events == "-":
        if "stdout" in (args.output or ()):
            raise ConfigError("--events - writes events to stdout: it cannot also carry "
                              "--output stdout; write the events to a file instead")
        return tuple(dict.fromkeys(args.output or ()))
    if not args.output and not args.log_text and stdout_is_journal(os.environ):
        log.warning("stdout is the systemd journal, which would keep every transcript: no "
                    "text is written there unless --output stdout or --log-text asks for it; "
                    "give --output type, paste or clipboard")
        return ()
    return tuple(dict.fromkeys(args.output or ["stdout"]))


def wants_captions(args: argparse.Namespace, tty: bool) -> bool:
    """The captions screen needs a terminal; without one its lines go to stdout plainly."""
    if not (args.captions or args.command == "captions"):
        return False
    if not tty:
        log.warning("stdout is not a terminal: captions are written as plain lines")
    return tty


def build_config(args: argparse.Namespace) -> RunConfig:
    # Caption files are cut at the engine's segment times, which the local one gives on demand.
    engine = build_engine(args, timestamps=bool(args.srt or args.vtt))
    inp = str(sample_path()) if args.command == "demo" else args.input
    if (args.captions or args.command == "captions") and args.events == "-":
        raise ConfigError("the captions screen and --events - both need stdout: write the "
                          "events to a file")
    captions = wants_captions(args, sys.stdout.isatty())
    outputs = build_outputs(args)
    if captions:  # the screen shows the lines: not printed a second time
        outputs = tuple(o for o in outputs if o != "stdout")
    return RunConfig(engine=engine, segmenter=build_segmenter(args),
                     vad_aggressiveness=args.vad_aggressiveness, input=inp, fast=args.fast,
                     prompt=args.prompt, speculate_s=speculate_s(args, engine),
                     interim_s=interim_s(args, engine),
                     outputs=outputs, captions=captions,
                     clipboard_mode=args.clipboard_mode, keep_dir=args.keep_dir,
                     mode=args.mode, socket=args.socket, hotkey=args.hotkey, cues=args.cues,
                     typer=build_typer(args), guard=build_guard(args),
                     spool_dir=args.spool_dir, spool_max_mb=args.spool_max,
                     give_up_s=args.give_up_after, stop_grace_s=args.stop_grace,
                     srt=args.srt, vtt=args.vtt, events=args.events)


def build_file_job(args: argparse.Namespace) -> FileJob:
    from dictation.filemode import FileJob

    return FileJob(files=tuple(args.files), format=args.format, out=args.out,
                   segmenter=build_segmenter(args),
                   vad_aggressiveness=args.vad_aggressiveness, prompt=args.prompt,
                   keep_dir=args.keep_dir, progress=not args.quiet, guard=build_guard(args),
                   give_up_s=FILE_GIVE_UP_S if args.give_up_after is None
                   else args.give_up_after)


def list_devices() -> int:
    from dictation.audio.devices import input_devices

    devices = input_devices()
    if not devices:
        raise DeviceError("no input device found")
    print(f"{'':2}{'index':>5}  {'rate':>6}  {'ch':>3}  name")
    for d in devices:
        mark = "*" if d.is_default else " "
        print(f"{mark:2}{d.index:>5}  {d.rate:>6}  {d.channels:>3}  {d.name}")
    return 0


def show_config(resolved: settings.Resolved, *, path_only: bool) -> int:
    """`dictation config`: the configuration `run` would use, or the file it would read."""
    try:
        sys.stdout.write(f"{resolved.path}\n" if path_only else resolved.to_toml())
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
    try:
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


def dispatch(resolved: settings.Resolved) -> int:
    """Run the command ``resolved`` names."""
    import asyncio

    args = resolved.args
    if args.command == "config":
        return show_config(resolved, path_only=args.path)
    if args.command == "ctl":  # reached with global options first: `dictation -v ctl …`
        from dictation.control.client import ctl, default_socket_path

        return ctl(args.action, args.socket or default_socket_path(dict(os.environ)),
                   args.json)
    if args.command == "status":  # reached with global options first
        from dictation.control.client import default_socket_path, status

        return status(args.socket or default_socket_path(dict(os.environ)), args.spool_dir,
                      args.json)
    if args.command == "devices":
        return list_devices()
    if args.command == "install-service":
        from dictation.control.service import check_daemon_args, install_service

        daemon_args, grace = check_daemon_args(args.daemon_args)
        return install_service(daemon_args, enable=not args.no_enable, env=dict(os.environ),
                               stop_grace_s=grace)
    if args.command == "transcribe":
        from dictation.filemode import destinations

        job = build_file_job(args)
        targets = destinations(job.files, job.format, job.out)
        engine = build_engine(args, timestamps=True)
        return asyncio.run(transcribe_files(job, targets, engine))
    cfg = build_config(args)
    return asyncio.run(run_pipeline(cfg, dict(os.environ), demo_fallback=args.demo_fallback))
