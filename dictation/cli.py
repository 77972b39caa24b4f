"""Command line: argparse values become explicit config objects; user errors become one line."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from dictation import __version__
from dictation.config import (
    BUNDLED_MODEL,
    CLIPBOARD_MODES,
    DEFAULT_BASE_URL,
    OUTPUTS,
    TYPERS,
    ApiConfig,
    LocalConfig,
    RunConfig,
    TyperConfig,
)
from dictation.errors import ConfigError, DeviceError, DictationError
from dictation.segmenter import SegmenterConfig
from dictation.transcribe.response import FORMATS

log = logging.getLogger("dictation")

COMMANDS = ("run", "demo", "transcribe", "devices")

# Silence after which an utterance is transcribed speculatively. The local engine costs only
# CPU, so it starts early; each API speculation overtaken by speech is a billed request.
SPECULATE_S = {"local": 0.09, "api": 0.15}


def sample_path() -> Path:
    return Path(str(resources.files("dictation") / "data" / "sample.wav"))


def _add_engine_options(p: argparse.ArgumentParser) -> None:
    eng = p.add_argument_group("engine")
    eng.add_argument("--engine", choices=("api", "local"),
                     help="default: api when an API key or base URL is configured, else local")
    eng.add_argument("--language", metavar="CODE", help="ISO-639-1 code, e.g. en")
    eng.add_argument("--temperature", type=float, default=0.0)
    eng.add_argument("--prompt", default="",
                     help="vocabulary/style prompt, always sent before the prior transcript")
    api = p.add_argument_group("api engine")
    api.add_argument("--base-url", metavar="URL",
                     help=f"OpenAI-compatible API base (env OPENAI_BASE_URL; "
                          f"default {DEFAULT_BASE_URL})")
    api.add_argument("--api-key", metavar="KEY",
                     help="API key (visible to other users in ps: prefer --api-key-file "
                          "or OPENAI_API_KEY)")
    api.add_argument("--api-key-file", metavar="PATH", type=Path,
                     help="file holding the API key")
    api.add_argument("--model", default="whisper-1")
    api.add_argument("--response-format", choices=FORMATS,
                     help="default: json; verbose_json for transcribe, for segment times")
    loc = p.add_argument_group("local engine")
    loc.add_argument("--local-model", default=BUNDLED_MODEL, metavar="NAME|DIR",
                     help=f"model directory, {BUNDLED_MODEL} (bundled, the default) or a "
                          "faster-whisper model name (downloaded once)")
    loc.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                     help="auto: CUDA when available, else CPU")
    loc.add_argument("--compute-type", default="auto", metavar="TYPE",
                     help="e.g. int8, int8_float16, float16, float32 (auto: float16 on CUDA, "
                          "int8 on CPU)")
    loc.add_argument("--threads", type=int, default=0, metavar="N",
                     help="CPU threads (default: one per core)")
    loc.add_argument("--beam-size", type=int, default=1, metavar="N")
    loc.add_argument("--full-window", action="store_true",
                     help="encode Whisper's whole 30 s window even for short audio (slower)")


def _add_run_options(p: argparse.ArgumentParser) -> None:
    src = p.add_argument_group("input")
    src.add_argument("--input", "-i", metavar="DEVICE|FILE",
                     help="input device index or name substring, or an audio file "
                          "(default: the default microphone)")
    src.add_argument("--fast", action="store_true",
                     help="with a file input: process as fast as possible, not at real time")
    src.add_argument("--demo-fallback", action="store_true",
                     help="when no microphone can be opened, play the bundled sample instead")
    _add_engine_options(p)
    p.add_argument("--speculate", type=float, metavar="S",
                   help="transcribe after this much silence, before the utterance is surely "
                        "over (longer while pauses keep turning out not to be the end); "
                        f"0 = off (default: local {SPECULATE_S['local']}, "
                        f"api {SPECULATE_S['api']}; off with --fast)")
    out = p.add_argument_group("output")
    out.add_argument("--output", "-o", action="append", choices=OUTPUTS,
                     help="where text goes; repeat for several (default: stdout)")
    out.add_argument("--clipboard-mode", choices=CLIPBOARD_MODES, default="replace",
                     help="replace: clipboard holds the newest utterance; append: the whole "
                          "session (default: replace)")
    out.add_argument("--typer", choices=TYPERS, default="auto",
                     help="what types for --output type and paste: wtype (Wayland), xdotool "
                          "(X11), ydotool (anywhere; needs ydotoold); auto: from the session")
    out.add_argument("--paste-keys", default=TyperConfig.paste_keys, metavar="KEYS",
                     help="what --output paste presses, e.g. ctrl+shift+v for terminals "
                          f"(default {TyperConfig.paste_keys})")
    out.add_argument("--type-delay", type=int, default=TyperConfig.delay_ms, metavar="MS",
                     help="pause between typed keys, for applications that drop fast keys "
                          f"(default {TyperConfig.delay_ms})")
    _add_keep_dir(out)
    _add_vad_options(p, SegmenterConfig())


def _add_transcribe_options(p: argparse.ArgumentParser) -> None:
    from dictation.filemode import EXTENSIONS, FILE_SEGMENTER

    p.add_argument("files", nargs="+", type=Path, metavar="FILE",
                   help="audio or video files: WAV, or anything FFmpeg decodes")
    out = p.add_argument_group("output")
    out.add_argument("--format", "-f", choices=tuple(EXTENSIONS), default="text",
                     help="text: one line per utterance; srt, vtt: captions; json: text and "
                          "timed segments (default: text)")
    out.add_argument("-o", "--out", type=Path, metavar="PATH",
                     help="output file, or a directory for one file per input "
                          "(default: stdout)")
    _add_keep_dir(out)
    _add_engine_options(p)
    _add_vad_options(p, FILE_SEGMENTER)


def _add_keep_dir(group: argparse._ArgumentGroup) -> None:
    group.add_argument("--keep-dir", type=Path, metavar="DIR",
                       help="where audio that could not be transcribed is kept "
                            "(default: the user state directory)")


def _add_vad_options(p: argparse.ArgumentParser, d: SegmenterConfig) -> None:
    vad = p.add_argument_group("voice activity detection")
    vad.add_argument("--vad-aggressiveness", type=int, default=3, choices=range(4),
                     metavar="0-3", help="webrtcvad mode: higher rejects more noise (default 3)")
    vad.add_argument("--pre-roll", type=float, default=d.pre_roll_s, metavar="S",
                     help=f"audio kept from before speech starts (default {d.pre_roll_s})")
    vad.add_argument("--hangover-max", type=float, default=d.hangover_max_s, metavar="S",
                     help="silence that ends a short utterance "
                          f"(default {d.hangover_max_s})")
    vad.add_argument("--hangover-min", type=float, default=d.hangover_min_s, metavar="S",
                     help="silence that ends a long run of speech "
                          f"(default {d.hangover_min_s})")
    vad.add_argument("--min-speech", type=float, default=d.min_speech_s, metavar="S",
                     help=f"shorter utterances are dropped (default {d.min_speech_s})")
    vad.add_argument("--max-utterance", type=float, default=d.max_utterance_s, metavar="S",
                     help=f"longer speech is split at a pause (default {d.max_utterance_s})")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dictation", description="Dictate from a microphone: speech in, text out.")
    parser.add_argument("--version", action="version", version=f"dictation {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug output on stderr")
    parser.add_argument("-q", "--quiet", action="store_true", help="only errors on stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = sub.add_parser("run", help="dictate (the default command)")
    _add_run_options(run)
    demo = sub.add_parser("demo", help="dictate the bundled spoken sample at real time")
    _add_run_options(demo)
    tr = sub.add_parser("transcribe", help="transcribe audio files to text or captions")
    _add_transcribe_options(tr)
    sub.add_parser("devices", help="list input devices")
    return parser


def parse_args(argv: list[str]) -> argparse.Namespace:
    # A bare `dictation [options]` means `dictation run [options]`.
    globals_ = {"-v", "--verbose", "-q", "--quiet"}
    lead = [a for a in argv if a in globals_]
    rest = [a for a in argv if a not in globals_]
    if not rest or (rest[0] not in COMMANDS and rest[0] not in ("-h", "--help", "--version")):
        rest = ["run", *rest]
    return build_parser().parse_args([*lead, *rest])


def read_api_key(args: argparse.Namespace, env: dict[str, str]) -> str | None:
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
    return env.get("OPENAI_API_KEY") or None


def build_engine(args: argparse.Namespace, env: dict[str, str], *,
                 timestamps: bool = False) -> ApiConfig | LocalConfig:
    """The engine settings: local unless an API is configured or asked for."""
    if not 0.0 <= args.temperature <= 1.0:
        raise ConfigError(f"--temperature must be between 0 and 1, got {args.temperature}")
    if args.language is not None and not (args.language.isalpha()
                                          and 2 <= len(args.language) <= 3):
        raise ConfigError(f"--language takes an ISO-639-1 code such as 'en', "
                          f"got '{args.language}'")
    key = read_api_key(args, env)
    base_url = args.base_url or env.get("OPENAI_BASE_URL")
    engine = args.engine or ("api" if key or base_url else "local")
    if engine == "local":
        if args.threads < 0 or args.beam_size < 1:
            raise ConfigError("--threads must be ≥ 0 and --beam-size ≥ 1")
        return LocalConfig(model=args.local_model, device=args.device,
                           compute_type=args.compute_type, threads=args.threads,
                           beam_size=args.beam_size, language=args.language,
                           temperature=args.temperature, full_window=args.full_window,
                           timestamps=timestamps)
    base_url = base_url or DEFAULT_BASE_URL
    if key is None and base_url.rstrip("/") == DEFAULT_BASE_URL:
        raise ConfigError("no API key: set OPENAI_API_KEY or --api-key-file, or point "
                          "--base-url at a local OpenAI-compatible server")
    fmt = args.response_format or ("verbose_json" if timestamps else "json")
    return ApiConfig(base_url=base_url, api_key=key, model=args.model, language=args.language,
                     temperature=args.temperature, response_format=fmt)


def build_segmenter(args: argparse.Namespace) -> SegmenterConfig:
    if args.max_utterance > 600:
        raise ConfigError("--max-utterance must be at most 600 s")
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
    if not 0 <= args.speculate <= 5:
        raise ConfigError(f"--speculate takes 0 (off) to 5 seconds, got {args.speculate}")
    return args.speculate


def build_typer(args: argparse.Namespace) -> TyperConfig:
    from dictation.keytools import parse_chord

    parse_chord(args.paste_keys)  # a usage error, reported before anything starts
    if not 0 <= args.type_delay <= 1000:
        raise ConfigError(f"--type-delay takes 0 to 1000 ms, got {args.type_delay}")
    return TyperConfig(tool=args.typer, delay_ms=args.type_delay, paste_keys=args.paste_keys)


def build_config(args: argparse.Namespace, env: dict[str, str]) -> RunConfig:
    engine = build_engine(args, env)
    inp = str(sample_path()) if args.command == "demo" else args.input
    return RunConfig(engine=engine, segmenter=build_segmenter(args),
                     vad_aggressiveness=args.vad_aggressiveness, input=inp, fast=args.fast,
                     prompt=args.prompt, speculate_s=speculate_s(args, engine),
                     outputs=tuple(dict.fromkeys(args.output or ["stdout"])),
                     clipboard_mode=args.clipboard_mode, keep_dir=args.keep_dir,
                     typer=build_typer(args))


def make_transcriber(engine: ApiConfig | LocalConfig):  # -> Transcriber
    """Build the engine; the local one starts loading its model right away."""
    if isinstance(engine, LocalConfig):
        from dictation.transcribe.local import LocalTranscriber

        return LocalTranscriber(engine)
    from dictation.transcribe.api import ApiTranscriber

    return ApiTranscriber(engine)


def _is_file_input(spec: str) -> bool:
    return os.sep in spec or spec.lower().endswith(".wav") or Path(spec).is_file()


def open_source(cfg: RunConfig, demo_fallback: bool):  # -> Source
    from dictation.audio import FileSource, MicSource, find_input_device

    if cfg.input is not None and _is_file_input(cfg.input):
        return FileSource(Path(cfg.input), realtime=not cfg.fast)
    try:
        mic = MicSource(find_input_device(cfg.input))
        mic.open()
        return mic
    except DeviceError as err:
        if not demo_fallback or cfg.input is not None:
            raise
        log.warning("%s; playing the bundled spoken sample instead", err)
        return FileSource(sample_path(), realtime=True)


async def run_pipeline(cfg: RunConfig, demo_fallback: bool = False) -> int:
    from dictation.pipeline import Pipeline
    from dictation.segmenter import Segmenter
    from dictation.sinks import ClipboardSink, Sink, StdoutSink
    from dictation.spool import default_keep_dir
    from dictation.vad import Vad

    def make_sink(name: str) -> Sink:
        if name == "stdout":
            return StdoutSink()
        if name == "clipboard":
            return ClipboardSink(cfg.clipboard_mode)
        from dictation.typer import typing_sink

        return typing_sink(name, cfg.typer, os.environ)

    transcriber = make_transcriber(cfg.engine)
    sinks: list[Sink] = []
    try:
        for name in cfg.outputs:
            sinks.append(make_sink(name))
        source = open_source(cfg, demo_fallback)
        pipeline = Pipeline(source, Vad(cfg.vad_aggressiveness), Segmenter(cfg.segmenter),
                            transcriber, sinks, prompt=cfg.prompt,
                            keep_dir=cfg.keep_dir or default_keep_dir(),
                            speculate_s=cfg.speculate_s)
        _on_signals(pipeline.stop, pipeline.abort)
        log.info("listening on %s → %s; Ctrl-C to stop", source.description,
                 transcriber.description)
        return await pipeline.run()
    finally:
        for sink in sinks:  # the typing sinks free the keys they bound
            if close := getattr(sink, "aclose", None):
                await close()
        await transcriber.aclose()


async def transcribe_files(args: argparse.Namespace, env: dict[str, str]) -> int:
    from dictation.filemode import FileJob, FileRunner, destinations

    job = FileJob(files=tuple(args.files), format=args.format, out=args.out,
                  segmenter=build_segmenter(args), vad_aggressiveness=args.vad_aggressiveness,
                  prompt=args.prompt, keep_dir=args.keep_dir, progress=not args.quiet)
    targets = destinations(job.files, job.format, job.out)
    engine = build_engine(args, env, timestamps=True)
    transcriber = make_transcriber(engine)
    try:
        runner = FileRunner(job, targets, transcriber)
        _on_signals(runner.stop, runner.abort)
        log.info("transcribing %d file(s) with %s", len(job.files), transcriber.description)
        return await runner.run()
    finally:
        await transcriber.aclose()


def _on_signals(stop: Callable[[], None], abort: Callable[[], None]) -> None:
    """First Ctrl-C or SIGTERM: ``stop`` (finish the utterance in progress); second: ``abort``
    (keep what is pending on disk and quit)."""
    loop = asyncio.get_running_loop()
    signals = 0

    def on_signal() -> None:
        nonlocal signals
        signals += 1
        if signals == 1:
            log.info("stopping: finishing the utterance in progress (again to abort)")
            stop()
        else:
            abort()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal)


def list_devices() -> int:
    from dictation.audio import input_devices

    devices = input_devices()
    if not devices:
        raise DeviceError("no input device found")
    print(f"{'':2}{'index':>5}  {'rate':>6}  {'ch':>3}  name")
    for d in devices:
        mark = "*" if d.is_default else " "
        print(f"{mark:2}{d.index:>5}  {d.rate:>6}  {d.channels:>3}  {d.name}")
    return 0


class _Formatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        level = "" if record.levelno == logging.INFO else f"{record.levelname.lower()}: "
        return f"dictation: {level}{record.getMessage()}"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter())
    log.addHandler(handler)
    log.setLevel(logging.DEBUG if args.verbose else logging.ERROR if args.quiet
                 else logging.INFO)
    log.propagate = False
    try:
        if args.command == "devices":
            return list_devices()
        if args.command == "transcribe":
            return asyncio.run(transcribe_files(args, dict(os.environ)))
        cfg = build_config(args, dict(os.environ))
        return asyncio.run(run_pipeline(cfg, demo_fallback=args.demo_fallback))
    except DictationError as err:
        log.error("%s", err)
        return err.exit_code
    except KeyboardInterrupt:
        return 130
