"""Input devices: what PortAudio lists, which one ``--input`` names, and the lock that keeps
PortAudio from being re-initialised under a call made off the loop thread."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from types import ModuleType

from dictation.errors import DeviceError, NoInputDevice, UnknownDevice

PORTAUDIO = threading.Lock()
"""Held around PortAudio calls made off the loop thread (cue playback), so re-initialising
PortAudio never pulls it from under them."""


def import_sounddevice() -> ModuleType:
    try:
        import sounddevice
    except OSError:
        raise DeviceError("PortAudio library not found: install it with "
                          "'apt-get install libportaudio2'") from None
    return sounddevice


@dataclass(frozen=True)
class InputDevice:
    index: int
    name: str
    rate: int
    channels: int
    is_default: bool


def input_devices() -> list[InputDevice]:
    sd = import_sounddevice()
    try:
        default = sd.default.device[0]
        return [InputDevice(d["index"], d["name"], int(d["default_samplerate"]),
                            d["max_input_channels"], d["index"] == default)
                for d in sd.query_devices() if d["max_input_channels"] > 0]
    except sd.PortAudioError as err:
        raise DeviceError(f"cannot list audio devices: {err}") from None


def find_input_device(spec: str | None) -> InputDevice:
    """Resolve ``--input``: None for the default device, an index, or a name substring.

    NoInputDevice when there is nothing to choose from (then a name cannot be judged a typo);
    UnknownDevice when devices exist but ``spec`` picks none or several."""
    devices = input_devices()
    if not devices:
        raise NoInputDevice("no input device found")
    if spec is None:
        for d in devices:
            if d.is_default:
                return d
        raise NoInputDevice("no default input device found")
    if spec.isdigit():
        for d in devices:
            if d.index == int(spec):
                return d
        raise UnknownDevice(f"no input device with index {spec}; see 'dictation devices'")
    matches = [d for d in devices if spec.lower() in d.name.lower()]
    exact = [d for d in matches if d.name.lower() == spec.lower()]
    if len(exact) == 1 or len(matches) == 1:
        return (exact or matches)[0]
    if not matches:
        raise UnknownDevice(f"no input device matches '{spec}'; see 'dictation devices'")
    names = ", ".join(f"{d.index}: {d.name}" for d in matches)
    raise UnknownDevice(f"'{spec}' matches several input devices ({names}); give an index")
