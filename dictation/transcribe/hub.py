"""The model hub through huggingface_hub: its client set up to stay quiet (our progress bar,
our one-line errors), a repository's files as faster-whisper fetches them, and every failure
of a request as one line: no network and no such model are usage errors (exit code 2)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from dictation.errors import ConfigError, DictationError
from dictation.text.sanitize import sanitize

T = TypeVar("T")

# What faster_whisper.utils.download_model fetches (its allow_patterns).
ALLOW_PATTERNS = ("config.json", "preprocessor_config.json", "model.bin", "tokenizer.json",
                  "vocabulary.*")


class FetchError(DictationError):
    """A download that did not complete; what arrived is kept for the next pull."""


@dataclass(frozen=True)
class RemoteFile:
    path: str
    size: int
    blob_id: str
    """Its git object id: the sha1 of a regular file's bytes (with git's header)."""
    sha256: str | None = None
    """An LFS file's sha256, as the hub announced it."""


def client() -> Any:
    """huggingface_hub, told to keep its warnings and progress bars to itself."""
    import huggingface_hub
    from huggingface_hub.utils import disable_progress_bars
    from huggingface_hub.utils import logging as hub_logging

    hub_logging.set_verbosity_error()  # its warnings are several lines; ours are one
    disable_progress_bars()  # the bar is ours
    return huggingface_hub


def reach(call: Callable[[], T], repo: str) -> T:
    """A request to the hub; its failures as one line (no network, no such model: exit 2)."""
    import httpx2
    from huggingface_hub import constants
    from huggingface_hub.errors import (
        GatedRepoError,
        HfHubHTTPError,
        RemoteEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    try:
        return call()
    except GatedRepoError:
        raise ConfigError(f"{repo} needs an access grant on the hub (huggingface-cli "
                          "login)") from None
    except (RepositoryNotFoundError, RevisionNotFoundError, RemoteEntryNotFoundError):
        raise ConfigError(f"no model {repo} at {constants.ENDPOINT}") from None
    except HfHubHTTPError as err:
        status = err.response.status_code if err.response is not None else "an error"
        raise FetchError(f"the model hub answered {status} for {repo}; try again later"
                         ) from None
    except httpx2.TransportError as err:
        raise ConfigError(f"cannot reach the model hub at {constants.ENDPOINT} "
                          f"({reason(err)})") from None


def reason(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return sanitize(text[0])[:120] if text else type(err).__name__


def listing(repo: str) -> tuple[str, list[RemoteFile]]:
    """The commit the hub's main branch is at, and the files faster-whisper needs of it."""
    from fnmatch import fnmatch

    hub = client()
    from huggingface_hub.hf_api import RepoFile

    if hub.constants.is_offline_mode():
        raise ConfigError("HF_HUB_OFFLINE is set: models cannot be downloaded")
    api = hub.HfApi()
    commit = reach(lambda: api.repo_info(repo).sha, repo)
    tree = reach(lambda: list(api.list_repo_tree(repo, recursive=True, revision=commit)),
                  repo)
    files = [RemoteFile(f.path, f.size, f.blob_id, f.lfs.sha256 if f.lfs else None)
             for f in tree if isinstance(f, RepoFile)
             and any(fnmatch(f.path, p) for p in ALLOW_PATTERNS)]
    if not any(f.path == "model.bin" for f in files):
        raise ConfigError(f"{repo} is not a faster-whisper model (it has no model.bin)")
    return commit, files
