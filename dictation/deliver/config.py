"""DeliveryConfig: the delivery worker's settings, composed from the other stages' own."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dictation.deliver.refine import RefineConfig
from dictation.deliver.retry import RetryPolicy
from dictation.text.guard import GuardConfig


@dataclass(frozen=True)
class DeliveryConfig:
    keep_dir: Path
    """Where audio that cannot become text is set aside."""
    prompt: str = ""
    """The user's prompt, before the transcript's tail in every request."""
    guard: GuardConfig = field(default_factory=GuardConfig)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    refine: RefineConfig = field(default_factory=RefineConfig)
    """The second pass's bound, when there is a refiner."""
