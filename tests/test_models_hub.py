"""`dictation models pull`, `list` and `rm` against a model hub of the tests' own
(hubserver.py): the real huggingface_hub client, the real multilingual Whisper base, served
under the repository faster-whisper fetches `base` from; then the local engine transcribing
real speech with what was downloaded, offline. Faults: a connection cut mid-file, a pull
stopped with Ctrl-C, no network, corrupt bytes, a full disk."""

from __future__ import annotations

import filecmp
import json
import os
import pty
import re
import shlex
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import procs
import pytest
from conftest import SAMPLE, dictation, dictation_cmd, one_clear_line
from hubserver import HubServer, RepoFile, describe

pytestmark = pytest.mark.real  # real parts: processes, servers, the model

REPO = "Systran/faster-whisper-base"  # what faster-whisper fetches for `base`
MB = 1_000_000
MODEL_FILES = ["config.json", "model.bin", "tokenizer.json", "vocabulary.txt"]


@pytest.fixture(scope="session")
def hub_files(base_model_dir: Path) -> list[RepoFile]:
    return describe(base_model_dir)


@pytest.fixture
def hub(hub_files: list[RepoFile]) -> Iterator[HubServer]:
    server = HubServer(REPO, hub_files)
    try:
        yield server
    finally:
        server.close()


def hub_env(tmp_path: Path, endpoint: str) -> dict[str, str]:
    """A cache and a state directory of the test's own; the hub at ``endpoint``; online."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("HF_", "HUGGINGFACE_")) and not k.startswith("OPENAI_")}
    return {**env, "HF_ENDPOINT": endpoint, "HF_HOME": str(tmp_path / "hf"),
            "XDG_STATE_HOME": str(tmp_path / "state")}


def listed(env: dict[str, str]) -> dict[str, dict[str, Any]]:
    done = dictation(env, "models", "list", "--json")
    assert done.returncode == 0, done.stderr
    return {m["name"]: m for m in json.loads(done.stdout)["models"]}


def partial(tmp_path: Path, hub: HubServer) -> Path:
    sha = hub.files["model.bin"].sha256
    return tmp_path / "hf" / "hub" / "models--Systran--faster-whisper-base" / "blobs" / \
        f"{sha}.incomplete"


def size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def check_snapshot(stdout: str, base_model_dir: Path) -> Path:
    """The snapshot `pull` printed holds exactly faster-whisper's files, byte for byte."""
    snapshot = Path(stdout.strip())
    assert sorted(p.name for p in snapshot.iterdir()) == MODEL_FILES
    for name in MODEL_FILES:
        assert filecmp.cmp(snapshot / name, base_model_dir / name, shallow=False), name
    return snapshot


def test_pull_then_the_local_engine_uses_it_offline(hub: HubServer, tmp_path: Path,
                                                    base_model_dir: Path) -> None:
    env = hub_env(tmp_path, hub.url)
    before = listed(env)
    assert before["tiny.en"]["installed"] and before["tiny.en"]["source"] == "bundled"
    assert before["base"]["installed"] is False and before["base"]["size_approximate"]
    assert before["base"]["languages"] == "multilingual" and before["base"]["repo"] == REPO

    pulled = dictation(env, "models", "pull", "base")
    assert pulled.returncode == 0, pulled.stderr
    snapshot = check_snapshot(pulled.stdout, base_model_dir)
    progress = [ln for ln in pulled.stderr.splitlines() if "%" in ln]
    assert progress and re.search(r"of 147\.9 MB \(\d+ %\), [\d.]+ MB/s, \d+ s left",
                                  progress[-1]), pulled.stderr
    assert [d.range for d in hub.downloads()] == [None]  # once, whole
    assert not any("README" in r.path for r in hub.requests)  # only what faster-whisper uses

    after = listed(env)["base"]
    assert after["installed"] and after["source"] == "cache"
    assert after["path"] == str(snapshot) and not after["size_approximate"]
    assert after["size_bytes"] == sum((base_model_dir / n).stat().st_size for n in MODEL_FILES)

    hub.close()  # from now on there is no hub: the cache alone
    run = dictation({**env, "HF_HUB_OFFLINE": "1"}, "run", "--local-model", "base",
                    "--input", str(SAMPLE), "--fast")
    assert run.returncode == 0, run.stderr
    assert "local engine, model base" in run.stderr
    lines = run.stdout.lower().splitlines()
    assert len(lines) == 2 and "cursor" in lines[0] and "sentence" in lines[1], run.stdout


