"""A scripted OpenAI-style chat-completions server on 127.0.0.1, port 0, for the rewrite stage.

No real local chat server fits the test suite: llama-cpp-python's server is only an sdist on
PyPI (it compiles llama.cpp, far beyond a test run on two cores) and the packaged servers
with binary wheels need hundreds of MB of dependencies and a model from a hub. So the
success, failure and timeout paths run against this server: the fault server's scaffolding
and steps (a Reply, HANG or RESET, or a function of the request), answering
``POST /v1/chat/completions`` and recording each request's headers and JSON body.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from faultserver import Action, FaultServer, Reply

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


class ChatServer(FaultServer):
    """The fault server's scaffolding and actions, answering chat completions."""

    route = PATH

    def __init__(self, script: Sequence[Step] = (), default: Step | None = None) -> None:
        super().__init__(script, default if default is not None else completion(""))

    @property
    def url(self) -> str:
        return super().url + "/v1"

    def _request(self, path: str, headers: dict[str, str], body: bytes) -> ChatRequest:
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        return ChatRequest(path, headers, parsed)
