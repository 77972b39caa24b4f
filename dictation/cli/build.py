"""From the command line to the configuration: argv merged over the environment, the config
file and the defaults, then each stage's frozen settings built from the merged values."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Mapping
from dataclasses import replace

from dictation.batch import FileJob
from dictation.cli import settings
from dictation.cli.configfile import ConfigFile
from dictation.cli.options import (
    FILE_GIVE_UP_S,
    GLOBAL_OPTIONS,
    INTERIM_S,
    SPECULATE_S,
    build_parser,
    normalize_argv,
)
from dictation.cli.textopts import build_text
from dictation.config import RunConfig
from dictation.control.notify import stdout_is_journal
from dictation.daemon import sample_path
from dictation.errors import ConfigError
from dictation.output.keytools import TyperConfig
from dictation.segment.segmenter import SegmenterConfig
from dictation.storage import config_dir
from dictation.text.boundary import BoundaryConfig
from dictation.text.guard import GuardConfig
from dictation.transcribe.engines import AUTO_MODEL, DEFAULT_BASE_URL, ApiConfig, LocalConfig

log = logging.getLogger("dictation")


def build_guard(args: argparse.Namespace) -> GuardConfig:
    return GuardConfig.with_phrases(args.silence_phrase or (),
                                    defaults=not args.no_default_silence_phrases,
                                    min_snr_db=args.speech_floor)


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
    fixed, spoken = languages_of(args)
    if engine == "local":
        return LocalConfig(model=args.local_model, latency_budget_s=args.latency_budget,
                           device=args.device, compute_type=args.compute_type,
                           threads=args.threads,
                           beam_size=args.beam_size, language=fixed, languages=spoken,
                           temperature=args.temperature, full_window=args.full_window,
                           timestamps=timestamps)
    base_url = base_url or DEFAULT_BASE_URL
    if key is None and base_url.rstrip("/") == DEFAULT_BASE_URL:
        raise ConfigError("no API key: set OPENAI_API_KEY or --api-key-file, or point "
                          "--base-url at a local OpenAI-compatible server")
    from dictation.endpoint import check_endpoint, tls_context

    check_endpoint(base_url, args.allow_insecure_http)  # refused before anything starts
    tls_context(args.ca_cert)
    return ApiConfig(base_url=base_url, api_key=key, model=args.model, language=fixed,
                     languages=spoken,
                     temperature=args.temperature, response_format=args.response_format,
                     allow_insecure_http=args.allow_insecure_http, ca_cert=args.ca_cert,
                     connect_timeout_s=args.connect_timeout, read_timeout_s=args.read_timeout,
                     request_timeout_s=args.request_timeout)


def languages_of(args: argparse.Namespace) -> tuple[str | None, tuple[str, ...]]:
    """(the one language spoken, or None for each utterance's own; the languages detection
    may pick among, empty for any)."""
    spoken = tuple(dict.fromkeys(c for group in args.languages or () for c in group))
    fixed = None if args.language in (None, "auto") else args.language
    if fixed and spoken and fixed not in spoken:
        raise ConfigError(f"--language {fixed} is not among --languages {','.join(spoken)}")
    if not fixed and len(spoken) == 1:
        fixed = spoken[0]
    return fixed, spoken


def build_refiner(args: argparse.Namespace, fast: ApiConfig | LocalConfig
                  ) -> ApiConfig | LocalConfig | None:
    """The second pass's engine (``--refine-model``): a local model, the API, or none;
    ``auto`` (the default) a model measured here to be more accurate than the fast one and
    fast enough (transcribe/auto.py), else none."""
    name = args.refine_model
    if name == AUTO_MODEL:
        name = _auto_refiner(args, fast)
    if name in (None, "off"):
        return None
    if name == "api":
        if isinstance(fast, ApiConfig):
            raise ConfigError("--refine-model api refines with the API, which already writes "
                              "the text: give a local model to refine with, or off")
        if not (read_api_key(args) or args.base_url):
            raise ConfigError("--refine-model api needs an OpenAI-compatible server: set "
                              "--base-url or OPENAI_API_KEY")
        api = build_engine(argparse.Namespace(**{**vars(args), "engine": "api"}))
        assert isinstance(api, ApiConfig)
        return api
    fixed, spoken = languages_of(args)
    return LocalConfig(model=name, device=args.device, compute_type=args.compute_type,
                       threads=args.threads, nice=refiner_nice(fast),
                       beam_size=args.beam_size, language=fixed,
                       languages=spoken, temperature=args.temperature,
                       full_window=args.full_window)


REFINER_NICE = 10
"""A local refiner's decoding threads run this much below the fast model's: when both decode
at once, the fast one takes the cores first (CFS weighs nice 0 against 10 as about 9 to 1),
and alone the refiner has every core. With its own lane, a final never waits for a
refinement the engine cannot interrupt. Measured on 2 cores (calm dictation, tiny.en with base
refining, three runs): the fast text showed 0.42-0.45 s after the last word (medians), as
tiny.en alone does (0.48 s in the same session)."""


def refiner_nice(fast: ApiConfig | LocalConfig) -> int:
    """How far a local refiner's priority is lowered: only beside a local fast engine."""
    return REFINER_NICE if isinstance(fast, LocalConfig) else 0