def test_a_dropped_connection_is_resumed_in_the_same_run(hub: HubServer, tmp_path: Path,
                                                         base_model_dir: Path) -> None:
    hub.faults.cut_at = 40 * MB
    pulled = dictation(hub_env(tmp_path, hub.url), "models", "pull", "base")
    assert pulled.returncode == 0, pulled.stderr
    notes = [ln for ln in pulled.stderr.splitlines() if "connection lost" in ln]
    assert len(notes) == 1 and "at 40.0 MB" in notes[0] and "resuming" in notes[0]
    assert [d.range for d in hub.downloads()] == [None, f"bytes={40 * MB}-"]
    check_snapshot(pulled.stdout, base_model_dir)


def test_a_connection_that_keeps_dropping_gives_up_with_one_line(hub: HubServer,
                                                                 tmp_path: Path) -> None:
    from dictation.transcribe.fetch import RETRIES

    hub.faults.cut_every = 20 * MB  # and nothing more comes, however often it is asked
    env = hub_env(tmp_path, hub.url)
    done = dictation(env, "models", "pull", "base")
    assert done.returncode == 1 and done.stdout == ""
    errors = [ln for ln in done.stderr.splitlines() if "error" in ln]
    assert len(errors) == 1 and re.fullmatch(
        r"dictation: error: downloading base failed: .+; 20\.0 MB of model\.bin are kept: "
        r"`dictation models pull base` resumes", errors[0]), done.stderr
    # Resumed at once after progress, then RETRIES times with a pause, then given up.
    notes = [ln for ln in done.stderr.splitlines() if "connection lost at 20.0 MB" in ln]
    assert len(notes) == 1 + RETRIES and notes[-1].endswith(" s")
    ranges = [d.range for d in hub.downloads()]
    assert ranges == [None, *[f"bytes={20 * MB}-"] * (1 + RETRIES)]
    assert size(partial(tmp_path, hub)) == 20 * MB


