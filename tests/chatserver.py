"""A scripted OpenAI-style chat-completions server on 127.0.0.1, port 0, for the rewrite stage.

No real local chat server fits the test suite: llama-cpp-python's server is only an sdist on
PyPI (it compiles llama.cpp, far beyond a test run on two cores) and the packaged servers
with binary wheels need hundreds of MB of dependencies and a model from a hub. So the
success, failure and timeout paths run against this server, which answers
``POST /v1/chat/completions`` from a script (the steps of faultserver: a Reply, HANG or
RESET, or a function of the request) and records each request's headers and JSON body.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from faultserver import Action, Reply

PATH = "/v1/chat/completions"


@dataclass
class ChatRequest:
    path: str
    headers: dict[str, str]  # lower-cased names
    body: Any  # the JSON, or None when it was not JSON

    @property
    def user_text(self) -> str:
        return self.body["messages"][-1]["content"]


Step = Reply | Action | Callable[[ChatRequest], "Reply | Action"]


def completion(content: Any, status: int = 200) -> Reply:
    """An answer in the shape of OpenAI's chat completion."""
    return Reply(status, {"Content-Type": "application/json"}, json.dumps({
        "id": "chatcmpl-test", "object": "chat.completion", "model": "test",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": content}}]}))


def error(status: int, message: str) -> Reply:
    return Reply(status, {"Content-Type": "application/json"},
                 json.dumps({"error": {"message": message, "type": "test"}}))


class ChatServer:
    def __init__(self, script: Sequence[Step] = (), default: Step | None = None) -> None:
        self.script = list(script)
        self.default: Step = default if default is not None else completion("")
        self.requests: list[ChatRequest] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> ChatServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closing.set()  # wakes hanging handlers
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)

    def _next(self, req: ChatRequest) -> Reply | Action:
        with self._lock:
            self.requests.append(req)
            step = self.script.pop(0) if self.script else self.default
        return step(req) if callable(step) else step

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
                req = ChatRequest(self.path, {k.lower(): v for k, v in self.headers.items()},
                                  body)
                step = server._next(req)
                if isinstance(step, Action):
                    self.close_connection = True
                    if step.name == "hang":
                        server._closing.wait(step.hang_s)
                    return  # reset and anything else: close without an answer
                if step.delay_s:
                    server._closing.wait(step.delay_s)
                data = step.body.encode() if isinstance(step.body, str) else step.body
                self.send_response(step.status)
                for k, v in step.headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

        return Handler