def _auto_refiner(args: argparse.Namespace, fast: ApiConfig | LocalConfig) -> str | None:
    """``--refine-model auto``: off behind the API (its text is a server's already), else
    the choice of the stored measurements, said in one line when there is one."""
    if not isinstance(fast, LocalConfig) or args.fast:
        return None
    from dictation.transcribe.auto import auto_model, choose_refiner
    from dictation.transcribe.models import family_of
    from dictation.transcribe.speed import load

    model = fast.model
    if model == AUTO_MODEL:
        model = auto_model(fast.language, fast.latency_budget_s).name
    choice = choose_refiner(load(), family_of(model), fast.language, args.refine_wait)
    if choice is None:
        return None
    log.info("refining with %s (--refine-model auto): %s", choice.name, choice.reason)
    return choice.path or choice.name


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
    return TyperConfig(tool=args.typer, delay_ms=args.type_delay, paste_keys=args.paste_keys,
                       live=None if args.live is None else args.live == "on")


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


def build_config(args: argparse.Namespace, file: ConfigFile | None = None) -> RunConfig:
    """run's configuration; ``file`` is the config file read, for its tables."""
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
    interims = interim_s(args, engine)
    if args.live == "on" and "type" in outputs and not interims:
        log.warning("--live on types nothing during speech without interims: give --interim "
                    "SECONDS (off by default with the API engine, which bills each one)")
    return RunConfig(engine=engine, segmenter=build_segmenter(args),
                     refine=build_refiner(args, engine), refine_wait_s=args.refine_wait,
                     vad_aggressiveness=args.vad_aggressiveness, input=inp, fast=args.fast,
                     prompt=args.prompt, speculate_s=speculate_s(args, engine),
                     interim_s=interims, outputs=outputs, captions=captions,
                     clipboard_mode=args.clipboard_mode, keep_dir=args.keep_dir,
                     mode=args.mode, socket=args.socket, hotkey=args.hotkey, cues=args.cues,
                     typer=build_typer(args), guard=build_guard(args),
                     spool_dir=args.spool_dir, spool_max_mb=args.spool_max,
                     give_up_s=args.give_up_after, stop_grace_s=args.stop_grace,
                     srt=args.srt, vtt=args.vtt, events=args.events,
                     text=replace(build_text(args, engine, file, lambda: read_api_key(args)),
                                  boundary=BoundaryConfig(hold_s=args.hold)))


def build_file_job(args: argparse.Namespace) -> FileJob:
    return FileJob(files=tuple(args.files), format=args.format, out=args.out,
                   segmenter=build_segmenter(args),
                   vad_aggressiveness=args.vad_aggressiveness, prompt=args.prompt,
                   keep_dir=args.keep_dir, progress=not args.quiet, guard=build_guard(args),
                   give_up_s=FILE_GIVE_UP_S if args.give_up_after is None
                   else args.give_up_after)


def check_daemon_args(daemon_args: list[str], env: Mapping[str, str] = os.environ
                      ) -> tuple[list[str], float]:
    """The `run` options for the service, checked now rather than in a restart loop, and
    the stop grace they give."""
    if any(a == "--api-key" or a.startswith("--api-key=") for a in daemon_args):
        env_file = os.path.join(config_dir(env), "env")  # where the unit reads it (%E)
        raise ConfigError("refusing to put an API key on the service's command line, where "
                          f"every user can read it: put OPENAI_API_KEY=... in {env_file} "
                          "(chmod 600) or use --api-key-file")
    args = daemon_args[1:] if daemon_args[:1] == ["run"] else daemon_args
    # A bad value exits 2 with run's usage, as on the command line.
    parsed, unknown = build_parser().parse_known_args(
        ["run", *(a for a in args if a not in GLOBAL_OPTIONS)])
    if unknown:
        raise ConfigError(f"not an option of `dictation run`: {' '.join(unknown)}")
    if parsed.api_key:  # an abbreviation the check above missed
        raise ConfigError("refusing to put an API key on the service's command line")
    return args, parsed.stop_grace
