"""The flake check: run the timing-sensitive tests (marker ``realtime``) several times while a
busy loop holds one of the CPUs, and print how often each test passed.

    python tools/flake.py --runs 5            # make flake RUNS=5
    python tools/flake.py --runs 3 -- -k control

A test that passes on an idle machine but not on a busy one waits for time instead of for
its event; the counts show which. Exits 1 if any run of any test failed.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def busy_loop(on: bool = True) -> Iterator[None]:
    """A busy loop holding one of the CPUs the tests may use, while the block runs."""
    if not on:
        yield
        return
    cpu = min(os.sched_getaffinity(0))
    hog = subprocess.Popen(["taskset", "-c", str(cpu), sys.executable, "-c",
                            "while True: pass"])
    print(f"a busy loop holds CPU {cpu}", file=sys.stderr)
    try:
        yield
    finally:
        hog.kill()
        hog.wait()


def outcomes(junit: Path) -> dict[str, str | None]:
    """Each test of a JUnit XML report: None when it passed, else the first line of why."""
    result: dict[str, str | None] = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        name = f"{case.get('classname')}::{case.get('name')}"
        bad = [c for c in case if c.tag in ("failure", "error", "skipped")]
        result[name] = None if not bad else (bad[0].get("message") or bad[0].tag)[:300]
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--marker", default="realtime", help="pytest -m expression")
    parser.add_argument("--jobs", default="4", help="pytest-xdist workers per run")
    parser.add_argument("--no-load", action="store_true", help="no busy loop")
    parser.add_argument("pytest_args", nargs="*", help="after --: more pytest arguments")
    args = parser.parse_args()
    passed, seen = Counter[str](), Counter[str]()
    with busy_loop(not args.no_load), tempfile.TemporaryDirectory() as tmp:
            for run in range(1, args.runs + 1):
                junit = Path(tmp) / f"run{run}.xml"
                began = time.monotonic()
                done = subprocess.run(
                    [sys.executable, "-m", "pytest", "-m", args.marker, "-n", args.jobs, "-q",
                     "-p", "no:cacheprovider", f"--junitxml={junit}", *args.pytest_args],
                    stdout=subprocess.DEVNULL)
                if not junit.exists():
                    print(f"flake: run {run}: pytest exited {done.returncode} with no report",
                          file=sys.stderr)
                    return 1
                result = outcomes(junit)
                for name, why in result.items():
                    seen[name] += 1
                    passed[name] += why is None
                failed = sorted(n for n, why in result.items() if why is not None)
                print(f"flake: run {run}/{args.runs}: {len(result) - len(failed)}/"
                      f"{len(result)} passed in {time.monotonic() - began:.0f} s"
                      + "".join(f"\n  FAILED {n}: {result[n]}" for n in failed),
                      file=sys.stderr)
    for name in sorted(seen, key=lambda n: (passed[n] - seen[n], n)):
        print(f"{passed[name]}/{seen[name]}  {name}")
    total_ok = sum(passed.values())
    print(f"{total_ok}/{sum(seen.values())} test runs passed ({len(seen)} tests)")
    return 0 if seen and total_ok == sum(seen.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
