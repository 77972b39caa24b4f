"""What the endpointer and its speculation ask of delivery (deliver.worker.Delivery): one
small interface, so that the segment stage never reaches into the next one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from dictation.errors import DictationError
    from dictation.records import Speech
    from dictation.transcript import Hint


class Outlet(Protocol):
    """What the endpointer asks of delivery (deliver.worker.Delivery)."""

    @property
    def failed(self) -> DictationError | None:
        """The run failed: no more speculation or interims."""

    @property
    def free(self) -> bool:
        """Nothing queued or in flight: the next prompt is final and the engine is free."""

    @property
    def idle(self) -> bool:
        """Free, the engine ready and answering: room for an interim."""

    def next_prompt(self) -> str: ...

    def next_hint(self) -> Hint | None:
        """What is known of the next utterance's language (transcribe.Hint)."""

    @property
    def punctuates(self) -> bool:
        """Does the engine still end its sentences, by the texts delivered so far?"""

    def put(self, item: Speech) -> None:
        """Deliver this utterance, after every one put before it."""

    def speaking(self, start_s: float) -> None:
        """An utterance began, its first word at ``start_s`` (capture time): the pause
        before it is known before its text is."""
