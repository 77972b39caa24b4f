"""What delivery asks of whoever runs it, as two small protocols instead of callbacks threaded
through constructors. The text itself goes to the observer (records.Observer).

- :class:`Host`: what the worker (worker.Delivery) asks of the pipeline around it;
- :class:`Worker`: what one utterance's way (send.py, finality.py) asks of the worker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from pathlib import Path

    from dictation.errors import DictationError
    from dictation.records import Speech


class Host(Protocol):
    @property
    def hearing(self) -> bool:
        """An utterance is being spoken: a fragment's continuation may be."""
        ...

    @property
    def heard_s(self) -> float:
        """Capture time of the audio heard so far."""
        ...

    def changed(self) -> None:
        """The status may have changed."""

    def stop(self) -> None:
        """End the run: something failed for good."""


class Worker(Protocol):
    @property
    def busy(self) -> bool:
        """Speech is heard, or an utterance waits for its text: it decides what follows."""
        ...

    @property
    def heard_s(self) -> float:
        """Capture time of the audio heard so far."""
        ...

    def error(self, message: str, *args: object) -> None:
        """Report a failure (a sink's); the status shows it too."""

    def fatal(self, err: DictationError) -> None:
        """The run ends with ``err`` (stdout failed outside an utterance's delivery)."""

    def keep(self, item: Speech) -> Path | None:
        """Set ``item``'s audio aside; where, if it was."""
        ...
