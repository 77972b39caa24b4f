"""The sound server's sources (PulseAudio, or PipeWire through its pulse server), as pactl
reports them. PortAudio sees the server as one device ("pulse", "default"), which records
from the server's default source: only the server can say which microphone that is, whether
it is muted, and what else there is.

Every call runs pactl with a short timeout and gives None when there is no pactl or no
server; its output is another program's, so every string is cleaned and bounded.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass

from dictation.text.sanitize import sanitize

PACTL_TIMEOUT_S = 2.0
# PortAudio's ALSA devices that go through the sound server (the pulse plugin).
SERVER_DEVICES = ("pulse", "pipewire", "default", "sysdefault")
_MAX_FIELD = 120


@dataclass(frozen=True)
class ServerSource:
    name: str
    description: str
    state: str  # RUNNING, IDLE, SUSPENDED (lower case)
    muted: bool | None  # None: unknown (an old pactl without JSON)
    volume: str  # "100%", or "" when unknown
    is_default: bool


def _clean(value: object) -> str:
    return sanitize(value)[:_MAX_FIELD] if isinstance(value, str) else ""


def _pactl(env: Mapping[str, str], *args: str) -> str | None:
    pactl = shutil.which("pactl", path=env.get("PATH", os.defpath))
    if pactl is None:
        return None
    try:
        done = subprocess.run([pactl, *args], capture_output=True, text=True,
                              timeout=PACTL_TIMEOUT_S, stdin=subprocess.DEVNULL,
                              env={**env, "LC_ALL": "C"})
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def default_source(env: Mapping[str, str]) -> str | None:
    """The source a client records from by default: PULSE_SOURCE (libpulse's own override,
    which the ALSA pulse plugin honours), else the server's default."""
    if name := _clean(env.get("PULSE_SOURCE")):
        return name
    return _clean(_pactl(env, "get-default-source")) or None


def server_sources(env: Mapping[str, str]) -> list[ServerSource] | None:
    """Every source of the sound server, the default marked; None without pactl or server."""
    raw = _pactl(env, "--format=json", "list", "sources")
    if raw is None:
        short = _pactl(env, "list", "short", "sources")  # pactl before 16 has no JSON
        if short is None:
            return None
        raw = json.dumps([{"name": f[1], "state": f[4] if len(f) > 4 else ""}
                          for line in short.splitlines() if len(f := line.split("\t")) > 1])
    try:
        items = json.loads(raw)
    except ValueError:
        return None
    default = default_source(env)
    return [ServerSource(name, _clean(s.get("description")), _clean(s.get("state")).lower(),
                         s["mute"] if isinstance(s.get("mute"), bool) else None,
                         _volume(s.get("volume")), name == default)
            for s in items if isinstance(s, dict) and (name := _clean(s.get("name")))]


def _volume(volume: object) -> str:
    """The first channel's volume, as pactl prints it ("100%")."""
    if isinstance(volume, dict):
        first = next(iter(volume.values()), None)
        if isinstance(first, dict):
            return _clean(first.get("value_percent"))
    return ""


def describe(source: ServerSource) -> str:
    """What a source is and how it stands, for a listing or a hint: "Monitor of Null Output,
    idle, volume 100%", "Built-in Audio, muted"."""
    parts = [x for x in (source.description, source.state) if x]
    if source.muted:
        parts.append("muted")
    elif source.volume:
        parts.append(f"volume {source.volume}")
    return ", ".join(parts)


def portaudio_source(device: str, env: Mapping[str, str]) -> str:
    """What PortAudio's ``device`` records from, in the server's words where it goes through
    the server: "source 'mic.monitor' (Monitor of Null Output, muted) through PortAudio's
    'pulse'"; else just the PortAudio device."""
    if device.lower() in SERVER_DEVICES:
        # The listing marks the default already: pactl is not asked for it a second time.
        found = next((s for s in server_sources(env) or () if s.is_default), None)
        if name := found.name if found else default_source(env):
            about = describe(found) if found else ""
            return f"source '{name}'{f' ({about})' if about else ''} through PortAudio's '{device}'"
    return f"PortAudio device '{device}'"
