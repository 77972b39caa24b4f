"""The repeat check of the fast layer (pure and in-process tests, ``-m "not real"``): every test
RUNS times, in two ways, and a count of how often each passed.

    python tools/repeat.py --runs 20        # make repeat RUNS=20
    python tools/repeat.py --runs 5 -- tests/test_core_faults.py

- **shuffled:** the whole layer RUNS times over (pytest-repeat), in a random order
  (pytest-randomly, its seed printed so that a failing order can be run again), the copies
  of one test spread among the others;
- **alone:** each test in a fresh interpreter of its own, RUNS times in a row, with nothing
  before it: what a developer runs when one test is in doubt.

A test of this layer owns its clock: it waits for the events it needs, never for time, so
it must pass every time in both. Pass ``--load`` to do it beside a busy loop on one CPU.
Exits 1 if any run of any test failed.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from flake import busy_loop

FAST = "not real"


def base_name(case: ET.Element) -> str:
    """The test a JUnit case ran, without pytest-repeat's ``-N-M`` copy suffix."""
    name = case.get("name") or ""
    if name.endswith("]") and "[" in name:
        head, params = name[:-1].split("[", 1)
        parts = params.rsplit("-", 2)
        # pytest-repeat appends "-<copy>-<count>" to the parameters, or makes them "[N-M]".
        if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
            name = f"{head}[{parts[0]}]"
        elif len(parts) == 2 and parts[0].isdigit() and parts[1].isdigit():
            name = head
    return f"{case.get('classname')}::{name}"


def tally(junit: Path, passed: Counter[str], seen: Counter[str],
          why: dict[str, str]) -> None:
    for case in ET.parse(junit).getroot().iter("testcase"):
        name = base_name(case)
        bad = [c for c in case if c.tag in ("failure", "error")]
        seen[name] += 1
        if bad:
            why.setdefault(name, (bad[0].get("message") or bad[0].tag)[:300])
        else:
            passed[name] += 1


def pytest_cmd(junit: Path, *extra: str) -> list[str]:
    # addopts emptied: the project's own turns random order off for everyday runs.
    return [sys.executable, "-m", "pytest", "-m", FAST, "-q", "-p", "no:cacheprovider",
            "-o", "addopts=", f"--junitxml={junit}", *extra]


def shuffled(args: argparse.Namespace, tmp: Path, passed: Counter[str], seen: Counter[str],
             why: dict[str, str]) -> None:
    seed = args.seed if args.seed is not None else random.randrange(1 << 31)
    junit = tmp / "shuffled.xml"
    began = time.monotonic()
    cmd = pytest_cmd(junit, "-n", args.jobs, f"--count={args.runs}", f"--randomly-seed={seed}",
                     "--randomly-dont-reset-seed", *args.pytest_args)
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL)
    if not junit.exists():
        sys.exit(f"repeat: shuffled: pytest exited {done.returncode} with no report")
    before = sum(seen.values()) - sum(passed.values())
    tally(junit, passed, seen, why)
    failed = sum(seen.values()) - sum(passed.values()) - before
    print(f"repeat: shuffled, seed {seed}: {failed} failed runs in "
          f"{time.monotonic() - began:.0f} s", file=sys.stderr)


def collect(pytest_args: list[str]) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-m", FAST, "--collect-only", "-q",
         "-p", "no:cacheprovider", "-o", "addopts=", *pytest_args],
        capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if "::" in line]


def copies(test_id: str, runs: int) -> list[str]:
    """pytest-repeat's ids of a test's copies: its copy number joins the test's parameters."""
    if test_id.endswith("]"):
        return [f"{test_id[:-1]}-{k}-{runs}]" for k in range(1, runs + 1)]
    return [f"{test_id}[{k}-{runs}]" for k in range(1, runs + 1)]


def alone(args: argparse.Namespace, tmp: Path, passed: Counter[str], seen: Counter[str],
          why: dict[str, str]) -> None:
    ids = collect(args.pytest_args)
    began = time.monotonic()

    def one(i: int) -> Path:
        junit = tmp / f"alone{i}.xml"
        subprocess.run(pytest_cmd(junit, "-p", "no:randomly", f"--count={args.runs}",
                                  *copies(ids[i], args.runs)),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return junit

    with ThreadPoolExecutor(int(args.jobs)) as pool:
        for i, junit in enumerate(pool.map(one, range(len(ids)))):
            if not junit.exists():
                seen[ids[i]] += args.runs
                why.setdefault(ids[i], "pytest ended with no report")
                continue
            ran = sum(seen.values())
            tally(junit, passed, seen, why)
            if sum(seen.values()) - ran < args.runs:  # a copy that never ran is no pass
                seen[ids[i]] += args.runs - (sum(seen.values()) - ran)
                why.setdefault(ids[i], "not every copy ran")
            if (i + 1) % 100 == 0:
                print(f"repeat: alone: {i + 1}/{len(ids)} tests", file=sys.stderr)
    print(f"repeat: alone: {len(ids)} tests in {time.monotonic() - began:.0f} s",
          file=sys.stderr)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--jobs", default="2", help="tests at once (xdist workers, processes)")
    parser.add_argument("--seed", type=int, help="the shuffled order's seed")
    parser.add_argument("--load", action="store_true", help="a busy loop holds one CPU")
    parser.add_argument("--only", choices=("shuffled", "alone"), help="one of the two ways")
    parser.add_argument("pytest_args", nargs="*", help="after --: which tests, and more")
    args = parser.parse_args()
    passed, seen, why = Counter[str](), Counter[str](), dict[str, str]()
    with busy_loop(args.load), tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        if args.only in (None, "shuffled"):
            shuffled(args, tmp, passed, seen, why)
        if args.only in (None, "alone"):
            alone(args, tmp, passed, seen, why)
    bad = sorted(n for n in seen if passed[n] < seen[n])
    for name in bad:
        print(f"{passed[name]}/{seen[name]}  {name}: {why.get(name, '')}")
    total = sum(seen.values())
    print(f"{sum(passed.values())}/{total} test runs passed ({len(seen)} tests, "
          f"{len(bad)} failed at least once)")
    return 0 if total and not bad else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "random")
    sys.exit(main())
