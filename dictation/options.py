"""The command line's argparse tree: the commands and their options, with their defaults and
help. Turning the values into config objects is cli.py's job."""

from __future__ import annotations

import argparse
from pathlib import Path

from dictation import __version__, settings, values
from dictation.config import (
    BUNDLED_MODEL,
    CLIPBOARD_MODES,
    DEFAULT_BASE_URL,
    EXTENSIONS,
    FILE_SEGMENTER,
    FORMATS,
    OUTPUTS,
    TYPERS,
    ApiConfig,
    RunConfig,
    TyperConfig,
)
from dictation.control import (
    CTL_DESCRIPTION,
    STATUS_DESCRIPTION,
    add_ctl_arguments,
    add_socket_option,
    add_status_arguments,
)
from dictation.gate import MODES
from dictation.segmenter import SegmenterConfig
from dictation.transcribe.guard import GuardConfig

GLOBAL_OPTIONS = ("-v", "--verbose", "-q", "--quiet")  # accepted before or after the command

# Silence after which an utterance is transcribed speculatively. The local engine costs only
# CPU, so it starts early; each API speculation overtaken by speech is a billed request.
SPECULATE_S = {"local": 0.09, "api": 0.15}
# `transcribe` has the input file to fall back on and nobody at a microphone: a minute of
# failures of one utterance is long enough to wait before its audio is set aside.
FILE_GIVE_UP_S = 60.0
# Audio between interim transcriptions (provisional captions): on for engines that cost only
# CPU (local, or an API server on this machine), off for a billed API. bench/interim.md.
INTERIM_S = 0.7


