"""`dictation models`: the local engine's models. `list` (the default) shows every model it can
use, installed or not, with what this machine was measured to afford; `pull` downloads one
(resumable, verified), `rm` removes a download, `bench` measures the installed ones.

faster-whisper, huggingface_hub and rich load here, on the way into a command, never with the
parser: `dictation --help` and the daemon's start do not pay for them.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

from dictation.cli import settings, values
from dictation.cli.optgroups import add_latency_budget
from dictation.errors import ConfigError
from dictation.transcribe.engines import AUTO_MODEL, BUNDLED_MODEL

log = logging.getLogger("dictation")

DESCRIPTION = (
    "The local engine's models. list: every model it can use, installed or not, its "
    "languages, size and measured speed here (the default); pull NAME: download one into the "
    "Hugging Face cache with a progress bar, resumable after Ctrl-C or a lost connection, "
    "verified; rm NAME: remove a download; bench [NAME...]: measure how long this machine "
    f"takes to decode an utterance with each installed model, which --local-model "
    f"{AUTO_MODEL} then chooses from.")
BENCH_RUNS = 3


def add_models_parser(sub: Any) -> None:
    p = sub.add_parser("models", help="the local engine's models: list, download, remove, "
                                      "measure", description=DESCRIPTION)
    actions = p.add_subparsers(dest="models_action", metavar="ACTION")
    ls = actions.add_parser("list", help="every model the local engine can use (the default)")
    ls.add_argument("--json", action="store_true", help="print the list as JSON")
    _add_language(ls, "the language --local-model auto is shown choosing for")
    add_latency_budget(ls)
    pull = actions.add_parser("pull", help="download a model into the Hugging Face cache")
    pull.add_argument("name", metavar="NAME", help="a name `models list` shows, or a hub id")
    rm = actions.add_parser("rm", help="remove a downloaded model from the cache")
    rm.add_argument("name", metavar="NAME")
    bench = actions.add_parser("bench", help="measure decoding speed with installed models")
    bench.add_argument("names", nargs="*", metavar="NAME",
                       help="models to measure (default: every installed one)")
    settings.not_a_key(bench.add_argument(
        "--runs", type=values.bench_runs, default=BENCH_RUNS, metavar="N",
        help=f"timed runs after a warm-up; the median counts (default {BENCH_RUNS})"))
    _add_language(bench, "decode as for this language, as dictation would")


def _add_language(p: argparse.ArgumentParser, meaning: str) -> None:
    p.add_argument("--language", type=values.language, metavar="CODE",
                   help=f"{meaning} (default: unset)")


def models_command(args: argparse.Namespace) -> int:
    commands: dict[str, Callable[[argparse.Namespace], int]] = {
        "list": list_models, "pull": pull_model, "rm": remove_model, "bench": bench_models}
    return commands[args.models_action or "list"](args)


def list_models(args: argparse.Namespace) -> int:
    from dictation.cli.modeltable import as_json, table
    from dictation.transcribe.auto import choose
    from dictation.transcribe.installed import all_models
    from dictation.transcribe.speed import load

    models, measured = all_models(), load()
    language = None if args.language == "auto" else args.language
    choice = choose(measured, language, args.latency_budget)
    if args.json:
        print(json.dumps(as_json(models, measured, choice, args), indent=1))
    else:
        sys.stdout.write(table(models, measured, choice, args.latency_budget))
    return 0


def pull_model(args: argparse.Namespace) -> int:
    from dictation.transcribe.fetch import Cancelled, pull
    from dictation.transcribe.progress import megabytes, meter

    name = args.name
    if name == BUNDLED_MODEL:
        log.info("%s is bundled with dictation: there is nothing to download", name)
        return 0
    # Ctrl-C is also said to the download: a KeyboardInterrupt raised inside the HTTP read
    # can come out of its cleanup as a dropped connection, which the download would resume.
    cancel = threading.Event()

    def interrupted(signum: int, frame: object) -> None:
        cancel.set()
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, interrupted)
    try:
        path, got = pull(name, meter(sys.stderr.isatty()), cancel)
    except (KeyboardInterrupt, Cancelled):
        log.info("download of %s interrupted; `dictation models pull %s` resumes it", name,
                 name)
        return 130
    finally:
        signal.signal(signal.SIGINT, previous)
    log.info("%s: %s", name, f"downloaded {megabytes(got)}" if got else "already downloaded")
    print(path)
    return 0


def remove_model(args: argparse.Namespace) -> int:
    from dictation.transcribe.installed import remove
    from dictation.transcribe.progress import megabytes

    gone = remove(args.name)
    what = "download" if gone.installed else "interrupted download"
    size = gone.size if gone.installed else gone.partial
    log.info("removed %s's %s (%s)", gone.name, what, megabytes(size or 0))
    return 0


def bench_models(args: argparse.Namespace) -> int:
    from dictation.transcribe.installed import all_models, find
    from dictation.transcribe.measure import WARMUP, measure
    from dictation.transcribe.speed import save

    every = all_models()
    models = ([find(n, every) for n in args.names] if args.names
              else [m for m in every if m.installed])
    if not models:
        raise ConfigError("no model is installed: dictation models pull NAME")
    progress = _BenchProgress(sys.stderr.isatty(), len(models))
    level = log.level
    try:
        for m in models:
            assert m.path is not None
            with progress.model(m.name, steps=1 + 2 * (WARMUP + args.runs)) as step:
                # The engine's own lines (model ready on…) only with -v: ours say it all.
                log.setLevel(level if level <= logging.DEBUG else logging.WARNING)
                r = measure(m.name, m.path, english_only=m.english_only, family=m.family,
                            runs=args.runs,
                            language=None if args.language == "auto" else args.language,
                            step=step)
                log.setLevel(level)
            stored = save(r)
            print(f"{m.name}: {r.utterance_s:.2f} s to decode the {r.audio_s:g} s sample, "
                  f"{r.piece_s:.2f} s for 1 s of it (median of {r.runs})", flush=True)
    finally:
        log.setLevel(level)
        progress.stop()
    log.info("measurements stored in %s", stored)
    return 0


class _BenchProgress:
    """Which model is being measured and how far: a rich bar on a terminal, else a line per
    model."""

    def __init__(self, terminal: bool, count: int) -> None:
        self._count, self._n = count, 0
        self._bar: Any = None
        if terminal:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self._bar = Progress(TextColumn("{task.description}"), BarColumn(),
                                 MofNCompleteColumn(), TextColumn("{task.fields[stage]}"),
                                 console=Console(stderr=True), transient=True)
            self._bar.start()

    def model(self, name: str, steps: int) -> Any:
        import contextlib

        self._n += 1
        label = f"measuring {name} ({self._n} of {self._count})"
        if self._bar is None:
            log.info("%s", label)
            return contextlib.nullcontext(lambda _stage: None)
        task = self._bar.add_task(label, total=steps, stage="")

        def step(stage: str) -> None:
            self._bar.update(task, advance=1, stage=stage)

        @contextlib.contextmanager
        def running() -> Any:
            yield step
            self._bar.update(task, completed=steps, stage="done")

        return running()

    def stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()
