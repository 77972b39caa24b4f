"""The test harness's own promises: what a test starts ends with it, and what the test run
shares (a server, a sound server) does not, whoever asked for it first."""

from __future__ import annotations

import os
from pathlib import Path

import procs
import pytest


def _commands(pids: list[int]) -> list[str]:
    out = []
    for pid in pids:
        try:
            out.append(Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode())
        except OSError:
            continue
    return out


@pytest.mark.real
def test_a_shared_server_first_asked_for_inside_a_test_is_not_the_tests_to_end(
        request: pytest.FixtureRequest) -> None:
    # Asked for here, inside the test: it starts while this test's token is set, yet it must
    # outlive the test (the next test of this worker uses it too).
    request.getfixturevalue("server_url")
    mine = _commands(procs.carrying(os.environ[procs.TOKEN]))
    assert not [c for c in mine if "faster_whisper_server" in c], mine
    shared = _commands(procs.carrying(os.environ[procs.SESSION_TOKEN]))
    assert [c for c in shared if "faster_whisper_server" in c], shared
