"""Option groups: those `run` and `transcribe` share (the engine, voice activity detection,
what is never typed, where unsent audio is kept), and run's text stage (spoken commands,
vocabulary, replacements, post-processing)."""

from __future__ import annotations

import argparse
from pathlib import Path

from dictation.cli import settings, values
from dictation.cli.textopts import vocabulary_word
from dictation.deliver.refine import RefineConfig
from dictation.segment.segmenter import SegmenterConfig
from dictation.text.guard import GuardConfig
from dictation.text.postprocess import PostConfig
from dictation.transcribe.engines import (
    AUTO_MODEL,
    BUNDLED_MODEL,
    DEFAULT_BASE_URL,
    FORMATS,
    LATENCY_BUDGET_S,
    ApiConfig,
)

# `transcribe` has the input file to fall back on and nobody at a microphone: a minute of
# failures of one utterance is long enough to wait before its audio is set aside.
FILE_GIVE_UP_S = 60.0


def add_engine_options(p: argparse.ArgumentParser) -> None:
    eng = p.add_argument_group("engine")
    eng.add_argument("--engine", choices=("api", "local"),
                     help="default: api when an API key or base URL is configured, else local")
    eng.add_argument("--language", type=values.language, metavar="CODE|auto",
                     help="the language spoken, an ISO-639-1 code such as en; auto (default): "
                          "each utterance's detected (a multilingual model; an English-only "
                          "one hears English)")
    eng.add_argument("--languages", type=values.languages, action="append",
                     metavar="CODES", help="with auto: the languages you speak, e.g. en,fr,es "
                                           "(repeatable): detection picks among these only")
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
    _add_local_engine_options(p)


def _add_local_engine_options(p: argparse.ArgumentParser) -> None:
    loc = p.add_argument_group("local engine")
    loc.add_argument("--local-model", default=BUNDLED_MODEL, metavar="NAME|DIR",
                     help=f"model directory, {BUNDLED_MODEL} (bundled, the default), a "
                          "faster-whisper model name (downloaded once; see `dictation models`) "
                          f"or {AUTO_MODEL}: the most accurate installed model measured to "
                          "decode within --latency-budget here")
    add_latency_budget(loc)
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


def add_refine_options(p: argparse.ArgumentParser) -> None:
    ref = p.add_argument_group("two passes")
    ref.add_argument("--refine-model", metavar="NAME|DIR|api|auto|off", default=AUTO_MODEL,
                     help="a second, better model hears each piece again, and the piece is "
                          "revised to its text (stdout prints it): a local model name or "
                          "directory, api (the configured server, after a local engine), "
                          "off, or auto (default): a model `dictation models bench` measured "
                          "to be more accurate than the fast one and fast enough, else off")
    ref.add_argument("--refine-wait", type=values.refine_wait, default=RefineConfig.wait_s,
                     metavar="S", help="how long after a piece was shown stdout waits for "
                                       f"its refinement (default {RefineConfig.wait_s:g})")


def add_latency_budget(group: argparse._ActionsContainer) -> None:
    group.add_argument("--latency-budget", type=values.latency_budget,
                       default=LATENCY_BUDGET_S, metavar="S",
                       help=f"with --local-model {AUTO_MODEL}: the longest decoding an "
                            "utterance may take on this machine, as `dictation models bench` "
                            f"measured it (default {LATENCY_BUDGET_S:g})")


def add_keep_dir(group: argparse._ArgumentGroup) -> None:
    group.add_argument("--keep-dir", type=Path, metavar="DIR",
                       help="where audio that could not be transcribed is kept "
                            "(default: the user state directory)")


def add_vad_options(p: argparse.ArgumentParser, d: SegmenterConfig) -> None:
    vad = p.add_argument_group("voice activity detection")
    vad.add_argument("--vad-aggressiveness", type=values.vad_aggressiveness, default=3,
                     metavar="0-3", help="webrtcvad mode: higher rejects more noise (default 3)")
    vad.add_argument("--pre-roll", type=values.pre_roll, default=d.pre_roll_s, metavar="S",
                     help=f"audio kept from before speech starts (default {d.pre_roll_s})")
    vad.add_argument("--hangover-max", type=values.hangover, default=d.hangover_max_s, metavar="S",
                     help="silence that ends a short utterance "
                          f"(default {d.hangover_max_s})")
    vad.add_argument("--hangover-min", type=values.hangover, default=d.hangover_min_s, metavar="S",
                     help="silence that ends a long run of speech "
                          f"(default {d.hangover_min_s})")
    vad.add_argument("--min-speech", type=values.min_speech, default=d.min_speech_s, metavar="S",
                     help=f"shorter utterances are dropped (default {d.min_speech_s})")
    vad.add_argument("--max-utterance", type=values.max_utterance, default=d.max_utterance_s,
                     metavar="S",
                     help=f"longer speech is split at a pause (default {d.max_utterance_s})")


def add_guard_options(p: argparse.ArgumentParser) -> None:
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


def add_text_options(p: argparse.ArgumentParser) -> None:
    """What a transcript becomes before the outputs see it (dictation.text.config)."""
    t = p.add_argument_group("text")
    t.add_argument("--commands", choices=("on", "off"), default="on",
                   help="spoken commands: \"comma\", \"period\", \"new line\", \"scratch "
                        "that\"… become punctuation, line breaks or take back the last "
                        "utterance; more in config.toml's [commands.<language>] (default: on)")
    t.add_argument("--vocabulary", action="append", type=vocabulary_word,
                   metavar="WORD",
                   help="a name or term recognition should prefer (e.g. Kubernetes); repeat "
                        "for several; a short list works best")
    t.add_argument("--vocabulary-file", type=Path, metavar="FILE",
                   help="vocabulary words from a file, one a line (# starts a comment line)")
    t.add_argument("--replacements", type=Path, metavar="FILE",
                   help="a TOML file of fixes, \"get hub\" = \"GitHub\", shaped as config.toml's "
                        "[replacements] table; its entries win for the same words")
    post = p.add_argument_group("post-processing")
    post.add_argument("--post-command", metavar="CMD",
                      help="run each utterance's text through CMD (its stdin) and use what it "
                           "prints; on failure the text is kept as it was")
    post.add_argument("--post-timeout", type=values.post_timeout,
                      default=PostConfig.command_timeout_s, metavar="S",
                      help="longest --post-command may take per utterance "
                           f"(default {PostConfig.command_timeout_s:g})")
    post.add_argument("--rewrite-model", metavar="MODEL",
                      help="fix each utterance's punctuation and casing with this chat model "
                           "(an OpenAI-compatible chat-completions endpoint), keeping its words")
    post.add_argument("--rewrite-url", metavar="URL",
                      help="the chat model's API base (default: --base-url with the API "
                           f"engine, else {PostConfig.rewrite_url}); the API key is the same")
    post.add_argument("--rewrite-timeout", type=values.post_timeout,
                      default=PostConfig.rewrite_timeout_s, metavar="S",
                      help="longest the chat model may take per utterance "
                           f"(default {PostConfig.rewrite_timeout_s:g})")
