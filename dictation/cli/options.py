"""The command line's argparse tree: the commands and their options, with their defaults and
help. Turning the values into config objects is cli.py's job."""

from __future__ import annotations

import argparse
from pathlib import Path

from dictation import __version__
from dictation.batch import EXTENSIONS, FILE_SEGMENTER
from dictation.cli import settings, values
from dictation.cli.completions import add_completions_parser
from dictation.cli.ctl import (
    CTL_DESCRIPTION,
    STATUS_DESCRIPTION,
    add_ctl_arguments,
    add_socket_option,
    add_status_arguments,
)
from dictation.cli.models import add_models_parser
from dictation.cli.optgroups import (
    FILE_GIVE_UP_S,
    add_engine_options,
    add_guard_options,
    add_keep_dir,
    add_refine_options,
    add_text_options,
    add_vad_options,
)
from dictation.cli.parser import OneLineParser
from dictation.config import RunConfig
from dictation.output.keytools import TYPERS, TyperConfig
from dictation.output.sinks import CLIPBOARD_MODES, OUTPUTS
from dictation.segment.gate import MODES
from dictation.segment.segmenter import SegmenterConfig
from dictation.text.boundary import BoundaryConfig

__all__ = ["FILE_GIVE_UP_S", "GLOBAL_OPTIONS", "INTERIM_S", "SPECULATE_S", "build_parser",
           "normalize_argv"]

# Accepted before or after the command.
GLOBAL_OPTIONS = ("-v", "--verbose", "-q", "--quiet", "--log-text")

# Silence after which an utterance is transcribed speculatively. The local engine costs only
# CPU, so it starts early; each API speculation overtaken by speech is a billed request.
SPECULATE_S = {"local": 0.09, "api": 0.15}
# Audio between interim transcriptions (provisional captions): on for engines that cost only
# CPU (local, or an API server on this machine), off for a billed API. bench/interim.md.
INTERIM_S = 0.7


def _add_run_options(p: argparse.ArgumentParser) -> None:
    src = p.add_argument_group("input")
    src.add_argument("--input", "-i", metavar="DEVICE|FILE",
                     help="input device index or name substring, or an audio file "
                          "(default: the default microphone)")
    src.add_argument("--fast", action="store_true",
                     help="with a file input: process as fast as possible, not at real time")
    src.add_argument("--demo-fallback", action="store_true",
                     help="when no microphone can be opened, play the bundled sample instead")
    add_engine_options(p)
    add_refine_options(p)
    p.add_argument("--speculate", type=values.speculate, metavar="S",
                   help="transcribe after this much silence, before the utterance is surely "
                        "over (longer while pauses keep turning out not to be the end); "
                        f"0 = off (default: local {SPECULATE_S['local']}, "
                        f"api {SPECULATE_S['api']}; off with --fast)")
    p.add_argument("--hold", type=values.hold, default=BoundaryConfig().hold_s, metavar="S",
                   help="with --speculate: extra silence a pause after unfinished words "
                        "(\"the meeting is at\") waits for before the utterance ends; "
                        "0 = off, and a sentence is not heard again with what follows "
                        f"a thinking pause (default {BoundaryConfig().hold_s})")
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
    out.add_argument("--live", choices=("on", "off"), default=None,
                     help="with --output type: type the words of a sentence while it is "
                          "spoken, correcting them if its final text differs (default: on "
                          "where typing can correct itself: xdotool on X11)")
    out.add_argument("--type-delay", type=values.type_delay, default=TyperConfig.delay_ms,
                     metavar="MS",
                     help="pause between typed keys, for applications that drop fast keys "
                          f"(default {TyperConfig.delay_ms})")
    add_keep_dir(out)
    _add_file_and_spool_options(p)
    add_vad_options(p, SegmenterConfig())
    add_guard_options(p)
    add_text_options(p)


def _add_file_and_spool_options(p: argparse.ArgumentParser) -> None:
    files = p.add_argument_group("caption files and events")
    files.add_argument("--srt", type=Path, metavar="FILE",
                       help="also write the session's captions to FILE as SRT, utterance by "
                            "utterance (an existing file is replaced)")
    files.add_argument("--vtt", type=Path, metavar="FILE",
                       help="the same as WebVTT")
    files.add_argument("--events", metavar="FILE|-",
                       help="append a JSON line for each state change and transcript to FILE; "
                            "-: to stdout, which then carries nothing else (see docs/events.md)")
    spool = p.add_argument_group("spool")
    spool.add_argument("--spool-dir", type=Path, metavar="DIR",
                       help="where utterances wait until their text is delivered, so none is "
                            "lost to a crash or an outage (default: "
                            "$XDG_STATE_HOME/dictation/spool)")
    spool.add_argument("--spool-max", type=values.megabytes, default=RunConfig.spool_max_mb,
                       metavar="MB",
                       help="when the spool holds this much, capture stops until it drains "
                            f"(default {RunConfig.spool_max_mb:g})")
    spool.add_argument("--stop-grace", type=values.stop_grace, default=RunConfig.stop_grace_s,
                       metavar="S",
                       help="on the first Ctrl-C or SIGTERM, wait at most S seconds for the "
                            "text of what was said; what is not text by then stays in the "
                            f"spool for the next start (default {RunConfig.stop_grace_s:g})")


def _add_transcribe_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", type=Path, metavar="FILE",
                   help="audio or video files: WAV, or anything FFmpeg decodes")
    out = p.add_argument_group("output")
    out.add_argument("--format", "-f", choices=tuple(EXTENSIONS), default="text",
                     help="text: one line per utterance; srt, vtt: captions; json: text and "
                          "timed segments (default: text)")
    # -o is --output in every command: here the file written, in `run` where text goes.
    # --out (the config key) came first and stays.
    out.add_argument("-o", "--out", "--output", dest="out", type=values.out_path,
                     metavar="PATH",
                     help="output file, or a directory for one file per input (an existing "
                          "one, or a path ending in /, made if missing), each named after "
                          "its input; -: stdout (default: stdout)")
    add_keep_dir(out)
    add_engine_options(p)
    add_vad_options(p, FILE_SEGMENTER)
    add_guard_options(p)


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="dictation", description="Dictate from a microphone: speech in, text out.")
    parser.add_argument("--version", action="version", version=f"dictation {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug output on stderr")
    parser.add_argument("-q", "--quiet", action="store_true", help="only errors on stderr")
    parser.add_argument("--log-text", action="store_true",
                        help="let log lines (-v, errors) show transcript text; off, they say "
                             "how long it was instead")
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
    add_models_parser(sub)
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
    add_completions_parser(sub)
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
