"""Spoken-command corpus: a short letter dictated with spoken punctuation, line breaks and
"scratch that", and sentences that use the command words as ordinary words.

Each item is one utterance, as the segmenter would send it: the speech with 0.5 s of silence
before (the pre-roll) and after (about the hangover). Two styles of speaking are generated:

- ``run-on``: the commands spoken straight after the words, with no pause;
- ``paused``: a short pause before each command, as people make before a command word (the
  voice is given a comma there, which it speaks as a pause).

The expected text is written by hand, independently of the product's command code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import corpus
import numpy as np

LEAD_S = 0.5
TAIL_S = 0.5
VOICES = [corpus.slt(), corpus.esp("en-us", 160), corpus.esp("en-gb", 150),
          corpus.esp("en-gb-scotland", 160)]
STYLES = ("run-on", "paused")

# The phrases of the built-in English table, written out here again so that the corpus does
# not depend on the code it measures.
PHRASES = ("period", "full stop", "comma", "question mark", "exclamation mark",
           "exclamation point", "colon", "semicolon", "new line", "new paragraph",
           "scratch that", "delete that")


@dataclass(frozen=True)
class Item:
    name: str
    spoken: str
    expect: str
    """What the utterance should become; "" for a retraction."""
    retract: bool = False
    ordinary: bool = False
    """Command words used as words: nothing here may become a command."""


LETTER = [
    Item("greeting", "Dear Sam comma new line", "Dear Sam,\n"),
    Item("thanks", "Thank you for the photos from the trip period",
         "Thank you for the photos from the trip."),
    Item("paragraph", "new paragraph", "\n\n"),
    Item("favourite", "The one from the lake is my favorite exclamation mark",
         "The one from the lake is my favorite!"),
    Item("question", "Did you take it early in the morning question mark",
         "Did you take it early in the morning?"),
    Item("wrong", "We should have stayed another week", "We should have stayed another week"),
    Item("scratch", "scratch that", "", retract=True),
    Item("list", "We still need three things colon", "We still need three things:"),
    Item("items", "tickets comma a map semicolon and some snacks full stop",
         "tickets, a map; and some snacks."),
    Item("weather", "The weather was lovely comma but the hotel was noisy period",
         "The weather was lovely, but the hotel was noisy."),
    Item("delete", "delete that", "", retract=True),
    Item("hope", "I hope you are both well question mark new paragraph",
         "I hope you are both well?\n\n"),
    Item("soon", "See you soon exclamation point new line", "See you soon!\n"),
    Item("love", "Love comma", "Love,"),
    Item("line", "new line", "\n"),
    Item("name", "Ana full stop", "Ana."),
]

ORDINARY = [
    Item("trial", "The trial period ends on Friday.", "The trial period ends on Friday.",
         ordinary=True),
    Item("still", "We are still in the trial period.", "We are still in the trial period.",
         ordinary=True),
    Item("splice", "A comma splice joins two sentences with only a comma.",
         "A comma splice joins two sentences with only a comma.", ordinary=True),
    Item("car", "The car came to a full stop at the lights.",
         "The car came to a full stop at the lights.", ordinary=True),
    Item("email", "Please delete that email before the meeting.",
         "Please delete that email before the meeting.", ordinary=True),
    Item("please", "Please delete that.", "Please delete that.", ordinary=True),
    Item("furniture", "She launched a new line of garden furniture.",
         "She launched a new line of garden furniture.", ordinary=True),
    Item("budget", "There is a question mark over the budget.",
         "There is a question mark over the budget.", ordinary=True),
    Item("idea", "Start a new paragraph for every new idea.",
         "Start a new paragraph for every new idea.", ordinary=True),
    Item("misused", "The semicolon is the most misused mark.",
         "The semicolon is the most misused mark.", ordinary=True),
    Item("costumes", "Period costumes are expensive to make.",
         "Period costumes are expensive to make.", ordinary=True),
    Item("favourite-mark", "My favourite punctuation mark is the colon.",
         "My favourite punctuation mark is the colon.", ordinary=True),
]

_PHRASE_RE = re.compile(r"\b(" + "|".join(sorted(PHRASES, key=len, reverse=True)) + r")\b",
                        re.I)


def spoken(item: Item, style: str) -> str:
    """The text the voice reads. ``paused`` puts a comma before each run of command words
    (the voices pause there); ordinary sentences are read as written in both styles."""
    if item.ordinary or style == "run-on":
        return item.spoken
    text = _PHRASE_RE.sub(r", \1", item.spoken)
    return re.sub(r"\s*,\s*", ", ", text).lstrip(", ")


def clip(item: Item, style: str, voice: corpus.Voice) -> np.ndarray:
    """The utterance as 16 kHz int16 PCM, with the segmenter's silence around it."""
    x = corpus.level(corpus.trim(corpus.synthesize(spoken(item, style), voice)))
    lead = np.zeros(round(LEAD_S * corpus.RATE), np.float32)
    tail = np.zeros(round(TAIL_S * corpus.RATE), np.float32)
    return np.round(np.concatenate([lead, x, tail]) * 32768).astype(np.int16)


def utterances() -> list[tuple[str, str, Item]]:
    """(voice, style, item) in dictation order: per voice, the letter run-on and the ordinary
    sentences, then the letter paused (ordinary sentences sound the same in both styles)."""
    return [(v.label, style, item) for v in VOICES for style in STYLES
            for item in (LETTER if style == "paused" else [*LETTER, *ORDINARY])]


def voice(label: str) -> corpus.Voice:
    return next(v for v in VOICES if v.label == label)
