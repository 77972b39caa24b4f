"""When to try a failed transcription again: one pure policy for every engine call.

Retryable failures (network, timeouts, 408, 409, 425, 429, 5xx) are retried with capped
exponential backoff and jitter, honouring the server's Retry-After. By default an utterance
is retried for as long as it takes: a live daemon outlives a minute-long outage or flaky
Wi-Fi, and utterance N+1 never overtakes N. ``give_up_s`` bounds that for those who prefer
losing a little order to waiting.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


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
