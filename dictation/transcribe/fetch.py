"""A model fetched from the Hugging Face Hub into its standard cache: the files faster-whisper
would fetch, where `--local-model NAME` then finds them offline.

huggingface_hub lists the repository, announces each file (size, sha256, where to get it) and
lays out the cache. The bytes come through its HTTP session but into a partial file of our own:
huggingface_hub deletes its partial files when a download fails, so an interrupted pull of a
3 GB model would start again from nothing. Ours keeps ``blobs/<etag>.incomplete``, resumes it
with a Range request (in the same run after a dropped connection, or in the next pull after
Ctrl-C or a full disk), and checks every file against what the hub announced before it
becomes part of the cache.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import logging
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dictation.transcribe.hub import (
    ALLOW_PATTERNS,
    FetchError,
    RemoteFile,
    client,
    listing,
    reach,
    reason,
)
from dictation.transcribe.models import repo_for
from dictation.transcribe.progress import Meter, megabytes

log = logging.getLogger("dictation")

RETRIES = 4  # attempts in a row that bring nothing before a pull gives up…
BACKOFF_S = (0.5, 1, 2, 4)  # …waiting this long before each: a link back within seconds


class Cancelled(Exception):
    """The daemon stopped while it was downloading its model."""


class _EndedEarly(Exception):
    """A response that ended, without an error, before the file was whole."""


@dataclass
class _Target:
    file: RemoteFile
    blob: Path
    url: str


def pull(name: str, meter: Meter, cancel: threading.Event | None = None) -> tuple[str, int]:
    """Download ``name`` (a catalogue name or hub id) into the cache unless it is there; its
    snapshot directory, and the bytes this call received."""
    repo = repo_for(name)
    commit, files = listing(repo)
    hub = client()
    from huggingface_hub.file_download import repo_folder_name

    storage = Path(hub.constants.HF_HUB_CACHE) / repo_folder_name(repo_id=repo,
                                                                  repo_type="model")
    todo = []
    for f in files:
        url = hub.hf_hub_url(repo, f.path, revision=commit)
        meta = reach(lambda u=url: hub.get_hf_file_metadata(u), repo)
        blob = storage / "blobs" / meta.etag
        if not blob.exists():
            todo.append(_Target(f, blob, meta.location))
    waiting = sum(min(_size(_partial(t.blob)), t.file.size) for t in todo)
    total = sum(t.file.size for t in todo)
    if todo:
        meter.start(name, total, waiting)
        try:
            for t in todo:
                _fetch_file(t, name, meter, cancel)
        finally:
            meter.stop()
    path = reach(lambda: hub.snapshot_download(repo, allow_patterns=list(ALLOW_PATTERNS)),
                  repo)  # the snapshot's links and refs/main, laid out by huggingface_hub
    return path, total - waiting


def _partial(blob: Path) -> Path:
    return blob.with_name(blob.name + ".incomplete")


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


@contextlib.contextmanager
def _locked(blob: Path, name: str) -> Iterator[None]:
    """One download of a blob at a time, ours or huggingface_hub's (its lock file, flock)."""
    locks = blob.parent.parent.parent / ".locks" / blob.parent.parent.name
    locks.mkdir(parents=True, exist_ok=True)
    with open(locks / f"{blob.name}.lock", "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise FetchError(f"another download of {name} is running") from None
        yield


def _fetch_file(t: _Target, name: str, meter: Meter, cancel: threading.Event | None) -> None:
    part = _partial(t.blob)
    part.parent.mkdir(parents=True, exist_ok=True)
    with _locked(t.blob, name):
        if _size(part) > t.file.size:  # not a prefix of this file
            part.unlink()
        _download(t, part, name, meter, cancel)
        _verify(part, t.file, name)
        os.replace(part, t.blob)


def _download(t: _Target, part: Path, name: str, meter: Meter,
              cancel: threading.Event | None) -> None:
    """Bytes into ``part`` until it is whole; a dropped connection resumes where it stopped,
    RETRIES times in a row at most with nothing received."""
    import httpx2
    from huggingface_hub.errors import HfHubHTTPError

    failures = 0
    while (have := _size(part)) < t.file.size:
        try:
            _stream(t.url, part, have, meter, cancel)
            if _size(part) < t.file.size:  # a body that ended early without an error
                raise _EndedEarly("the connection closed early")
        except (httpx2.TransportError, HfHubHTTPError, _EndedEarly) as err:
            if isinstance(err, HfHubHTTPError) and not _transient(err):
                raise FetchError(f"downloading {name}: the hub answered "
                                 f"{err.response.status_code} for {t.file.path}") from None
            if cancel is not None and cancel.is_set():
                raise Cancelled from None
            failures = 0 if _size(part) > have else failures + 1
            if failures > RETRIES:
                raise FetchError(f"downloading {name} failed: {reason(err)}; "
                                 f"{megabytes(_size(part))} of {t.file.path} are kept: "
                                 f"`dictation models pull {name}` resumes") from None
            delay = BACKOFF_S[min(failures, len(BACKOFF_S)) - 1] if failures else 0
            meter.note(f"{t.file.path}: connection lost at {megabytes(_size(part))} "
                       f"({reason(err)}); resuming" + (f" in {delay} s" if delay else ""))
            if delay and (cancel or threading.Event()).wait(delay):
                raise Cancelled from None
        except OSError as err:
            where = part.parent.parent
            if err.errno == errno.ENOSPC:
                raise FetchError(f"disk full in {where}: {megabytes(_size(part))} of "
                                 f"{t.file.path} are kept; free some space, then `dictation "
                                 f"models pull {name}` resumes") from None
            raise FetchError(f"cannot write {part}: {err.strerror or err}") from None


def _transient(err: Any) -> bool:
    status = err.response.status_code if err.response is not None else 0
    return status in (408, 429) or status >= 500


def _stream(url: str, part: Path, have: int, meter: Meter,
            cancel: threading.Event | None) -> None:
    """One GET from ``have`` on, appended to ``part`` as it arrives (unbuffered: what was
    received is on disk when the process is interrupted)."""
    from huggingface_hub import constants, get_session
    from huggingface_hub.utils import build_hf_headers, hf_raise_for_status

    headers = build_hf_headers()
    headers["Accept-Encoding"] = "identity"  # the sizes are the file's
    if urlsplit(url).netloc != urlsplit(constants.ENDPOINT).netloc:
        headers.pop("authorization", None)  # a token is for the hub, not a CDN
    if have:
        headers["Range"] = f"bytes={have}-"
    with get_session().stream("GET", url, headers=headers, follow_redirects=True,
                              timeout=constants.HF_HUB_DOWNLOAD_TIMEOUT) as r:
        if r.status_code >= 400:
            r.read()
            hf_raise_for_status(r)
        if have and not r.headers.get("Content-Range", "").startswith(f"bytes {have}-"):
            meter.advance(-have)  # the server sends the whole file: start again
            have = 0
        with open(part, "ab" if have else "wb", buffering=0) as out:
            for chunk in r.iter_bytes():
                if cancel is not None and cancel.is_set():
                    raise Cancelled
                _write(out, chunk)
                meter.advance(len(chunk))


def _write(out: Any, chunk: bytes) -> None:
    """All of ``chunk``: a raw write may take part of it (a disk filling up)."""
    view = memoryview(chunk)
    while view:
        n = out.write(view)
        if not n:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        view = view[n:]


def _verify(part: Path, f: RemoteFile, name: str) -> None:
    """The file is what the hub announced: its size, and its sha256 (LFS) or git id."""
    if (size := _size(part)) != f.size:
        part.unlink()
        raise FetchError(f"{f.path} of {name}: {size} bytes arrived where the hub announced "
                         f"{f.size}; removed them: `dictation models pull {name}` fetches it "
                         "again")
    if f.sha256 is not None:
        digest, want, kind = hashlib.sha256(), f.sha256, "sha256"
    else:
        digest, want, kind = hashlib.sha1(), f.blob_id, "git id"
        digest.update(f"blob {f.size}\0".encode())
    with open(part, "rb") as data:
        while block := data.read(1 << 20):
            digest.update(block)
    if digest.hexdigest() != want:
        part.unlink()
        raise FetchError(f"{f.path} of {name} is corrupt (its {kind} is not the one the hub "
                         f"announced); removed it: `dictation models pull {name}` fetches it "
                         "again")
