"""`dictation run`: the source, the engine, the sinks and the control socket opened around one
pipeline, and closed again however it ends.

Every resource is entered into one contextlib.AsyncExitStack as it is opened, so whatever
fails at start or ends the run closes exactly what was opened, in reverse order. The heavy
imports wait inside the functions: `dictation --help` and `config` need none of them.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from dictation.errors import ConfigError, DeviceError, NoInputDevice, SinkError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from dictation.config import RunConfig
    from dictation.control.feed import StatusFeed
    from dictation.control.feedback import Cues
    from dictation.control.hotkey import Hotkey
    from dictation.control.notify import Notifier
    from dictation.control.server import ControlServer
    from dictation.deliver.spool import Adopted, Spool
    from dictation.output.events import EventStream
    from dictation.output.screen import Captions
    from dictation.output.sinks import Sink
    from dictation.pipeline import Pipeline
    from dictation.records import Observer, Source
    from dictation.transcribe import Transcriber

log = logging.getLogger("dictation")


def sample_path() -> Path:
    """The bundled spoken sample (`dictation demo`, and `run --demo-fallback` without a
    microphone)."""
    return Path(str(resources.files("dictation") / "data" / "sample.wav"))


def _is_file_input(spec: str) -> bool:
    return os.sep in spec or spec.lower().endswith(".wav") or Path(spec).is_file()


def open_source(cfg: RunConfig, demo_fallback: bool) -> Source:
    """A file, or the microphone. With no microphone at all the microphone source waits for
    one (the bundled sample plays instead with ``demo_fallback``); a device name that matches
    none of the devices there are is an error."""
    from dictation.audio.devices import find_input_device
    from dictation.audio.files import FileSource
    from dictation.audio.mic import MicSource

    if cfg.input is not None and _is_file_input(cfg.input):
        return FileSource(Path(cfg.input), realtime=not cfg.fast)
    fallback = demo_fallback and cfg.input is None
    try:
        mic = MicSource(find_input_device(cfg.input), cfg.input)
        mic.open()
        return mic
    except NoInputDevice as err:
        if not fallback:
            return MicSource(None, cfg.input)
        log.warning("%s; playing the bundled spoken sample instead", err)
    except DeviceError as err:
        if not fallback:
            raise
        log.warning("%s; playing the bundled spoken sample instead", err)
    return FileSource(sample_path(), realtime=True)


@dataclass
class _Run:
    """What a run opened, for its session to use; the exit stack closes it all."""

    pipeline: Pipeline
    source: Source
    server: ControlServer | None  # None: a file run beside a daemon
    hotkey: Hotkey | None
    events: EventStream | None
    captions: Captions | None


async def run_pipeline(cfg: RunConfig, env: dict[str, str],
                       demo_fallback: bool = False) -> int:
    from dictation.control.notify import Notifier
    from dictation.env import forget_secrets

    notifier = Notifier.from_environ()  # first: no child process may inherit NOTIFY_SOCKET
    forget_secrets()  # nor the key: it is in cfg now
    async with contextlib.AsyncExitStack() as stack:
        stack.callback(notifier.close)
        run = await _open(stack, cfg, env, demo_fallback, notifier)
        return await _session(run, cfg, notifier)


async def _open(stack: contextlib.AsyncExitStack, cfg: RunConfig, env: dict[str, str],
                demo_fallback: bool, notifier: Notifier) -> _Run:
    """Open what the run needs, each closer on ``stack`` as soon as there is one to close."""
    from dictation.control.client import default_socket_path
    from dictation.control.feed import StatusFeed
    from dictation.control.server import ControlServer
    from dictation.deliver.spool import Spool, default_spool_dir
    from dictation.output.captionfiles import open_caption_files
    from dictation.output.choose import make_sink
    from dictation.output.events import EventStream
    from dictation.transcribe.choose import make_transcriber

    pipeline: Pipeline | None = None

    def handle(command: str) -> dict[str, object]:
        assert pipeline is not None, "the socket and the hotkey start once it is built"
        return pipeline.control(command)

    feed = StatusFeed()  # what `dictation status --follow` hears
    server = _claim(stack, ControlServer(cfg.socket or default_socket_path(env), handle, feed),
                    cfg)
    # Files first: a bad path is one line before a model loads. Caption files come first
    # among the sinks, so whoever sees an utterance's text elsewhere finds its cues there.
    sinks: list[Sink] = []
    for file in open_caption_files(cfg.srt, cfg.vtt):
        stack.push_async_callback(file.aclose)
        sinks.append(file)
    events = EventStream.open(cfg.events) if cfg.events else None
    if events:
        stack.callback(events.close)
    spool = Spool(cfg.spool_dir or default_spool_dir(), int(cfg.spool_max_mb * 1e6))
    stack.callback(spool.close)
    recovered = spool.open()  # what a dead run left, delivered first
    hotkey = _hotkey(stack, cfg, handle)
    cues = _cues(stack, cfg)
    for name in cfg.outputs:  # no display, no typing tool: one line, before the model loads
        try:
            sinks.append(sink := make_sink(name, cfg.clipboard_mode, cfg.typer))
        except SinkError as err:  # a setup error, as a bad option is (exit 2)
            raise ConfigError(str(err)) from None
        stack.push_async_callback(sink.aclose)  # the typing sinks free the keys they bound
    source = open_source(cfg, demo_fallback)  # a misnamed device: one line, no model
    transcriber = make_transcriber(cfg.engine)
    stack.push_async_callback(transcriber.aclose)
    refiner = make_transcriber(cfg.refine) if cfg.refine else None
    if refiner:
        stack.push_async_callback(refiner.aclose)
    observer, captions = _observer(cfg, notifier, cues, events, feed, source)
    pipeline = _pipeline(cfg, source, transcriber, sinks, observer, spool, recovered, refiner)
    return _Run(pipeline, source, server, hotkey, events, captions)


def _claim(stack: contextlib.AsyncExitStack, server: ControlServer, cfg: RunConfig
           ) -> ControlServer | None:
    """The control socket, claimed before a model loads or the microphone opens: a second
    daemon is refused. A file beside a daemon, with nothing to press, runs without one."""
    from dictation.control.server import DaemonRunning

    try:
        server.claim()
    except DaemonRunning:
        if cfg.mode != "continuous" or cfg.hotkey or not _is_file_input(cfg.input or ""):
            raise
        log.info("another dictation daemon holds the control socket %s: this file run has "
                 "none (`dictation ctl` drives that daemon)", server.path)
        return None
    stack.push_async_callback(server.close)
    return server


def _hotkey(stack: contextlib.AsyncExitStack, cfg: RunConfig,
            handle: Callable[[str], object]) -> Hotkey | None:
    if not cfg.hotkey:
        return None
    from dictation.control.hotkey import Hotkey

    hotkey = Hotkey(cfg.hotkey, cfg.mode, handle)
    stack.callback(hotkey.close)
    hotkey.open()
    return hotkey


def _cues(stack: contextlib.AsyncExitStack, cfg: RunConfig) -> Cues | None:
    if cfg.cues == "off":
        return None
    from dictation.control.feedback import Cues

    cues = Cues(cfg.cues)
    stack.callback(cues.close)
    return cues


def _observer(cfg: RunConfig, notifier: Notifier, cues: Cues | None,
              events: EventStream | None, feed: StatusFeed,
              source: Source) -> tuple[Observer, Captions | None]:
    """Who hears about the run: the service manager and cues, status bars, a silent
    microphone's watch, the captions screen, events."""
    from dictation.audio.silentinput import watch
    from dictation.control.feedback import DaemonObserver
    from dictation.records import Fanout

    observer: Observer = Fanout(DaemonObserver(notifier, cues), feed, watch(source))
    captions = None
    if cfg.captions:
        from dictation.output.screen import Captions

        captions = Captions()
        observer = Fanout(observer, captions)
    if events:
        observer = Fanout(observer, events)
    return observer, captions


