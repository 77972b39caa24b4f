"""A scripted OpenAI-style transcription server on 127.0.0.1 that fails on purpose.

``POST /v1/audio/transcriptions`` is answered from a script: one step per request, then a
default step. A step is a :class:`Reply` (status, headers, body, optional delay), an action
(``RESET``, ``HANG``, ``TRUNCATED``), or a function of the recorded request returning either,
so an answer can depend on the request (e.g. number the utterances). Every request is recorded
with its headers, form fields, file bytes and arrival time.

    with FaultServer([Reply(429, {"Retry-After": "1"}), json_text("hi")]) as srv:
        run(..., "--base-url", srv.url + "/v1")
        srv.requests[1].fields["prompt"]

Retries repeat requests, so request order cannot number utterances. :func:`buzz_wav` writes
utterances whose pitch encodes their number, and :func:`decoded` answers each request with
the number its audio carries, found by FFT.
"""

from __future__ import annotations

import email.parser
import io
import json
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np

PATH = "/v1/audio/transcriptions"


@dataclass(frozen=True)
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | str = b""
    delay_s: float = 0.0  # wait before answering, e.g. to let the client capture more audio
    chunk_delay_s: float = 0.0  # with Transfer-Encoding: chunked, a pause before each chunk
    chunk_size: int = 65536  # and the size of each


@dataclass(frozen=True)
class Action:
    """``reset``: close without answering (TCP RST); ``hang``: answer nothing for
    ``hang_s``; ``truncated``: promise more body bytes than are sent, then close."""

    name: str
    hang_s: float = 120.0


RESET = Action("reset")
HANG = Action("hang")
TRUNCATED = Action("truncated")


@dataclass
class Request:
    index: int  # 1-based arrival order
    time: float  # time.monotonic() when the request was fully read
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    fields: dict[str, str]
    files: dict[str, tuple[str, str, bytes]]  # name -> (filename, content type, bytes)


Step = Reply | Action | Callable[[Request], "Reply | Action"]


def json_text(text: str, status: int = 200, **extra: Any) -> Reply:
    """The ``json`` answer: ``{"text": ...}``."""
    return Reply(status, {"Content-Type": "application/json"},
                 json.dumps({"text": text, **extra}))


def numbered(template: str = "Utterance {n}.") -> Callable[[Request], Reply]:
    """Answer request N with ``template.format(n=N)``, to check order end to end."""
    return lambda req: json_text(template.format(n=req.index))


def parse_multipart(content_type: str, body: bytes
                    ) -> tuple[dict[str, str], dict[str, tuple[str, str, bytes]]]:
    """Split a multipart/form-data body byte-exactly (the file is binary: no re-encoding)."""
    ctype = email.parser.HeaderParser().parsestr(f"Content-Type: {content_type}\r\n\r\n")
    boundary = ctype.get_param("boundary")
    if ctype.get_content_type() != "multipart/form-data" or not isinstance(boundary, str):
        raise ValueError(f"not multipart/form-data: {content_type!r}")
    delim = b"--" + boundary.encode()
    fields: dict[str, str] = {}
    files: dict[str, tuple[str, str, bytes]] = {}
    chunks = body.split(b"\r\n" + delim)
    if not chunks[0].startswith(delim):
        raise ValueError("body does not start with the boundary")
    # chunks[0] is the opening delimiter line, then one chunk per part, the last one "--".
    parts = [chunks[0][len(delim):], *chunks[1:]]
    if not parts[-1].startswith(b"--"):
        raise ValueError("multipart body has no closing boundary")
    for part in parts[:-1]:
        head, sep, content = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        if not sep:
            raise ValueError("multipart part without a header block")
        headers = email.parser.HeaderParser().parsestr(head.decode("utf-8") + "\r\n\r\n")
        name = headers.get_param("name", header="content-disposition")
        filename = headers.get_param("filename", header="content-disposition")
        if not isinstance(name, str):
            raise ValueError("multipart part without a name")
        if isinstance(filename, str):
            files[name] = (filename, headers.get("content-type", ""), content)
        else:
            fields[name] = content.decode("utf-8")
    return fields, files


RATE = 16000
BUZZ_F0 = 150.0  # utterance n's fundamental is BUZZ_F0 + BUZZ_STEP * n
BUZZ_STEP = 2.0


def buzz(n: int, seconds: float) -> np.ndarray:
    """A voiced-sounding harmonic buzz (webrtcvad calls it speech) numbered by its pitch."""
    f0 = BUZZ_F0 + BUZZ_STEP * n
    t = np.arange(int(RATE * seconds)) / RATE
    wave_ = sum(np.sin(2 * np.pi * h * f0 * t) / h for h in range(1, 12) if h * f0 < 3800)
    ramp = np.minimum(1.0, np.minimum(t, seconds - t) / 0.02)  # no clicks
    return (wave_ / np.abs(wave_).max() * 0.5 * ramp * 32767).astype(np.int16)


def buzz_wav(path: Path, count: int, tone_s: float = 0.5, gap_s: float = 0.8,
             lead_s: float = 0.3, tail_s: float = 1.0) -> Path:
    """``count`` numbered buzzes (1…count) separated by silence, as a 16 kHz mono WAV."""
    import wave

    gap = np.zeros(int(RATE * gap_s), np.int16)
    parts = [np.zeros(int(RATE * lead_s), np.int16)]
    for n in range(1, count + 1):
        parts += [buzz(n, tone_s), gap]
    parts.append(np.zeros(int(RATE * tail_s), np.int16))
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(np.concatenate(parts).tobytes())
    return path


