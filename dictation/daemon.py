"""`dictation run`: the source, the engine, the sinks and the control socket opened around one
pipeline, and closed again however it ends."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
from collections.abc import Callable
from pathlib import Path

from dictation.config import RunConfig
from dictation.errors import DeviceError, NoInputDevice

log = logging.getLogger("dictation")


def _is_file_input(spec: str) -> bool:
    return os.sep in spec or spec.lower().endswith(".wav") or Path(spec).is_file()


def open_source(cfg: RunConfig, demo_fallback: bool):  # -> Source
    """A file, or the microphone. With no microphone at all the microphone source waits for
    one (the bundled sample plays instead with ``demo_fallback``); a device name that matches
    none of the devices there are is an error."""
    from dictation.audio.devices import find_input_device
    from dictation.audio.files import FileSource, sample_path
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


async def run_pipeline(cfg: RunConfig, env: dict[str, str],
                       demo_fallback: bool = False) -> int:
    import asyncio

    from dictation.audio.vad import Vad
    from dictation.control.client import default_socket_path
    from dictation.control.feedback import Cues, DaemonObserver
    from dictation.control.notify import Notifier
    from dictation.control.server import ControlServer
    from dictation.control.status import status_line
    from dictation.deliver.retry import RetryPolicy
    from dictation.deliver.spool import Spool, default_keep_dir, default_spool_dir
    from dictation.env import forget_secrets
    from dictation.output.captionfiles import open_caption_files
    from dictation.output.events import EventStream
    from dictation.output.sinks import Sink, make_sink
    from dictation.pipeline import Pipeline
    from dictation.records import Fanout, Observer
    from dictation.segment.gate import Gate
    from dictation.segment.segmenter import Segmenter
    from dictation.transcribe.engines import make_transcriber

    notifier = Notifier.from_environ()  # first: no child process may inherit NOTIFY_SOCKET
    forget_secrets()  # nor the key: it is in cfg now
    # Refuse a second daemon before loading a model or opening the microphone.
    server = ControlServer(cfg.socket or default_socket_path(env), lambda c: handle(c))
    server.claim()
    hotkey = cues = transcriber = spool = events = captions = None
    sinks: list[Sink] = []
    code: int | None = None
    try:
        # Files first: a bad path is one line before a model loads. Caption files come first
        # among the sinks, so whoever sees an utterance's text elsewhere finds its cues there.
        sinks += open_caption_files(cfg.srt, cfg.vtt)
        events = EventStream.open(cfg.events) if cfg.events else None
        spool = Spool(cfg.spool_dir or default_spool_dir(), int(cfg.spool_max_mb * 1e6))
        recovered = spool.open()  # what a dead run left, delivered first
        if cfg.hotkey:
            from dictation.control.hotkey import Hotkey

            hotkey = Hotkey(cfg.hotkey, cfg.mode, lambda c: handle(c))
            hotkey.open()
        cues = Cues(cfg.cues) if cfg.cues != "off" else None
        source = open_source(cfg, demo_fallback)  # a misnamed device: one line, no model
        transcriber = make_transcriber(cfg.engine)
        for name in cfg.outputs:
            sinks.append(make_sink(name, cfg.clipboard_mode, cfg.typer))
        observer: Observer = DaemonObserver(notifier, cues)
        if cfg.captions:
            from dictation.output.screen import Captions

            captions = Captions()
            observer = Fanout(observer, captions)
        if events:
            observer = Fanout(observer, events)
        pipeline = Pipeline(source, Vad(cfg.vad_aggressiveness), Segmenter(cfg.segmenter),
                            transcriber, sinks, prompt=cfg.prompt,
                            keep_dir=cfg.keep_dir or default_keep_dir(),
                            speculate_s=cfg.speculate_s, gate=Gate(cfg.mode),
                            observer=observer, guard=cfg.guard,
                            spool=spool, recovered=recovered,
                            retry=RetryPolicy(give_up_s=cfg.give_up_s),
                            interim_s=cfg.interim_s)

        def handle(command: str) -> dict[str, object]:
            return pipeline.control(command)

        await server.start()
        keys = asyncio.create_task(hotkey.run()) if hotkey else None

        def stop() -> None:
            notifier.stopping()
            pipeline.stop(cfg.stop_grace_s)

        on_signals(stop, pipeline.abort, f" for at most {cfg.stop_grace_s:g} s")
        trigger = f"the {cfg.hotkey} key" if cfg.hotkey else "dictation ctl"
        waiting = "" if cfg.mode == "continuous" else f"; {cfg.mode}: waiting for {trigger}"
        if events:
            if cfg.events == "-":  # stdout was the output: closed, the run is over
                events.on_broken = pipeline.stop
            events.start(pipeline.status(), source.description)
        screen = captions.running(log) if captions else contextlib.nullcontext()
        try:
            with screen:  # while it is up, log lines show in it
                if captions:
                    captions.state(pipeline.status())
                log.info("listening on %s → %s; Ctrl-C to stop%s", source.description,
                         transcriber.description, waiting)
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
    finally:
        if events:
            events.close()
        notifier.close()
        await server.close()
        if hotkey:
            hotkey.close()
        if cues:
            cues.close()
        for sink in sinks:  # the typing sinks free the keys they bound
            if close := getattr(sink, "aclose", None):
                await close()
        if transcriber:
            await transcriber.aclose()
        if spool:
            spool.close()


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
