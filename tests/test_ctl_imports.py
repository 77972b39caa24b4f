"""`dictation ctl` is bound to keys and `dictation status` polled by status bars: both must
start in milliseconds (bench/control.md measures it), so they load the standard library and a
few light modules of ours, never numpy, the engines or the full command line. This checks
what they import, in a process of their own; the time itself is the benchmark's business."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

LIGHT = {"dictation", "dictation.launch", "dictation.errors", "dictation.env",
         "dictation.storage", "dictation.cli", "dictation.cli.ctl", "dictation.cli.configfile",
         "dictation.control", "dictation.control.client", "dictation.control.status",
         "dictation.segment", "dictation.segment.gate",
         "dictation.cli.parser"}  # argparse with one-line errors, the standard library only
# With no daemon, `status` reports the spool: it reads the WAV headers there.
SPOOL = {"dictation.deliver", "dictation.deliver.spool", "dictation.deliver.spoolfile",
         "dictation.audio", "dictation.audio.wav"}
# A bar's format: the formats and the text stage's sanitiser (no daemon is "off", exit 0).
BAR = {"dictation.control.statusbar", "dictation.text", "dictation.text.sanitize"}

PROBE = """
import json, sys
before = set(sys.modules)
sys.argv = ["dictation", *sys.argv[1:]]
from dictation.launch import main
code = main()
# A None entry is an import refused, not a module loaded (dictation/__init__.py makes one).
loaded = sorted(m for m in set(sys.modules) - before if sys.modules[m] is not None)
print(json.dumps({"code": code, "loaded": loaded}))
"""


@pytest.mark.parametrize(("argv", "allowed", "code"), [
    (["ctl", "status"], LIGHT, 3), (["status"], LIGHT | SPOOL, 3),
    (["status", "--format", "waybar"], LIGHT | BAR, 0)])
def test_ctl_and_status_load_only_the_standard_library_and_light_modules(
        argv: list[str], allowed: set[str], code: int, tmp_path: Path) -> None:
    sock, spool = str(tmp_path / "none.sock"), str(tmp_path / "spool")
    extra = ["--spool-dir", spool] if argv == ["status"] else []
    done = subprocess.run([sys.executable, "-c", PROBE, *argv, "--socket", sock, *extra],
                          capture_output=True, text=True, timeout=60)
    out = json.loads(done.stdout.splitlines()[-1])
    assert out["code"] == code, done.stderr  # no daemon: it said so, and exited
    ours = {m for m in out["loaded"] if m.split(".")[0] == "dictation"}
    assert ours <= allowed, ours - allowed
    foreign = {m.split(".")[0] for m in out["loaded"]} - set(sys.stdlib_module_names)
    assert foreign <= {"dictation"}, foreign