def test_a_pull_stopped_with_ctrl_c_resumes_where_it_stopped(hub: HubServer, tmp_path: Path,
                                                             base_model_dir: Path) -> None:
    env = hub_env(tmp_path, hub.url)
    hub.faults.stall_at = 30 * MB
    proc = procs.spawn(dictation_cmd("models", "pull", "base"), env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    err = procs.Stream(proc.stderr)
    assert hub.faults.stalled.wait(120), err.text
    part = partial(tmp_path, hub)
    procs.wait_until(lambda: size(part) == 30 * MB, 60, "the first 30 MB on disk")
    proc.send_signal(signal.SIGINT)
    assert proc.wait(60) == 130
    said = err.rest().splitlines()
    assert "Traceback" not in "\n".join(said)
    assert said[-1] == ("dictation: download of base interrupted; `dictation models pull "
                        "base` resumes it")
    assert size(part) == 30 * MB  # kept for the next pull
    assert listed(env)["base"]["partial_bytes"] == 30 * MB

    hub.faults.release.set()
    again = dictation(env, "models", "pull", "base")
    assert again.returncode == 0, again.stderr
    assert "resuming at 30.0 MB" in again.stderr
    assert hub.downloads()[-1].range == f"bytes={30 * MB}-"
    assert len(hub.downloads()) == 2 and not part.exists()
    check_snapshot(again.stdout, base_model_dir)


def test_no_network_is_one_line(refused_port: socket.socket, tmp_path: Path) -> None:
    nowhere = f"http://127.0.0.1:{refused_port.getsockname()[1]}"
    done = dictation(hub_env(tmp_path, nowhere), "models", "pull", "base")
    assert done.returncode == 2 and done.stdout == ""
    line = one_clear_line(done.stderr)
    assert line.startswith(f"dictation: error: cannot reach the model hub at {nowhere} (")


@pytest.mark.parametrize(("name", "says"), [
    ("base.fr", "unknown model 'base.fr': one of tiny.en, tiny, base.en, base"),
    ("Systran/faster-whisper-huge", "no model Systran/faster-whisper-huge at "),
])
def test_an_unknown_model_is_one_line(hub: HubServer, tmp_path: Path, name: str,
                                      says: str) -> None:
    done = dictation(hub_env(tmp_path, hub.url), "models", "pull", name)
    assert done.returncode == 2 and done.stdout == ""
    assert f"dictation: error: {says}" in one_clear_line(done.stderr)
    if "/" not in name:
        assert hub.requests == []  # a name faster-whisper does not know is not looked up


def test_corrupt_bytes_fail_verification_and_are_fetched_again(
        hub: HubServer, tmp_path: Path, base_model_dir: Path) -> None:
    env = hub_env(tmp_path, hub.url)
    hub.faults.corrupt = True  # one byte changed, the size kept
    done = dictation(env, "models", "-q", "pull", "base")
    assert done.returncode == 1 and done.stdout == ""
    assert one_clear_line(done.stderr) == (
        "dictation: error: model.bin of base is corrupt (its sha256 is not the one the hub "
        "announced); removed it: `dictation models pull base` fetches it again")
    assert not partial(tmp_path, hub).exists()
    assert listed(env)["base"]["installed"] is False

    hub.faults.corrupt = False
    again = dictation(env, "models", "pull", "base")
    assert again.returncode == 0, again.stderr
    assert hub.downloads()[-1].range is None  # from the start: nothing bad was kept
    check_snapshot(again.stdout, base_model_dir)


def test_rm_removes_a_download_and_only_that(hub: HubServer, tmp_path: Path) -> None:
    env = hub_env(tmp_path, hub.url)
    assert dictation(env, "models", "pull", "base").returncode == 0
    repo_dir = tmp_path / "hf" / "hub" / "models--Systran--faster-whisper-base"
    assert repo_dir.is_dir()
    done = dictation(env, "models", "rm", "base")
    assert done.returncode == 0, done.stderr
    assert done.stderr == "dictation: removed base's download (147.9 MB)\n"
    assert not repo_dir.exists() and listed(env)["base"]["installed"] is False
    for name, says in (("base", "base is not downloaded"),
                       ("tiny.en", "tiny.en is bundled, not downloaded: it cannot be removed"),
                       ("nothing", "unknown model 'nothing'")):
        again = dictation(env, "models", "rm", name)
        assert again.returncode == 2
        assert says in one_clear_line(again.stderr)


def test_a_full_disk_is_one_line_and_the_next_pull_resumes(hub: HubServer, tmp_path: Path,
                                                           base_model_dir: Path) -> None:
    # A filesystem of 60 MB of its own (tmpfs, in a mount namespace of this test's): the
    # 145 MB model.bin cannot fit; then it grows, and the same cache takes the rest.
    env = hub_env(tmp_path, hub.url)
    (tmp_path / "hf").mkdir()
    pull = shlex.join(dictation_cmd("models", "pull", "base"))
    script = (f'mount -t tmpfs -o size=60m tmpfs "$HF_HOME" || exit 90\n'
              f'{pull} 2>"$FIRST"; echo "first=$?"\n'
              f'stat -c "partial=%s" "$HF_HOME"/hub/models--*/blobs/*.incomplete\n'
              f'mount -o remount,size=400m "$HF_HOME" || exit 91\n'
              f'{pull} >/dev/null; echo "second=$?"\n')
    user = ["--map-root-user"] if os.geteuid() else []
    done = subprocess.run(["unshare", "--mount", "--propagation", "private", *user, "sh",
                           "-c", script], capture_output=True, text=True, timeout=300,
                          env={**env, "FIRST": str(tmp_path / "first.err")})
    out = dict(line.split("=", 1) for line in done.stdout.split() if "=" in line)
    assert done.returncode == 0 and out.get("second") == "0", (done.stdout, done.stderr)
    first = (tmp_path / "first.err").read_text()
    errors = [ln for ln in first.splitlines() if "error" in ln]
    assert out["first"] == "1" and len(errors) == 1 and "Traceback" not in first, first
    assert re.fullmatch(r"dictation: error: disk full in .*: [\d.]+ MB of model\.bin are "
                        r"kept; free some space, then `dictation models pull base` resumes",
                        errors[0]), errors[0]
    kept = int(out["partial"])
    assert 40 * MB < kept <= 60 * 2**20
    assert [d.range for d in hub.downloads()] == [None, f"bytes={kept}-"]


def test_the_first_run_of_a_named_model_downloads_it_with_progress(hub: HubServer,
                                                                   tmp_path: Path) -> None:
    run = dictation(hub_env(tmp_path, hub.url), "run", "--local-model", "base",
                    "--input", str(SAMPLE), "--fast")
    assert run.returncode == 0, run.stderr
    log = run.stderr.splitlines()
    start = log.index("dictation: downloading model base: 147.9 MB")
    ready = next(i for i, ln in enumerate(log) if "model base ready" in ln)
    assert any("%" in ln and "MB/s" in ln for ln in log[start:ready]), run.stderr
    lines = run.stdout.lower().splitlines()
    assert len(lines) == 2 and "cursor" in lines[0] and "sentence" in lines[1], run.stdout


def test_a_progress_bar_on_a_terminal(hub: HubServer, tmp_path: Path) -> None:
    main, child = pty.openpty()
    proc = procs.spawn(dictation_cmd("models", "pull", "base"), stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=child,
                       env={**hub_env(tmp_path, hub.url), "COLUMNS": "120", "TERM": "xterm"})
    os.close(child)
    try:
        screen = procs.read_terminal(proc, main, 300)  # generous: a loaded machine
    finally:
        os.close(main)
    assert proc.wait(60) == 0, screen
    assert "147.9/147.9 MB" in screen, screen  # bytes done of all
    assert re.search(r"[\d.]+ [MG]B/s", screen) and re.search(r"\d:\d\d:\d\d", screen)
    assert "━" in screen
