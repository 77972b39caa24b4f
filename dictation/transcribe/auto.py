"""`--local-model auto`: the most accurate model this machine was measured to decode within the
latency budget. It reads the stored measurements only (`dictation models bench` takes them):
measuring would delay dictation, so until a model is measured the answer is the bundled tiny.en.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dictation.transcribe.engines import BUNDLED_MODEL
from dictation.transcribe.models import rank
from dictation.transcribe.speed import Measurement


@dataclass(frozen=True)
class Choice:
    name: str
    path: str | None
    """The model directory; None: the bundled model, found where it is installed."""
    reason: str


def choose(measured: Sequence[Measurement], language: str | None, budget_s: float) -> Choice:
    """The model for ``language`` (None: unset, which dictation treats as English), from the
    models ``measured`` on this machine (their files unchanged since)."""
    english = language in (None, "en")
    usable = [m for m in measured if english or not m.english_only]
    if not usable:
        why = (f"no measured model transcribes '{language}'" if measured
               else "no model measured on this machine yet")
        return Choice(BUNDLED_MODEL, None, f"{why}; `dictation models bench` measures the "
                                           "installed ones")
    fits = [m for m in usable if m.utterance_s <= budget_s]
    if fits:
        best = max(fits, key=lambda m: (rank(m.family, m.english_only, english),
                                        -m.utterance_s))
        among = ("the only model measured" if len(usable) == 1
                 else f"the only one of the {len(usable)} measured that does" if len(fits) == 1
                 else f"the most accurate of the {len(fits)} measured that do")
        return Choice(best.name, best.path,
                      f"decodes the {best.audio_s:.1f} s sample in {best.utterance_s:.2f} s "
                      f"here, within the {budget_s:g} s latency budget; {among}")
    fastest = min(usable, key=lambda m: m.utterance_s)
    return Choice(fastest.name, fastest.path,
                  f"none of the {len(usable)} measured decodes the {fastest.audio_s:.1f} s "
                  f"sample within the {budget_s:g} s latency budget; this one is the "
                  f"fastest ({fastest.utterance_s:.2f} s)")


def choose_refiner(measured: Sequence[Measurement], fast: str, language: str | None,
                   wait_s: float) -> Choice | None:
    """The second pass for a fast model of family ``fast``: the most accurate model measured
    here that is more accurate than it and decodes a sentence of the sample (it holds two)
    within ``wait_s``, the time stdout waits for a refinement; None when none is."""
    english = language in (None, "en")
    floor = rank(fast, False, english)[0]  # a larger family: tiny.en is no second pass to tiny
    fits = [m for m in measured if (english or not m.english_only)
            and rank(m.family, m.english_only, english)[0] > floor
            and m.utterance_s / 2 <= wait_s]
    if not fits:
        return None
    best = max(fits, key=lambda m: (rank(m.family, m.english_only, english), -m.utterance_s))
    return Choice(best.name, best.path,
                  f"more accurate than {fast}, and decodes a sentence of the sample in about "
                  f"{best.utterance_s / 2:.2f} s here, within the {wait_s:g} s that stdout "
                  "waits for a refinement")


def auto_model(language: str | None, budget_s: float) -> Choice:
    from dictation.transcribe.speed import load

    return choose(load(), language, budget_s)
