"""The built-in hotkey. This machine has no keyboards and no /dev/uinput to make a virtual
one, so reading real key events cannot run here; what can run does: key names against the
real evdev tables, what each key event means, and the errors a user meets, with real file
permissions (an unprivileged user via setpriv) and the real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import dictation_cmd

from dictation.control.hotkey import KEY_DOWN, KEY_REPEAT, KEY_UP, command_for, key_code
from dictation.errors import ConfigError


@pytest.mark.parametrize("name", ["F9", "f9", "KEY_F9", "key_f9", "67"])
def test_key_names(name: str) -> None:
    assert key_code(name) == 67


def test_more_key_names() -> None:
    from evdev import ecodes

    assert key_code("rightctrl") == ecodes.KEY_RIGHTCTRL
    assert key_code("scrolllock") == ecodes.KEY_SCROLLLOCK
    with pytest.raises(ConfigError, match="unknown key 'bogus'"):
        key_code("bogus")


def test_hold_to_talk_and_tap_to_toggle() -> None:
    assert [command_for("push-to-talk", v) for v in (KEY_DOWN, KEY_REPEAT, KEY_UP)] == [
        "press", None, "release"]
    for mode in ("toggle", "continuous"):
        assert [command_for(mode, v) for v in (KEY_DOWN, KEY_REPEAT, KEY_UP)] == [
            "toggle", None, None]


def test_unreadable_keyboards_explain_the_input_group(tmp_path: Path) -> None:
    inputs = tmp_path / "input"
    inputs.mkdir()
    (inputs / "event0").write_bytes(b"")
    os.chmod(inputs / "event0", 0)
    code = ("import sys; from pathlib import Path; from dictation.control.hotkey import Hotkey\n"
            "from dictation.errors import ConfigError\n"
            "try: Hotkey('F9', 'push-to-talk', print, Path(sys.argv[1])).open()\n"
            "except ConfigError as e: print(e)\n")
    # Root opens any file whatever its mode: the child runs without the capabilities that
    # override file modes (setpriv, util-linux), so the kernel really refuses, as it does
    # for a user outside the input group.
    caps = "-dac_override,-dac_read_search"
    prefix = [] if os.geteuid() else ["setpriv", f"--bounding-set={caps}", f"--inh-caps={caps}"]
    done = subprocess.run([*prefix, sys.executable, "-c", code, str(inputs)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "permission denied" in done.stdout and "input group" in done.stdout


def test_cli_hotkey_errors_are_one_line(tmp_path: Path) -> None:
    for key, expect in (("F9", "no keyboard with the F9 key"),
                        ("bogus", "unknown key 'bogus'")):
        done = subprocess.run(dictation_cmd("run", "--hotkey", key, "--base-url",
                                            "http://127.0.0.1:9", "--socket",
                                            str(tmp_path / "control.sock")),
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 2, done.stderr
        [line] = done.stderr.splitlines()
        assert expect in line
