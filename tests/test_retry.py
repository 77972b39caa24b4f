"""The retry policy and the spool's files, without a daemon: pure functions and real files."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import numpy as np
import pytest

from dictation.audio.wav import read_wav_with_meta, wav_with_meta
from dictation.deliver.retry import Outage, RetryPolicy
from dictation.deliver.spool import Spool, backlog
from dictation.deliver.spoolfile import load
from dictation.errors import ConfigError

# --- RetryPolicy -------------------------------------------------------------------------


def test_backoff_doubles_up_to_the_cap() -> None:
    p = RetryPolicy(base_s=0.5, cap_s=30.0, jitter=0.0)
    assert [p.delay(n) for n in range(1, 9)] == [0.5, 1, 2, 4, 8, 16, 30, 30]
    assert p.delay(10_000) == 30  # no overflow however long the outage


def test_jitter_only_shortens_and_stays_in_its_band() -> None:
    p = RetryPolicy(base_s=1.0, cap_s=30.0, jitter=0.5)
    assert p.delay(3, rand=0.0) == 4.0
    assert p.delay(3, rand=0.999) == pytest.approx(2.002)
    draws = {p.delay(3) for _ in range(200)}
    assert all(2.0 <= d <= 4.0 for d in draws) and len(draws) > 100  # really random


def test_retry_after_wins_but_is_capped() -> None:
    p = RetryPolicy(base_s=0.5, cap_s=30.0)
    assert p.delay(1, retry_after=7.0) == 7.0
    assert p.delay(6, retry_after=1.0) == 1.0  # the server knows best, even when shorter
    assert p.delay(1, retry_after=3600.0) == 30.0
    assert p.delay(1, retry_after=-5.0) == 0.0


def test_never_gives_up_by_default() -> None:
    assert not RetryPolicy().gives_up(10 ** 9)


def test_gives_up_once_the_limit_is_reached() -> None:
    p = RetryPolicy(give_up_s=60.0)
    assert not p.gives_up(59.9)
    assert p.gives_up(60.0)
    assert RetryPolicy(give_up_s=0.0).gives_up(0.0)  # 0: at the first failure


@pytest.mark.parametrize("kwargs", [{"base_s": 0}, {"base_s": 5, "cap_s": 1},
                                    {"jitter": 1.5}, {"give_up_s": -1}])
def test_nonsense_policies_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**kwargs)


def test_outage_reports_each_state_change_once() -> None:
    o = Outage()
    assert o.recovered(1.0) is None  # nothing failed: nothing to report
    assert o.failed(10.0) is True
    assert o.failed(11.0) is False and o.failed(50.0) is False
    assert o.recovered(70.0) == 60.0
    assert o.recovered(71.0) is None
    assert o.failed(80.0) is True  # a new outage warns again


# --- the spool's files -------------------------------------------------------------------


def _pcm(seconds: float, value: int = 1000) -> bytes:
    return np.full(int(16000 * seconds), value, np.int16).tobytes()


def test_utterance_files_are_wavs_with_their_times() -> None:
    import io
    import wave

    meta = {"start_s": 1.5, "end_s": 3.25, "snr_db": 21.0}
    data = wav_with_meta(_pcm(1.0), meta)
    with wave.open(io.BytesIO(data)) as w:  # any WAV reader skips the metadata chunk
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 16000)
        assert w.readframes(w.getnframes()) == _pcm(1.0)
    assert read_wav_with_meta(data) == (_pcm(1.0), meta)
    with pytest.raises(ValueError):
        read_wav_with_meta(b"not a wav at all")


def test_spool_dir_and_files_are_private_and_written_whole(tmp_path: Path) -> None:
    root = tmp_path / "spool"
    sp = Spool(root, 10 ** 9)
    assert sp.open() == []
    path = sp.add(1, _pcm(0.5), {"start_s": 0.0})
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".")] == []  # no tmp
    assert load(path)[0] == _pcm(0.5)
    assert sp.count == 1 and sp.bytes == path.stat().st_size
    assert sp.seconds == pytest.approx(0.5, abs=0.02)
    sp.remove(path)
    assert sp.count == 0 and not path.exists()
    sp.close()
    assert list(root.iterdir()) == []  # an emptied session leaves nothing behind


def test_a_too_open_spool_dir_is_fixed(tmp_path: Path) -> None:
    root = tmp_path / "spool"
    root.mkdir(mode=0o755)
    root.chmod(0o755)
    Spool(root, 10 ** 9).open()
    assert stat.S_IMODE(root.stat().st_mode) == 0o700


def test_a_spool_dir_owned_by_someone_else_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "spool"
    root.mkdir(mode=0o700)
    os.chown(root, 12345, 12345)  # the tests run as root, who can give it away
    with pytest.raises(ConfigError, match="not a directory owned by you"):
        Spool(root, 10 ** 9).open()


def test_a_dead_session_is_adopted_in_order_and_a_live_one_is_not(tmp_path: Path) -> None:
    root = tmp_path / "spool"
    dead = Spool(root, 10 ** 9)
    dead.open()
    for n in (1, 2, 3):
        dead.add(n, _pcm(0.1, n), {"start_s": float(n)})
    live = Spool(root, 10 ** 9)
    assert live.open() == []  # the other session is alive (locked): not touched
    live.add(1, _pcm(0.1), {})
    dead.close()  # as if its process had died: files stay, the lock is free
    # A crash between the temporary file and its rename leaves a tmp file: never a message.
    (dead_dir := next(d for d in root.iterdir() if d != live.session))
    (dead_dir / ".000004.wav.tmp").write_bytes(b"half")

    heir = Spool(root, 10 ** 9)
    [adopted] = heir.open()
    assert adopted.name == dead_dir.name
    assert [e.seq for e in adopted.entries] == [1, 2, 3]
    assert [load(e.path)[1]["start_s"] for e in adopted.entries] == [1.0, 2.0, 3.0]
    assert not (dead_dir / ".000004.wav.tmp").exists()
    assert heir.count == 3  # the live session's utterance is not counted as ours

    third = Spool(root, 10 ** 9)  # another start while the heir works: finds nothing to take
    assert third.open() == []
    third.close()

    for e in adopted.entries:
        heir.remove(e.path)
    assert not dead_dir.exists()  # delivered: the dead session is gone
    assert live.session is not None and live.session.exists()
    assert backlog(root).count == 1  # only the live one's
    heir.close()
    live.close()