def _add_engine_options(p: argparse.ArgumentParser) -> None:
    eng = p.add_argument_group("engine")
    eng.add_argument("--engine", choices=("api", "local"),
                     help="default: api when an API key or base URL is configured, else local")
    eng.add_argument("--language", type=values.language, metavar="CODE",
                     help="ISO-639-1 code, e.g. en")
    eng.add_argument("--temperature", type=values.temperature, default=0.0)
    eng.add_argument("--prompt", default="",
                     help="vocabulary/style prompt, always sent before the prior transcript")
    api = p.add_argument_group("api engine")
    api.add_argument("--base-url", metavar="URL",
                     help=f"OpenAI-compatible API base (env OPENAI_BASE_URL; "
                          f"default {DEFAULT_BASE_URL})")
    settings.secret(api.add_argument(
        "--api-key", metavar="KEY",
        help="API key (visible to other users in ps: prefer --api-key-file, OPENAI_API_KEY "
             "or the config file)"))
    api.add_argument("--api-key-file", metavar="PATH", type=Path,
                     help="file holding the API key")
    api.add_argument("--model", default="whisper-1")
    api.add_argument("--response-format", choices=FORMATS,
                     help="default: verbose_json (segment times and scores), or json when "
                          "the server refuses it")
    api.add_argument("--ca-cert", type=Path, metavar="FILE",
                     help="also trust this CA certificate (PEM): a private CA or a "
                          "self-signed server (SSL_CERT_FILE replaces the default CAs)")
    api.add_argument("--allow-insecure-http", action="store_true",
                     help="allow a plain http:// base URL to another machine: the audio and "
                          "the API key cross the network unencrypted")
    api.add_argument("--connect-timeout", type=values.timeout,
                     default=ApiConfig.connect_timeout_s, metavar="S",
                     help=f"to open a connection (default {ApiConfig.connect_timeout_s:g})")
    api.add_argument("--read-timeout", type=values.timeout,
                     default=ApiConfig.read_timeout_s, metavar="S",
                     help="longest wait for the server's next byte "
                          f"(default {ApiConfig.read_timeout_s:g})")
    api.add_argument("--request-timeout", type=values.timeout,
                     default=ApiConfig.request_timeout_s, metavar="S",
                     help="longest one request may take in all "
                          f"(default {ApiConfig.request_timeout_s:g})")
    api.add_argument("--give-up-after", type=values.give_up, metavar="S",
                     help="stop retrying an utterance after S seconds of network or server "
                          "failures; its audio then goes to --keep-dir (default: run never "
                          f"gives up; transcribe after {FILE_GIVE_UP_S:g})")
    loc = p.add_argument_group("local engine")
    loc.add_argument("--local-model", default=BUNDLED_MODEL, metavar="NAME|DIR",
                     help=f"model directory, {BUNDLED_MODEL} (bundled, the default) or a "
                          "faster-whisper model name (downloaded once)")
    loc.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                     help="auto: CUDA when available, else CPU")
    loc.add_argument("--compute-type", default="auto", metavar="TYPE",
                     help="e.g. int8, int8_float16, float16, float32 (auto: float16 on CUDA, "
                          "int8 on CPU)")
    loc.add_argument("--threads", type=values.threads, default=0, metavar="N",
                     help="CPU threads (default: one per core)")
    loc.add_argument("--beam-size", type=values.beam_size, default=1, metavar="N")
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
    p.add_argument("--speculate", type=values.speculate, metavar="S",
                   help="transcribe after this much silence, before the utterance is surely "
                        "over (longer while pauses keep turning out not to be the end); "
                        f"0 = off (default: local {SPECULATE_S['local']}, "
                        f"api {SPECULATE_S['api']}; off with --fast)")
    p.add_argument("--interim", type=values.interim, metavar="S",
                   help="transcribe the utterance in progress every S seconds for provisional "
                        "captions (never typed); 0 = off (default: "
                        f"{INTERIM_S} with the local engine; off for the API engine, where a "
                        "server decodes dropped interims too and delays finals, and with --fast)")
    ctl = p.add_argument_group("control")
    ctl.add_argument("--mode", choices=MODES, default="continuous",
                     help="continuous: the voice activity detector decides; push-to-talk: "
                          "what is said between `dictation ctl press` and `release` (or "
                          "while --hotkey is held); toggle: `ctl toggle` or the hotkey starts "
                          "and stops (default: continuous)")
    add_socket_option(ctl)
    ctl.add_argument("--hotkey", metavar="KEY",
                     help="hold KEY (e.g. F9, rightctrl, KEY_PAUSE) to talk, or tap it to "
                          "toggle with --mode toggle; reads /dev/input, so it works on X11 and "
                          "Wayland (needs the input group)")
    ctl.add_argument("--cues", choices=("off", "sound", "notify"), default="off",
                     help="signal when dictation starts and stops: a short tone, or a "
                          "desktop notification (default: off)")
    out = p.add_argument_group("output")
    out.add_argument("--output", "-o", action="append", choices=OUTPUTS,
                     help="where text goes; repeat for several (default: stdout)")
    out.add_argument("--captions", action="store_true",
                     help="live captions on the terminal: lines scroll up, the utterance in "
                          "progress below them, a status line at the bottom (plain lines "
                          "when stdout is not a terminal)")
    out.add_argument("--clipboard-mode", choices=CLIPBOARD_MODES, default="replace",
                     help="replace: clipboard holds the newest utterance; append: the whole "
                          "session (default: replace)")
    out.add_argument("--typer", choices=TYPERS, default="auto",
                     help="what types for --output type and paste: wtype (Wayland), xdotool "
                          "(X11), ydotool (anywhere; needs ydotoold); auto: from the session")
    out.add_argument("--paste-keys", default=TyperConfig.paste_keys, metavar="KEYS",
                     help="what --output paste presses, e.g. ctrl+shift+v for terminals "
                          f"(default {TyperConfig.paste_keys})")
    out.add_argument("--type-delay", type=values.type_delay, default=TyperConfig.delay_ms,
                     metavar="MS",
                     help="pause between typed keys, for applications that drop fast keys "
                          f"(default {TyperConfig.delay_ms})")
    _add_keep_dir(out)
    files = p.add_argument_group("caption files and events")
    files.add_argument("--srt", type=Path, metavar="FILE",
                       help="also write the session's captions to FILE as SRT, utterance by "
                            "utterance (an existing file is replaced)")
    files.add_argument("--vtt", type=Path, metavar="FILE",
                       help="the same as WebVTT")
    files.add_argument("--events", metavar="FILE|-",
                       help="append a JSON line for each state change and transcript to FILE; "
                            "-: to stdout, which then carries nothing else (see the README)")
    spool = p.add_argument_group("spool")
    spool.add_argument("--spool-dir", type=Path, metavar="DIR",
                       help="where utterances wait until their text is delivered, so none is "
                            "lost to a crash or an outage (default: "
                            "$XDG_STATE_HOME/dictation/spool)")
    spool.add_argument("--spool-max", type=values.megabytes, default=RunConfig.spool_max_mb,
                       metavar="MB",
                       help="when the spool holds this much, capture stops until it drains "
                            f"(default {RunConfig.spool_max_mb:g})")
    _add_vad_options(p, SegmenterConfig())
    _add_guard_options(p)


