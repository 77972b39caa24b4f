"""A model hub of the tests' own: one repository served over HTTP on 127.0.0.1 the way the
Hugging Face Hub serves it, for the real huggingface_hub client (reached through HF_ENDPOINT).

- ``GET /api/models/REPO[/revision/REV]``: the model's info, with the commit (``sha``);
- ``GET /api/models/REPO/tree/REV``: its files, with sizes, git ids and LFS sha256s;
- ``HEAD|GET /REPO/resolve/REV/FILE``: a regular file itself (``ETag``, ``X-Repo-Commit``);
  an LFS file as a 302 to a second server standing for the CDN (another origin, so the client
  reads ``X-Linked-Etag`` and ``X-Linked-Size`` off the redirect, as from the hub), which
  answers Range requests. No Xet headers: the client downloads over plain HTTP.

Faults the tests script, each once, on model.bin's bytes: the connection cut after N bytes,
the transfer stalled after N bytes until released, or the bytes changed (the size kept).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

LFS_FILES = ("model.bin", "tokenizer.json")
EXTRA_FILES = {"README.md": b"# A Whisper model\n", ".gitattributes": b"*.bin filter=lfs\n"}


@dataclass(frozen=True)
class RepoFile:
    path: str
    source: Path | None  # None: ``data`` is the content
    size: int
    oid: str  # git object id: of the bytes, or of the LFS pointer
    sha256: str | None = None
    data: bytes = b""
    pointer_size: int = 0


def describe(directory: Path, lfs: tuple[str, ...] = LFS_FILES) -> list[RepoFile]:
    """The repository's files: a model directory's, plus a README and .gitattributes (which
    a faster-whisper download leaves out). Hashing 145 MB takes a while: once a session."""
    files = []
    for path in sorted(directory.iterdir()):
        size = path.stat().st_size
        sha1 = hashlib.sha1(f"blob {size}\0".encode())
        sha256 = hashlib.sha256()
        with open(path, "rb") as f:
            while block := f.read(1 << 20):
                sha1.update(block)
                sha256.update(block)
        if path.name in lfs:
            pointer = (f"version https://git-lfs.github.com/spec/v1\noid sha256:"
                       f"{sha256.hexdigest()}\nsize {size}\n").encode()
            oid = hashlib.sha1(f"blob {len(pointer)}\0".encode() + pointer).hexdigest()
            files.append(RepoFile(path.name, path, size, oid, sha256.hexdigest(),
                                  pointer_size=len(pointer)))
        else:
            files.append(RepoFile(path.name, path, size, sha1.hexdigest()))
    for name, data in EXTRA_FILES.items():
        oid = hashlib.sha1(f"blob {len(data)}\0".encode() + data).hexdigest()
        files.append(RepoFile(name, None, len(data), oid, data=data))
    return files


@dataclass
class Faults:
    cut_at: int | None = None
    """model.bin: the connection is closed once this many of its bytes were sent."""
    cut_every: int | None = None
    """model.bin: every connection is closed there, one that starts there at once."""
    stall_at: int | None = None
    """model.bin: sending stops at this many bytes until ``release`` is set."""
    corrupt: bool = False
    """model.bin: one byte in the middle is changed."""
    stalled: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    range: str | None


class HubServer:
    def __init__(self, repo: str, files: list[RepoFile]) -> None:
        self.repo, self.files = repo, {f.path: f for f in files}
        self.commit = hashlib.sha1(repr(sorted(self.files)).encode()).hexdigest()
        self.faults = Faults()
        self.requests: list[Seen] = []
        self._lock = threading.Lock()
        self._hub = self._serve(_HubHandler)
        self._cdn = self._serve(_CdnHandler)
        self.url = f"http://127.0.0.1:{self._hub.server_address[1]}"
        self.cdn_url = f"http://127.0.0.1:{self._cdn.server_address[1]}"

    def _serve(self, handler: type[BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
        server = _Quiet(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        server.hub = self  # type: ignore[attr-defined]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server

    def seen(self, method: str, path: str, range_: str | None) -> None:
        with self._lock:
            self.requests.append(Seen(method, path, range_))

    def downloads(self, name: str = "model.bin") -> list[Seen]:
        """The GETs of a file's bytes (at the CDN for an LFS file)."""
        f = self.files[name]
        target = f"/{f.sha256}" if f.sha256 else f"/{self.repo}/resolve/{self.commit}/{name}"
        with self._lock:
            return [r for r in self.requests if r.method == "GET" and r.path == target]

    def close(self) -> None:
        self.faults.release.set()
        for server in (self._hub, self._cdn):
            server.shutdown()
            server.server_close()


