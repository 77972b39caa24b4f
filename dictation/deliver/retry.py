"""When to try a failed transcription again: one pure policy for every engine call, the outage
it makes, and the loop that applies both to one utterance.

Retryable failures (network, timeouts, 408, 409, 425, 429, 5xx) are retried with capped
exponential backoff and jitter, honouring the server's Retry-After. By default an utterance
is retried for as long as it takes: a live daemon outlives a minute-long outage or flaky
Wi-Fi, and utterance N+1 never overtakes N. ``give_up_s`` bounds that for those who prefer
losing a little order to waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dictation.errors import TranscriptionError
from dictation.records import EngineCall, Kind, Speech, Stats
from dictation.transcribe import Hint, Transcript

if TYPE_CHECKING:
    from dictation.transcribe.scheduler import Scheduler

log = logging.getLogger("dictation")


@dataclass(frozen=True)
class RetryPolicy:
    base_s: float = 0.5
    """Delay before the first retry; it doubles with each failure of the same utterance."""
    cap_s: float = 30.0
    """No wait is longer, whatever the attempt count or the server's Retry-After."""
    jitter: float = 0.5
    """Fraction of each delay drawn at random, so clients that failed together do not
    retry in step."""
    give_up_s: float | None = None
    """Stop retrying an utterance once this long has passed since its first failure;
    None: never."""

    def __post_init__(self) -> None:
        if not (0 < self.base_s <= self.cap_s and 0 <= self.jitter <= 1):
            raise ValueError("retry policy needs 0 < base ≤ cap and 0 ≤ jitter ≤ 1")
        if self.give_up_s is not None and self.give_up_s < 0:
            raise ValueError("give-up time must be ≥ 0")

    def delay(self, failures: int, retry_after: float | None = None,
              rand: float | None = None) -> float:
        """Seconds to wait after the ``failures``-th failure (1-based) of one utterance.

        A Retry-After from the server wins over the backoff (it knows its own load), but
        never beyond the cap. ``rand`` in [0, 1) replaces the random draw, for tests."""
        if retry_after is not None:
            return min(self.cap_s, max(0.0, retry_after))
        backoff = min(self.cap_s, self.base_s * 2 ** min(max(failures, 1) - 1, 30))
        r = random.random() if rand is None else rand
        return backoff * (1 - self.jitter * r)

    def gives_up(self, failing_s: float) -> bool:
        """Whether to stop, given how long this utterance has been failing (its next wait
        included, so nobody sleeps past the limit only to give up then)."""
        return self.give_up_s is not None and failing_s >= self.give_up_s


@dataclass
class Outage:
    """One warning when the engine starts failing, one line when it answers again: never a
    line per attempt. Times are monotonic seconds; the caller logs what this returns."""

    since: float | None = None

    def failed(self, now: float) -> bool:
        """True for the first failure of an outage (the moment to warn)."""
        if self.since is not None:
            return False
        self.since = now
        return True

    def recovered(self, now: float) -> float | None:
        """How long the outage lasted, if one just ended; None if there was none."""
        if self.since is None:
            return None
        down, self.since = now - self.since, None
        return down


class Postponed(Exception):
    """Stopping while the engine fails: the utterance waits in the spool for the next start."""


class Retrying:
    """One utterance's transcription for the delivery worker, retried per the policy while
    utterance N+1 waits: the speculation's answer if its prompt still holds, else the engine.
    A wait between attempts ends early at a stop (Postponed) or a cancel."""

    def __init__(self, engine: Scheduler, policy: RetryPolicy, stats: Stats,
                 stopping: asyncio.Event, *, waiting: Callable[[], int], spooled: bool,
                 reported: Callable[[str | None], None]) -> None:
        """``waiting``: how many utterances wait, for the outage's lines; ``reported``: the
        engine's error when an outage starts, None when it ends."""
        self.engine = engine
        self.policy = policy
        self.stats = stats
        self.stopping = stopping
        self.outage = Outage()
        self._waiting = waiting
        self._where = " in the spool" if spooled else ""
        self._reported = reported

    async def transcribe(self, item: Speech, prompt: str, current: Callable[[], bool],
                         hint: Hint | None = None) -> Transcript:
        """The text of ``item``; empty if it was cancelled while it waited (``current()``
        false)."""
        spec = item.speculation
        early = spec.call if spec and spec.prompt == prompt else None
        if spec and early is None:  # an earlier utterance changed the transcript since
            spec.call.discard()
        elif early is not None:
            early.promote(Kind.FINAL)  # someone waits for it now
        failures, first = 0, 0.0
        while True:
            try:
                result = await self._attempt(item, prompt, early, hint)
            except TranscriptionError as err:
                early = None
                if not err.retryable:
                    if not err.fatal:
                        self._answered()  # a refusal is an answer: the server is back
                    raise
                now = time.monotonic()
                failures += 1
                first = first or now
                await self._wait(item, err, failures, now, first)
                if not current():
                    return Transcript("")  # cancelled while it waited
                continue
            self._answered()
            return result

    def _answered(self) -> None:
        """The engine answered: an outage, if there was one, is over."""
        if (down := self.outage.recovered(time.monotonic())) is not None:
            log.info("the engine answers again after %.1f s of failures; delivering %d "
                     "utterance(s)", down, self._waiting())
            self._reported(None)

    async def _attempt(self, item: Speech, prompt: str, early: EngineCall | None,
                       hint: Hint | None) -> Transcript:
        if early is not None:
            result: Transcript = await early.result()
            self.stats.speculations_used += 1
            return result
        return await self.engine.transcribe(Kind.FINAL, item.pcm, prompt, hint)

    async def _wait(self, item: Speech, err: TranscriptionError, failures: int, now: float,
                    first: float) -> None:
        """Wait before the next attempt; raise to give up (the policy) or stop."""
        delay = self.policy.delay(failures, err.retry_after)
        if self.outage.failed(now):
            log.warning("%s; %d utterance(s) wait%s; retrying", err, self._waiting(),
                        self._where)
            self._reported(str(err))
        if self.policy.gives_up(now - first + delay):
            raise TranscriptionError(
                f"gave up on utterance {item.seq} after {now - first:.0f} s of failures "
                f"(--give-up-after): {err}") from None
        log.debug("utterance %d: %s; retry %d in %.1f s", item.seq, err, failures, delay)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), delay)
        if self.stopping.is_set():
            raise Postponed from None