def _add_transcribe_options(p: argparse.ArgumentParser) -> None:
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
    _add_guard_options(p)


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
    vad.add_argument("--max-utterance", type=values.max_utterance, default=d.max_utterance_s,
                     metavar="S",
                     help=f"longer speech is split at a pause (default {d.max_utterance_s})")


def _add_guard_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("what is never typed")
    d = GuardConfig()
    g.add_argument("--silence-phrase", action="append", type=values.silence_phrase,
                   metavar="TEXT",
                   help="text the model makes up on silence or noise (e.g. a credit line): "
                        "dropped unless the audio clearly held speech; repeat for several. "
                        "Adds to the built-in list (\"Thank you.\", \"Thanks for watching!\"…)")
    g.add_argument("--no-default-silence-phrases", action="store_true",
                   help="use only the --silence-phrase list, not the built-in one")
    g.add_argument("--speech-floor", type=values.speech_floor, default=d.min_snr_db,
                   metavar="DB",
                   help="utterances whose speech rises less than this above the background "
                        f"are not transcribed (default {d.min_snr_db}; 0 sends everything)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dictation", description="Dictate from a microphone: speech in, text out.")
    parser.add_argument("--version", action="version", version=f"dictation {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug output on stderr")
    parser.add_argument("-q", "--quiet", action="store_true", help="only errors on stderr")
    settings.add_config_option(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = sub.add_parser("run", help="dictate (the default command)")
    _add_run_options(run)
    captions = sub.add_parser("captions", help="live captions in the terminal: run --captions")
    _add_run_options(captions)
    demo = sub.add_parser("demo", help="dictate the bundled spoken sample at real time")
    _add_run_options(demo)
    tr = sub.add_parser("transcribe", help="transcribe audio files to text or captions")
    _add_transcribe_options(tr)
    sub.add_parser("devices", help="list input devices")
    cfg = sub.add_parser("config", help="print the effective configuration of run, where each "
                                        "value comes from (secrets redacted)")
    settings.not_a_key(cfg.add_argument("--path", action="store_true",
                                        help="print the config file's path instead"))
    svc = sub.add_parser(
        "install-service", help="install and start the systemd user service",
        usage="dictation install-service [--no-enable] [-- RUN_OPTION...]",
        description="Install dictation as a systemd user service that starts with the "
                    "graphical session, then enable and start it. Options after -- are "
                    "given to `dictation run` in the service; the API key goes in "
                    "~/.config/dictation/env (OPENAI_API_KEY=...), never on the command line.")
    settings.not_a_key(svc.add_argument(
        "--no-enable", action="store_true",
        help="only write the unit file; do not reload, enable or start it"))
    svc.add_argument("daemon_args", nargs="*", metavar="RUN_OPTION",
                     help="after --: options for `dictation run` in the service")
    # `dictation ctl` itself runs from launch.py; this entry is for --help and completeness.
    add_ctl_arguments(sub.add_parser("ctl", help="control the running daemon (bind to keys)",
                                     description=CTL_DESCRIPTION))
    stat = sub.add_parser("status", help="the daemon's state, or the backlog it left on disk",
                          description=STATUS_DESCRIPTION)
    add_status_arguments(stat)  # `dictation status` itself runs from launch.py too
    return parser


def normalize_argv(parser: argparse.ArgumentParser, argv: list[str]) -> list[str]:
    """Global options may come anywhere; they go first. A bare `dictation [options]` means
    `dictation run [options]`."""
    commands = next(a.choices for a in parser._actions
                    if isinstance(a, argparse._SubParsersAction))
    globals_ = {s: a for a in parser._actions for s in a.option_strings
                if not isinstance(a, argparse._HelpAction)}
    lead: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(argv):
        if argv[i] == "--":  # the rest is positional
            rest += argv[i:]
            break
        action = globals_.get(argv[i].split("=", 1)[0])
        n = 1 if action is None or action.nargs == 0 or "=" in argv[i] else 2
        (rest if action is None else lead).extend(argv[i:i + n])
        i += n
    if not rest or (rest[0] not in commands and rest[0] not in ("-h", "--help")):
        rest = ["run", *rest]
    return [*lead, *rest]
