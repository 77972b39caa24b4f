"""What typing put at the end of the window, newest last, and how to change it (pure).

Typing can only change the end of what it typed, with BackSpaces, so every change is a
:class:`Plan`: the entries from ``at`` on are replaced by ``new``, and the keys are the edit
between their texts (dictation.text.revise.edit). The sink decides whether it may press them
(nobody typed, clicked or moved the focus since those entries were typed).

Two kinds of entry. A piece delivered (final text, or text shown at once that may still be
revised by its join, a refinement or "scratch that"). And live text: the words interims
agreed on, typed while the utterance is still spoken (``live``). Live text is replaced by
whatever its utterance becomes: once the utterance went to delivery it is ``gone``, and the
next piece or revision takes its place; an utterance that ends with no text takes it back.
"""

from __future__ import annotations

from dataclasses import dataclass

from dictation.text.revise import shared_words, word_key


@dataclass
class Typed:
    seq: int
    text: str  # as the window shows it: what was typed for the piece
    epoch: int  # the watcher's count of the user's keys when typing it began
    focus: str | None  # the window it went to; None: the focus moved while typing
    locked: bool = False  # text was added to it that can never be changed
    live: bool = False  # typed during speech, before its utterance's text was delivered
    gone: bool = False  # live text whose utterance went to delivery: the next text replaces it


@dataclass(frozen=True)
class Plan:
    at: int  # entries from here on are replaced
    old: str  # what they show
    new: tuple[tuple[int, str, bool], ...]  # (seq, text, live) of the entries after the change

    @property
    def text(self) -> str:
        return "".join(t for _, t, _ in self.new)


REDO_WORDS = 6
"""Words typed live that the decodes no longer agree with are corrected only once the agreed
words run this many past them: a decode that dropped or changed a word early (the start of
an utterance cut mid-phrase) would otherwise hold every later word back until the final."""


def live_start(entries: list[Typed]) -> int:
    """Index of the first live entry at the end (``len(entries)`` when there is none)."""
    i = len(entries)
    while i and entries[i - 1].live:
        i -= 1
    return i


def _plan(entries: list[Typed], at: int, first: list[tuple[int, str, bool]]) -> Plan:
    """Entries from ``at`` replaced by ``first`` and the live text after it that stays: live
    text of an utterance still spoken is typed again after the change."""
    kept = [(e.seq, e.text, True) for e in entries[at:] if e.live and not e.gone]
    return Plan(at, "".join(e.text for e in entries[at:]), (*first, *kept))


def for_piece(entries: list[Typed], seq: int, piece: str) -> Plan:
    """A new piece ``seq``: it takes the place of the live text gone to delivery. Live words
    typed past its end (the utterance was cut at a breath, and the speaker went on) are the
    start of the next utterance's: they stay, as its live text."""
    at = live_start(entries)
    gone = "".join(e.text for e in entries[at:] if e.gone)
    rest = gone[len(piece):]
    if gone.startswith(piece) and rest[:1].isspace() and rest.strip():
        return _plan(entries, at, [(seq, piece, False), (seq + 1, rest, True)])
    return _plan(entries, at, [(seq, piece, False)])


def for_revision(entries: list[Typed], seq: int, piece: str) -> Plan | None:
    """Piece ``seq`` now reads ``piece`` ("" taken back). None when it is not the newest
    piece typed: it cannot be reached with BackSpaces."""
    i = live_start(entries) - 1
    if i < 0 or entries[i].seq != seq:
        return None
    return _plan(entries, i, [(seq, piece, False)] if piece else [])


def for_live(entries: list[Typed], seq: int, piece: str) -> Plan | None:
    """Utterance ``seq``, still spoken, now has ``piece`` as its agreed words ("" : it ended
    with no text). Live text only grows: words typed are not taken back for a changed
    interim (the final corrects them once), unless the agreed words run :data:`REDO_WORDS`
    past them. None when nothing is to be typed, or while the text of an utterance before
    it is on its way (its place comes first)."""
    start = live_start(entries)
    mine = next((j for j in range(start, len(entries)) if entries[j].seq == seq), None)
    if mine is None:
        if not piece or any(e.gone for e in entries[start:]):
            return None
        return Plan(len(entries), "", ((seq, piece, True),))
    e = entries[mine]
    if e.gone or e.locked or piece == e.text:
        return None
    if piece and not piece.startswith(e.text) and \
            len(piece.split()) < len(e.text.split()) + REDO_WORDS:
        return None  # words typed that changed stay, until the final or a clear lead
    after = [(x.seq, x.text, True) for x in entries[mine + 1:]]
    first = [(seq, piece, True)] if piece else []
    return Plan(mine, "".join(x.text for x in entries[mine:]), (*first, *after))


def for_settle(entries: list[Typed], seq: int | None) -> Plan | None:
    """Live text of utterance ``seq`` (None: all of it, the run ends) that had no text to
    become, taken back; live text after it is typed again. None when there is none, or it
    can no longer be changed."""
    start = live_start(entries)
    at = next((j for j in range(start, len(entries))
               if seq is None or entries[j].seq == seq), None)
    if at is None or entries[at].locked:
        return None
    rest = () if seq is None else tuple((e.seq, e.text, True) for e in entries[at + 1:])
    return Plan(at, "".join(e.text for e in entries[at:]), rest)


def beyond(shown: str, new: str) -> str:
    """The words of ``new`` after those it shares with ``shown`` from the start (case and
    punctuation aside)."""
    words = new.split()
    return " ".join(words[shared_words(shown.split(), words, word_key):])
