"""How the run ends, as the worker (worker.Delivery) knows it: capture stopped (what is queued
is still delivered, but no retry waits any longer), something failed (the first failure is
the run's), an abort (Ctrl-C twice: what is not yet text is kept on disk), or the stop grace
ran out (what is not yet text stays in the spool for the next start)."""

from __future__ import annotations

import asyncio

from dictation.errors import DictationError


class Ending:
    def __init__(self) -> None:
        self.stopping = asyncio.Event()
        """Capture stopped: ends waits between retries."""
        self.failed: DictationError | None = None
        """What ended the run early."""
        self.aborted = False
        self.expired: float | None = None
        """The stop grace that ran out, if one did."""

    @property
    def given_up(self) -> bool:
        """No longer waiting for text: aborted, or the stop grace ran out."""
        return self.aborted or self.expired is not None

    def holds(self, retrying: bool) -> bool:
        """Does an utterance wait in the spool for the next start instead of being sent:
        the run failed or gave up, or it is stopping while the engine fails?"""
        return bool(self.failed or self.expired is not None
                    or (self.stopping.is_set() and retrying))

    def fail(self, err: DictationError) -> None:
        """The run ends with ``err``, unless something failed first."""
        self.failed = self.failed or err

    def abort(self) -> None:
        self.aborted = True
        self.fail(DictationError("interrupted"))
        self.stopping.set()

    def expire(self, grace_s: float) -> bool:
        """Stopping took ``grace_s`` already; False if the run had given up before."""
        if self.given_up:
            return False
        self.expired = grace_s
        self.stopping.set()
        return True
