"""`dictation transcribe FILE...`: recordings to text or captions through the live pipeline.

Each file is decoded, cut by the same VAD and segmenter and sent utterance by utterance to
the same engine, so no request ever carries more than one utterance (at most
``max_utterance_s``; an API's 25 MB limit is never met). Cue times come from where each
utterance really was in the file.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dictation.audio.wav import SAMPLE_RATE
from dictation.daemon import on_signals
from dictation.errors import ConfigError, DictationError
from dictation.output.subtitles import Cue, heard_cues, to_json, to_srt, to_text, to_vtt
from dictation.records import Transcribed
from dictation.segment.segmenter import SegmenterConfig
from dictation.storage import atomic_write
from dictation.text.guard import GuardConfig
from dictation.transcribe.choose import make_transcriber
from dictation.transcribe.engines import ApiConfig, LocalConfig

log = logging.getLogger("dictation")

EXTENSIONS = {"text": ".txt", "srt": ".srt", "vtt": ".vtt", "json": ".json"}  # by --format
# Nobody waits on a file: a longer hangover keeps sentences whole, which reads better in
# captions and gives the model more context per call.
FILE_SEGMENTER = SegmenterConfig(hangover_min_s=0.5, hangover_max_s=0.8)

@dataclass(frozen=True)
class FileJob:
    files: tuple[Path, ...]
    format: str  # a key of EXTENSIONS
    out: str | None  # None or "-": stdout; a directory (or ending in /): one file per input
    segmenter: SegmenterConfig
    vad_aggressiveness: int = 3
    prompt: str = ""
    keep_dir: Path | None = None
    progress: bool = True
    guard: GuardConfig = field(default_factory=GuardConfig)
    give_up_s: float | None = 60.0  # per utterance; the file still holds what is given up


def destinations(files: Sequence[Path], fmt: str, out: str | None) -> list[Path | None]:
    """Where each input's result goes (None = stdout), checked before any work starts. A
    directory (one that exists, or ``out`` ending in a separator, made here) takes one file
    per input, named after it."""
    if out is None or out == "-":
        if len(files) > 1 and fmt != "text":
            raise ConfigError(f"{len(files)} files as {fmt}: give -o DIR to write one "
                              f"{EXTENSIONS[fmt]} file per input")
        return [None] * len(files)
    path = Path(out)
    if out.endswith(os.sep) and not path.is_dir():
        try:
            path.mkdir(parents=True)
        except OSError as err:
            raise ConfigError(f"cannot make output directory {path}: "
                              f"{err.strerror or err}") from None
    if path.is_dir():
        targets = [path / f"{f.stem}{EXTENSIONS[fmt]}" for f in files]
        if len(set(targets)) < len(targets):
            raise ConfigError(f"several inputs share a name, so their outputs in {path} "
                              "would overwrite each other")
        return list(targets)
    if len(files) > 1:
        raise ConfigError(f"-o {out}: several inputs need an output directory (end it in /)")
    if not path.parent.is_dir():
        raise ConfigError(f"cannot write {path}: directory {path.parent} does not exist")
    return [path]


def render(items: Sequence[Transcribed], fmt: str, duration_s: float) -> str:
    if fmt == "text":
        return to_text(t.text for t in items)
    cues: list[Cue] = [c for t in items for c in heard_cues(t)]
    if fmt == "srt":
        return to_srt(cues)
    if fmt == "vtt":
        return to_vtt(cues)
    return to_json(cues, duration_s)


class CollectSink:
    """Keeps a file's pieces of text for rendering and moves the progress bar. It takes them
    final (deliver/finality.py): a fragment joined to its continuation arrives as one."""

    name = "file"
    final_only = True

    def __init__(self, bar: Progress) -> None:
        self.items: list[Transcribed] = []
        self._bar = bar

    async def deliver(self, item: Transcribed) -> None:
        self.items.append(item)
        self._bar.advance(item.end_s)

    async def aclose(self) -> None:
        pass


class Progress:
    """A progress bar on stderr (a terminal only), in seconds of audio transcribed."""

    def __init__(self, enabled: bool) -> None:
        self._progress: Any = None
        self._task: Any = None
        if enabled and sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                TaskProgressColumn,
                TextColumn,
                TimeRemainingColumn,
            )
            from rich.progress import Progress as RichProgress

            self._progress = RichProgress(
                TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
                TextColumn("{task.fields[audio]}"), TimeRemainingColumn(),
                console=Console(stderr=True), transient=True)

    def start(self, name: str, total_s: float) -> None:
        if self._progress is None:
            return
        if self._task is not None:
            self._progress.remove_task(self._task)
        self._total = total_s
        self._task = self._progress.add_task(name, total=total_s, audio=self._audio(0))
        self._progress.start()

    def advance(self, done_s: float) -> None:
        if self._progress is not None and self._task is not None:
            done_s = min(done_s, self._total)
            self._progress.update(self._task, completed=done_s, audio=self._audio(done_s))

    def _audio(self, done_s: float) -> str:
        return f"{_clock(done_s)} / {_clock(self._total)} of audio"

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()


def _clock(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class FileRunner:
    """Runs every file through the pipeline in turn, one engine for all of them."""

    def __init__(self, job: FileJob, targets: Sequence[Path | None], transcriber: Any) -> None:
        self.job = job
        self.targets = targets  # from destinations(), checked before the engine was built
        self.transcriber = transcriber
        self.stopping = False
        self._pipeline: Any = None

    def stop(self) -> None:
        """Finish the utterance in progress, write what the file gave so far, go no further."""
        self.stopping = True
        if self._pipeline:
            self._pipeline.stop()

    def abort(self) -> None:
        self.stopping = True
        if self._pipeline:
            self._pipeline.abort()

    async def run(self) -> int:
        """The exit code: 0, the worst of the files', or 130 when Ctrl-C cut the job short."""
        job = self.job
        bar = Progress(job.progress)
        worst = 0
        try:
            await self.transcriber.prepare()  # so the figures below time transcription only
        except DictationError as err:
            log.error("%s", err)
            return err.exit_code
        try:
            for path, target in zip(job.files, self.targets, strict=True):
                if self.stopping:
                    break
                worst = max(worst, await self._one(path, target, bar))
                if self._pipeline and (self._pipeline.failed or self._pipeline.aborted):
                    break  # the engine is unusable (key, model) or the user aborted
        finally:
            bar.stop()
        return max(worst, 130) if self.stopping else worst

    async def _one(self, path: Path, target: Path | None, bar: Progress) -> int:
        from dictation.audio.files import FileSource
        from dictation.audio.vad import Vad
        from dictation.deliver.config import DeliveryConfig
        from dictation.deliver.retry import RetryPolicy
        from dictation.deliver.spool import default_keep_dir
        from dictation.pipeline import Pipeline
        from dictation.segment.segmenter import Segmenter
        from dictation.text.commands import CommandConfig
        from dictation.text.config import TextConfig

        job = self.job
        self._pipeline = None
        try:
            source = FileSource(path, realtime=False)
        except DictationError as err:
            log.error("%s", err)
            return err.exit_code
        duration = len(source.pcm) / SAMPLE_RATE
        sink = CollectSink(bar)
        self._pipeline = pipeline = Pipeline(
            source, Vad(job.vad_aggressiveness), Segmenter(job.segmenter), self.transcriber,
            [sink], DeliveryConfig(job.keep_dir or default_keep_dir(), job.prompt, job.guard,
                                   RetryPolicy(give_up_s=job.give_up_s)),
            text=TextConfig(commands=CommandConfig(enabled=False)))  # a recording: no commands
        bar.start(path.name, duration)
        began = time.monotonic()
        code = await pipeline.run()
        took = time.monotonic() - began
        bar.stop()
        text = render(sink.items, job.format, duration)
        if target is None:
            sys.stdout.write(text)
            sys.stdout.flush()
        else:
            try:
                # Replaced whole, never half-written; not synced: the input still holds it.
                atomic_write(target, text.encode(), durable=False)
            except OSError as err:
                log.error("cannot write %s: %s", target, err.strerror or err)
                code = max(code, 1)
        log.info("%s: %s of audio in %.1f s (%.1f× real time), %d utterances%s",
                 path.name, _clock(duration), took, duration / max(took, 1e-6),
                 len(sink.items), f" → {target}" if target else "")
        return code


async def transcribe_files(job: FileJob, targets: Sequence[Path | None],
                           engine: ApiConfig | LocalConfig) -> int:
    """`dictation transcribe`: every file of ``job`` through one engine."""
    transcriber = make_transcriber(engine)
    try:
        runner = FileRunner(job, targets, transcriber)
        on_signals(runner.stop, runner.abort)
        log.info("transcribing %d file(s) with %s", len(job.files), transcriber.description)
        return await runner.run()
    finally:
        await transcriber.aclose()
