"""Errors the user can act on. Each carries one line meant for stderr.

Anything that is not a DictationError is a bug and may show a traceback; everything a user
can cause (config, devices, files, servers, network) is raised as one of these.
"""

from __future__ import annotations


class DictationError(Exception):
    """A user-facing failure; ``str(err)`` is the single line printed to stderr."""

    exit_code = 1


class ConfigError(DictationError):
    """Bad option, bad value or missing setting."""

    exit_code = 2


class DeviceError(DictationError):
    """No input device, an unknown or busy device, or PortAudio missing."""


class NoInputDevice(DeviceError):
    """Nothing to capture from at all (no sound server, nothing plugged in): worth waiting for."""


class UnknownDevice(DeviceError):
    """Devices exist but ``--input`` names none (or several) of them: most likely a typo."""

    exit_code = 2


class AudioFileError(DictationError):
    """An input file that cannot be read as audio."""


class TranscriptionError(DictationError):
    """A request to the speech-to-text engine failed.

    ``retryable``: the same request may succeed later (network, 429, 5xx).
    ``fatal``: no later request can succeed either (bad key, wrong model or URL), so stop.
    """

    def __init__(self, message: str, *, retryable: bool = False, fatal: bool = False,
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.fatal = fatal
        self.retry_after = retry_after


class SinkError(DictationError):
    """A sink (clipboard, typing tool) cannot deliver text."""


class ServiceError(DictationError):
    """systemd could not enable or start the user service."""