def _pipeline(cfg: RunConfig, source: Source, transcriber: Transcriber, sinks: list[Sink],
              observer: Observer, spool: Spool, recovered: Sequence[Adopted],
              refiner: Transcriber | None) -> Pipeline:
    from dictation.audio.vad import Vad
    from dictation.deliver.config import DeliveryConfig
    from dictation.deliver.refine import RefineConfig
    from dictation.deliver.retry import RetryPolicy
    from dictation.deliver.spool import default_keep_dir
    from dictation.pipeline import Pipeline
    from dictation.segment.gate import Gate
    from dictation.segment.segmenter import Segmenter

    settings = DeliveryConfig(cfg.keep_dir or default_keep_dir(), cfg.prompt, cfg.guard,
                              RetryPolicy(give_up_s=cfg.give_up_s),
                              RefineConfig(wait_s=cfg.refine_wait_s))
    return Pipeline(source, Vad(cfg.vad_aggressiveness), Segmenter(cfg.segmenter),
                    transcriber, sinks, settings, speculate_s=cfg.speculate_s,
                    interim_s=cfg.interim_s, gate=Gate(cfg.mode), observer=observer,
                    spool=spool, recovered=recovered, text=cfg.text, refiner=refiner)


async def _session(run: _Run, cfg: RunConfig, notifier: Notifier) -> int:
    """Listen until the pipeline ends; the run's exit code."""
    import asyncio

    from dictation.control.status import status_line

    pipeline, events, captions = run.pipeline, run.events, run.captions
    if run.server:
        await run.server.start()
    keys = asyncio.create_task(run.hotkey.run()) if run.hotkey else None

    def stop() -> None:
        notifier.stopping()
        pipeline.stop(cfg.stop_grace_s)

    on_signals(stop, pipeline.abort, f" for at most {cfg.stop_grace_s:g} s")
    trigger = f"the {cfg.hotkey} key" if cfg.hotkey else "dictation ctl"
    waiting = "" if cfg.mode == "continuous" else f"; {cfg.mode}: waiting for {trigger}"
    if events:
        if cfg.events == "-":  # stdout was the output: closed, the run is over
            events.on_broken = pipeline.stop
        events.start(pipeline.status(), run.source.description)
    code: int | None = None
    try:
        with captions.running(log) if captions else contextlib.nullcontext():
            # While the screen is up, log lines show in it.
            if captions:
                captions.state(pipeline.status())
            refined = f", refined by {r.description}" if (r := pipeline.refiner) else ""
            log.info("listening on %s → %s%s; Ctrl-C to stop%s", run.source.description,
                     pipeline.transcriber.description, refined, waiting)
            notifier.ready(status_line(pipeline.status()))  # the microphone is open
            code = await pipeline.run()
            return code
    finally:
        if keys:
            keys.cancel()
        if events:
            events.stop(1 if code is None else code,
                        str(pipeline.failed) if pipeline.failed else None)
        if captions:
            print(captions.summary(), flush=True)


def on_signals(stop: Callable[[], None], abort: Callable[[], None], within: str = "") -> None:
    """First Ctrl-C or SIGTERM: ``stop`` (finish the utterance in progress); second: ``abort``
    (keep what is pending on disk and quit)."""
    import asyncio

    loop = asyncio.get_running_loop()
    signals = 0

    def on_signal() -> None:
        nonlocal signals
        signals += 1
        if signals == 1:
            log.info("stopping: finishing the utterance in progress%s (again to abort)", within)
            stop()
        else:
            abort()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal)