def utterance_number(req: Request) -> int:
    """The number a :func:`buzz` in the request's WAV carries (0: no buzz found)."""
    import wave

    with wave.open(io.BytesIO(req.files["file"][2])) as w:
        pcm = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float64)
    if len(pcm) == 0 or np.abs(pcm).max() < 1000:
        return 0
    size = 1 << 18  # zero-padded: 0.06 Hz bins, far finer than the 2 Hz step
    spectrum = np.abs(np.fft.rfft(pcm * np.hanning(len(pcm)), size))
    freqs = np.fft.rfftfreq(size, 1 / RATE)
    band = (freqs > BUZZ_F0 - BUZZ_STEP / 2) & (freqs < 700)
    f0 = freqs[band][spectrum[band].argmax()]
    return round((f0 - BUZZ_F0) / BUZZ_STEP)


def decoded(template: str = "Utterance {n}.") -> Callable[[Request], Reply]:
    """Answer each request with the utterance number its audio carries."""
    return lambda req: json_text(template.format(n=utterance_number(req)))


class FaultServer:
    """``tls``: a server-side SSL context; the server then speaks HTTPS only. ``sock``: a
    socket already bound (and refusing connections, see conftest's ``refused_port``) to
    serve on, e.g. to bring a server up where a client already retries."""

    route = PATH
    """The one path answered from the script; any other gets a 404 (and is recorded)."""

    def __init__(self, script: Sequence[Step] = (), default: Step | None = None,
                 tls: ssl.SSLContext | None = None, sock: socket.socket | None = None) -> None:
        self.script = list(script)
        self.default: Step = default if default is not None else json_text("")
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        if sock is None:
            self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        else:
            self._httpd = ThreadingHTTPServer(sock.getsockname(), self._handler_class(),
                                              bind_and_activate=False)
            self._httpd.socket.close()
            self._httpd.socket = sock  # closed with the server
            self._httpd.server_address = sock.getsockname()
            self._httpd.server_activate()
        self._httpd.daemon_threads = True
        self.scheme = "http"
        if tls is not None:  # a failed handshake is an OSError in accept(): dropped quietly
            self._httpd.socket = tls.wrap_socket(self._httpd.socket, server_side=True)
            self.scheme = "https"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"{self.scheme}://{host}:{port}"

    def __enter__(self) -> FaultServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closing.set()  # wakes hanging handlers
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)

    def _next(self, req: Request) -> Reply | Action:
        with self._lock:
            self.requests.append(req)
            req.index = len(self.requests)
            step = self.script.pop(0) if self.script else self.default
        return step(req) if callable(step) else step

    def _request(self, path: str, headers: dict[str, str], body: bytes) -> Request:
        """A request as the script's steps see it: here the transcription form."""
        try:
            fields, files = parse_multipart(headers.get("content-type", ""), body)
        except (ValueError, UnicodeDecodeError):
            fields, files = {}, {}  # recorded as such; the test's asserts catch it
        return Request(0, time.monotonic(), "POST", path, headers, fields, files)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real servers do

            def log_message(self, format: str, *args: object) -> None:
                pass  # keep pytest output clean

            def _read_body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    out = b""
                    while size := int(self.rfile.readline().split(b";")[0], 16):
                        out += self.rfile.read(size)
                        self.rfile.readline()
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return out
                return self.rfile.read(int(self.headers.get("Content-Length", 0)))

            def _send(self, status: int, headers: dict[str, str], body: bytes,
                      chunk_delay_s: float = 0.0, size: int = 65536) -> None:
                """With a ``Transfer-Encoding: chunked`` header the body goes in chunks (64 KiB,
                ``chunk_delay_s`` apart) and no length is announced, so only reading it shows
                its size."""
                chunked = any(k.lower() == "transfer-encoding" for k in headers)
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                if not chunked and not any(k.lower() == "content-length" for k in headers):
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    if not chunked:
                        self.wfile.write(body)
                        return
                    for i in range(0, len(body), size):
                        if chunk_delay_s:
                            self.wfile.flush()
                            server._closing.wait(chunk_delay_s)
                        part = body[i:i + size]
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                    self.wfile.write(b"0\r\n\r\n")
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client stopped reading: its right

            def do_POST(self) -> None:
                body = self._read_body()
                headers = {k.lower(): v for k, v in self.headers.items()}
                step = server._next(server._request(self.path, headers, body))
                if self.path != server.route:
                    self._send(404, {"Content-Type": "application/json"},
                               b'{"error": {"message": "no such route"}}')
                elif isinstance(step, Action):
                    self._act(step)
                else:
                    if step.delay_s:
                        server._closing.wait(step.delay_s)
                    body = step.body.encode() if isinstance(step.body, str) else step.body
                    self._send(step.status, step.headers, body, step.chunk_delay_s,
                               step.chunk_size)

            def _act(self, action: Action) -> None:
                self.close_connection = True
                if action.name == "reset":
                    # Linger 0 makes close() send RST instead of an orderly FIN.
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                               struct.pack("ii", 1, 0))
                    self.connection.close()
                elif action.name == "hang":
                    server._closing.wait(action.hang_s)
                elif action.name == "truncated":
                    body = b'{"text": "this answer is cut sh'
                    self._send(200, {"Content-Type": "application/json",
                                     "Content-Length": str(len(body) + 100)}, body)
                else:
                    raise ValueError(f"unknown action {action.name!r}")

        return Handler
