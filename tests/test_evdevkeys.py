"""The evdev side of the Sway watcher. This machine has no /dev/input and no /dev/uinput to
make a device with, so reading real key events cannot run here (as for the hotkey); what can
run does: which key codes count as the user's, against the real evdev tables, and the lines
a user meets, with real file permissions (an unprivileged user via setpriv)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from evdev import ecodes

from dictation.output.evdevkeys import EvdevKeys, Unreadable, counts


def test_keys_that_change_text_and_clicks_count() -> None:
    for key in ("KEY_A", "KEY_ENTER", "KEY_BACKSPACE", "KEY_SPACE", "KEY_LEFT", "KEY_DELETE",
                "KEY_KP1", "BTN_LEFT", "BTN_RIGHT", "BTN_MIDDLE", "BTN_TOUCH"):
        assert counts(ecodes.ecodes[key]), key


def test_hotkeys_modifiers_and_a_finger_near_do_not() -> None:
    for key in ("KEY_LEFTCTRL", "KEY_RIGHTSHIFT", "KEY_LEFTMETA", "KEY_CAPSLOCK", "KEY_F9",
                "KEY_F24", "KEY_PAUSE", "KEY_SCROLLLOCK", "KEY_VOLUMEUP", "KEY_MUTE",
                "KEY_PLAYPAUSE", "KEY_SYSRQ", "BTN_TOOL_FINGER", "BTN_TOOL_PEN"):
        assert not counts(ecodes.ecodes[key]), key


def test_no_readable_device_is_one_line_with_the_fix(tmp_path: Path) -> None:
    with pytest.raises(Unreadable, match=r"cannot list .*/none: No such file"):
        EvdevKeys(print, tmp_path / "none")
    (tmp_path / "event0").write_bytes(b"")  # not a device: skipped
    with pytest.raises(Unreadable, match=r"no input device in .* can be read: add yourself "
                                         r"to the input group \(sudo usermod -aG input"):
        EvdevKeys(print, tmp_path)


def test_a_device_the_user_may_not_read_names_the_input_group() -> None:
    root = Path(tempfile.mkdtemp())  # pytest's own is not the other user's to reach
    try:
        root.chmod(0o755)
        (root / "event3").write_bytes(b"")
        (root / "event3").chmod(0o600)  # as /dev/input's are: root and the input group
        code = ("from pathlib import Path; from dictation.output.evdevkeys import EvdevKeys, "
                f"Unreadable\ntry:\n    EvdevKeys(print, Path({str(root)!r}))\n"
                "except Unreadable as err:\n    print(err)")
        done = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                               sys.executable, "-c", code], capture_output=True, text=True,
                              timeout=60, cwd="/")
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == (f"cannot read {root}/event3: add yourself to the input "
                                       "group (sudo usermod -aG input $USER, then log out and "
                                       "in)")
    finally:
        shutil.rmtree(root)