class _Quiet(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that went away mid-file (Ctrl-C, a full disk) is what tests do


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Any

    @property
    def hub(self) -> HubServer:
        return self.server.hub

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.hub.seen("GET", urlsplit(self.path).path, self.headers.get("Range"))
        self.answer(body=True)

    def do_HEAD(self) -> None:
        self.hub.seen("HEAD", urlsplit(self.path).path, self.headers.get("Range"))
        self.answer(body=False)

    def answer(self, body: bool) -> None:
        raise NotImplementedError

    def reply(self, status: int, data: bytes, body: bool, **headers: str) -> None:
        self.send_response(status)
        for k, v in {"Content-Length": str(len(data)), **headers}.items():
            self.send_header(k.replace("_", "-"), v)
        self.end_headers()
        if body:
            self.wfile.write(data)

    def missing(self, code: str, body: bool) -> None:
        self.reply(404, json.dumps({"error": code}).encode(), body, X_Error_Code=code,
                   Content_Type="application/json")


class _HubHandler(_Handler):
    def answer(self, body: bool) -> None:
        hub, path = self.hub, unquote(urlsplit(self.path).path)
        api = re.fullmatch(rf"/api/models/{re.escape(hub.repo)}(?:/(revision|tree)/([^/]+))?",
                           path)
        resolve = re.fullmatch(rf"/{re.escape(hub.repo)}/resolve/([^/]+)/(.+)", path)
        if api:
            if api[2] not in (None, "main", hub.commit):
                return self.missing("RevisionNotFound", body)
            data = self._tree() if api[1] == "tree" else self._info()
            return self.reply(200, json.dumps(data).encode(), body,
                              Content_Type="application/json")
        if resolve and resolve[1] in ("main", hub.commit):
            f = hub.files.get(resolve[2])
            if f is None:
                return self.missing("EntryNotFound", body)
            common = {"X_Repo_Commit": hub.commit, "Accept_Ranges": "bytes"}
            if f.sha256:
                return self.reply(302, b"", body, Location=f"{hub.cdn_url}/{f.sha256}",
                                  ETag=f'"{f.oid}"', X_Linked_Etag=f'"{f.sha256}"',
                                  X_Linked_Size=str(f.size), **common)
            return self.reply(200, _content(f), body, ETag=f'"{f.oid}"', **common)
        if path.startswith(("/api/models/", f"/{hub.repo.split('/')[0]}/")):
            return self.missing("RepoNotFound", body)
        self.reply(404, b"", body)

    def _info(self) -> dict[str, Any]:
        hub = self.hub
        return {"id": hub.repo, "modelId": hub.repo, "sha": hub.commit, "private": False,
                "siblings": [{"rfilename": p} for p in hub.files]}

    def _tree(self) -> list[dict[str, Any]]:
        entries = []
        for f in self.hub.files.values():
            entry: dict[str, Any] = {"type": "file", "oid": f.oid, "size": f.size,
                                     "path": f.path}
            if f.sha256:
                entry["lfs"] = {"oid": f.sha256, "size": f.size,
                                "pointerSize": f.pointer_size}
            entries.append(entry)
        return entries


def _content(f: RepoFile) -> bytes:
    return f.source.read_bytes() if f.source is not None else f.data


class _CdnHandler(_Handler):
    def answer(self, body: bool) -> None:
        sha = urlsplit(self.path).path.lstrip("/")
        f = next((f for f in self.hub.files.values() if f.sha256 == sha), None)
        if f is None:
            return self.reply(404, b"", body)
        start = 0
        if (ranged := re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range") or "")):
            start = int(ranged[1])
        if start >= f.size and start:
            return self.reply(416, b"", body, Content_Range=f"bytes */{f.size}")
        self.send_response(206 if start else 200)
        self.send_header("Content-Length", str(f.size - start))
        self.send_header("ETag", f'"{f.sha256}"')
        if start:
            self.send_header("Content-Range", f"bytes {start}-{f.size - 1}/{f.size}")
        self.end_headers()
        if body:
            self._send(f, start)

    def _send(self, f: RepoFile, start: int) -> None:
        faults = self.hub.faults if f.path == "model.bin" else Faults()
        assert f.source is not None
        for pos, block in _blocks(f.source, start):
            if faults.corrupt and pos <= f.size // 2 < pos + len(block):
                i = f.size // 2 - pos
                block = block[:i] + bytes([block[i] ^ 0xFF]) + block[i + 1:]
            for limit, kind in ((faults.cut_at, "cut"), (faults.cut_every, "cut every"),
                                (faults.stall_at, "stall")):
                if limit is not None and pos <= limit < pos + len(block):
                    self.wfile.write(block[:limit - pos])
                    self._fault(faults, kind)
                    return
            self.wfile.write(block)

    def _fault(self, faults: Faults, kind: str) -> None:
        if kind == "cut":
            faults.cut_at = None
        elif kind == "stall":
            faults.stall_at = None
            faults.stalled.set()
            faults.release.wait()
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


def _blocks(path: Path, start: int, size: int = 1 << 18) -> Iterator[tuple[int, bytes]]:
    with open(path, "rb") as f:
        f.seek(start)
        pos = start
        while block := f.read(size):
            yield pos, block
            pos += len(block)
