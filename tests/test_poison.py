"""The spool's count of runs that died with an utterance in flight, without a daemon: the mark,
the count a dead session's adoption adds, and the entry set aside at the third death. (The
real daemon, killed three times, is in test_hostile.py.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from dictation.deliver.keeper import Keeper
from dictation.deliver.spool import Spool
from dictation.deliver.spoolfile import MAX_DEATHS, flight_mark, load
from dictation.records import Heard, Speech

PCM = (np.sin(np.arange(16000) / 5) * 8000).astype(np.int16)


def dead_session(root: Path, deaths_so_far: int = 0, in_flight: bool = True) -> Path:
    """A session of a process that died (it held the lock, then exited), with one utterance
    it was transcribing when it died."""
    code = ("import sys; from dictation.deliver.spool import Spool; from pathlib import Path; "
            "import numpy as np; s = Spool(Path(sys.argv[1]), 0); s.open(); "
            f"p = s.add(1, np.asarray({PCM.tolist()!r}, '<i2').tobytes(), "
            f"{{'start_s': 1.0, 'deaths': {deaths_so_far}}}); print(p)")
    out = subprocess.run([sys.executable, "-c", code, str(root)], capture_output=True,
                         text=True, check=True, env=dict(os.environ)).stdout.strip()
    entry = Path(out)
    if in_flight:
        flight_mark(entry).touch()
    return entry


def keeper(spool: Spool, kept: Path, errors: list[str]) -> Keeper:
    return Keeper(spool, kept, error=errors.append, resumed=lambda: None)


def test_adopting_a_session_counts_the_death_of_what_was_in_flight(tmp_path: Path) -> None:
    entry = dead_session(tmp_path / "spool")
    spool = Spool(tmp_path / "spool", 0)
    [adopted] = spool.open()
    assert adopted.entries[0].path == entry
    pcm, meta = load(entry)
    assert meta["deaths"] == 1 and meta["start_s"] == 1.0  # the times are kept
    assert np.array_equal(np.frombuffer(pcm, "<i2"), PCM)
    assert not flight_mark(entry).exists()
    assert spool.bytes == entry.stat().st_size  # the rewritten size is what is counted
    spool.close()


def test_an_entry_that_was_not_in_flight_is_not_counted(tmp_path: Path) -> None:
    entry = dead_session(tmp_path / "spool", deaths_so_far=2, in_flight=False)
    spool = Spool(tmp_path / "spool", 0)
    spool.open()
    assert load(entry)[1]["deaths"] == 2
    errors: list[str] = []
    item = keeper(spool, tmp_path / "kept", errors).reload(entry, 1, 0)
    assert item is not None and item.recovered and errors == []
    spool.close()


def test_the_third_death_sets_it_aside(tmp_path: Path) -> None:
    entry = dead_session(tmp_path / "spool", deaths_so_far=MAX_DEATHS - 1)
    spool = Spool(tmp_path / "spool", 0)
    spool.open()
    errors: list[str] = []
    k = keeper(spool, tmp_path / "kept", errors)
    assert k.reload(entry, 1, 0) is None  # not sent again
    [kept] = (tmp_path / "kept").glob("*.wav")
    assert not entry.exists() and spool.count == 0 and k.kept == [kept]
    assert errors == []
    spool.close()
    assert not any((tmp_path / "spool").glob("*/*"))  # the dead session is gone too


def test_a_mark_lives_while_an_utterance_is_in_flight(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool", 0)
    spool.open()
    errors: list[str] = []
    k = keeper(spool, tmp_path / "kept", errors)
    item = k.add(Speech(1, 0.0, 1.0, PCM, 0.0, Heard(30.0, 0.5), 0.1, 0.9))
    assert item.spooled is not None
    with k.in_flight(item):
        assert flight_mark(item.spooled).exists()
    assert not flight_mark(item.spooled).exists()  # it survived: no death to count
    with k.in_flight(item):
        k.remove(item)  # delivered while in flight: the mark goes with the entry
    assert not flight_mark(item.spooled).exists() and not item.spooled.exists()
    spool.close()
