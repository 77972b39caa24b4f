"""Text across utterance boundaries: each utterance's text as it follows the text already
delivered, and the revision of a piece already delivered.

The engine transcribes each utterance on its own and writes it as a sentence: a capital at
the start, a period at the end. When the speaker paused mid-sentence that is wrong twice:
"The invoice from the printing company." + "Still has the wrong billing address on it." must
read as one sentence. :func:`join` formats a new utterance against what came before;
:func:`unfinish` takes back a delivered fragment's sentence end; :class:`Revision` and
:func:`edit` tell an output how to change what it shows; :class:`Assembler` keeps the
session's delivered text so all outputs, and the prompt, share one version of it.

Proper nouns. When a lower-case start is due, the first word keeps its capital if it is "I"
(or I'm, I'll, I've, I'd), a day or month name, in the user's vocabulary (``keep_caps``),
spelled with a capital after its first letter (NASA, GitHub, McDonald), or a word the
transcript has already shown capitalised in the middle of a sentence (the model capitalises
names there, and only names). A name never seen mid-sentence is lower-cased: the price of
reading nothing but text. That is English; each language's rules are in capitals.py (German
lower-cases only words known to be lower-case, another language nothing).

Only bounded tails of the delivered text are read, so the cost of a call does not grow with
the session.
"""

from __future__ import annotations

import re

from dictation.text import capitals
from dictation.text.capitals import ABBREVIATIONS, I_FORMS, Capitals
from dictation.text.revise import Revision, backspace_safe, edit  # re-exported

__all__ = ["Assembler", "Revision", "backspace_safe", "edit", "join", "proper_nouns",
           "unfinish"]

TAIL_CHARS = 2000
"""Delivered text kept and read: enough for the prompt (~200 characters) and for the names
seen in the last few minutes of dictation."""
MAX_PIECES = 50  # delivered pieces that can still be revised or undone, newest last
MAX_NAMES = 500  # proper nouns learned in a session, oldest forgotten first

_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_OPENERS = "\"'“‘([{¿¡«"
_CLOSERS = "\"'”’)]}»"
_NO_SPACE_BEFORE = ",.;:!?)]}…%"
_NO_SPACE_AFTER = "([{“‘¿¡«"  # an opening bracket or quote: '"' may close, so not that
_MARKS = ",.;:!?…"  # what a punctuation command replaces at the end of the piece before
# A token that restarts capitalisation: a sentence end, a line break, a colon or quote.
_TOKENS = re.compile(r"([^\W\d_][\w'’-]*)|([.?!…:\n\"“])")


def _sentence_ended(before: str) -> bool:
    """Does ``before`` end where a sentence starts: nothing, a line break, or . ? ! that is
    neither an ellipsis nor an abbreviation's period?"""
    s = before.rstrip(" \t")
    if not s or s.endswith("\n"):
        return True
    core = s.rstrip(_CLOSERS)
    if not core or core.endswith(("…", "..")) or core[-1] not in ".?!":
        return False
    return core[-1] != "." or not _abbreviation(core[:-1])


def _abbreviation(text: str) -> bool:
    """Is the period after ``text`` an abbreviation's ("Dr.", "e.g.", an initial "J.")?"""
    m = re.search(r"([^\W\d_]+(?:\.[^\W\d_]+)*)$", text[-40:])
    if not m:
        return False
    token = m[1]
    return ("." in token or token.lower() in ABBREVIATIONS
            or (len(token) == 1 and token.isupper() and token != "I"))


def proper_nouns(text: str) -> set[str]:
    """Words ``text`` shows capitalised in the middle of a sentence (not "I"): the model's
    sign of a name. The start of ``text`` counts as a sentence start."""
    found: set[str] = set()
    start = True
    for m in _TOKENS.finditer(text[-TAIL_CHARS:]):
        word = m[1]
        if word is None:
            start = True
            continue
        if not start and word[0].isupper() and word.lower() not in I_FORMS:
            found.add(word)
        start = False
    return found


def _keeps_capital(word: str, before: str, after: str, keep: frozenset[str],
                   caps: Capitals) -> bool:
    """Must ``word``, first of a new utterance between ``before`` and ``after``, keep its
    capital (a name, or a capital its language requires)?"""
    low = word.lower()
    if caps.lower == "never" or any(c.isupper() for c in word[1:]):
        return True
    if low in {k.lower() for k in keep}:
        return True
    if caps.lower == "known":
        return low not in caps.lower_words
    if low in caps.i_forms or low in caps.always:
        return True
    title = re.search(r"([^\W\d_]+)\.\s*$", before[-40:])
    if title and title[1].lower() in caps.titles:
        return True  # "Dr." + "Smith"
    # Its own place is left out: the new utterance's first word is not mid-sentence there.
    return word in proper_nouns(f"{before}\n{after}")


def join(before: str, text: str, keep_caps: frozenset[str] = frozenset(),
         attach: bool = False, language: str | None = None) -> str:
    """``text``, a new utterance's transcript, as it should follow ``before``, the text
    delivered so far in this session ("" at the start).

    - A space first, unless ``before`` is empty, ends in white space, a line break or an
      opening bracket, or ``text`` starts with punctuation that takes none.
    - A capital first letter after . ? ! or at the start.
    - A lower-case first word anywhere else (after a comma, an ellipsis, or text without an
      end mark), unless it keeps its capital (see the module's note on proper nouns;
      ``keep_caps`` is the user's vocabulary), by the rules of ``language`` (None:
      English; capitals.py).
    - ``attach`` (text starting with punctuation or a line break said as a command): no
      space, and the text as it is.

    Line breaks at either end are kept: they were said ("new line").
    """
    text = text.strip(" \t")
    if attach:
        return text
    if not text.strip():
        return ""
    tail = before[-TAIL_CHARS:]
    space = "" if (not tail or tail[-1].isspace() or tail[-1] in _NO_SPACE_AFTER
                   or text[0] in _NO_SPACE_BEFORE) else " "
    m = _WORD.match(text, len(text) - len(text.lstrip(_OPENERS)))
    if m is None:
        return space + text
    word, at = m[0], m.start()
    if _sentence_ended(tail):
        if word[0].islower() and not any(c.isupper() for c in word[1:]):
            word = word[0].upper() + word[1:]
    elif word[0].isupper() and not _keeps_capital(
            word, tail, text[m.end():m.end() + TAIL_CHARS], keep_caps,
            capitals.for_language(language)):
        word = word[0].lower() + word[1:]
    return space + text[:at] + word + text[m.end():]


def unfinish(fragment: str) -> str:
    """``fragment`` as it reads when its sentence goes on: a trailing period or ellipsis
    ("." "..." "…") is removed, inside any closing quote or bracket, and so is trailing white
    space. An abbreviation's period stays ("Dr."), and so do "?" and "!": those are the
    model's deliberate choice, so a continuation after them starts a new sentence; a pipeline
    that finds them wrong transcribes the sentence again instead. A fragment ending in a line
    break stays as it is: the line was ended on purpose ("new line")."""
    s = fragment.rstrip(" \t")
    if s.endswith("\n"):
        return s
    core = s.rstrip(_CLOSERS)
    closers = s[len(core):]
    if core.endswith("…"):
        return core[:-1].rstrip() + closers
    if core.endswith("..."):
        return core.rstrip(".").rstrip() + closers
    if core.endswith(".") and not _abbreviation(core[:-1]):
        return core[:-1].rstrip() + closers
    return s


# --- the session's text --------------------------------------------------------------------

class Assembler:
    """The text delivered in one session, as every output shows it: each utterance's piece
    formatted by :func:`join` against the pieces before it, the recent pieces revisable.

    The pipeline calls :meth:`add` with each utterance's text and hands the outputs what it
    returns; when a later utterance turns out to continue a delivered fragment, it calls
    :meth:`unfinish_last` or :meth:`revise_last` and hands the outputs the
    :class:`Revision`. :attr:`text` is the delivered tail, for the prompt. Only the newest
    piece is revised; :meth:`undo_last` takes pieces back newest first.
    """

    def __init__(self, keep_caps: frozenset[str] = frozenset()) -> None:
        self._keep = frozenset(keep_caps)
        self._names: dict[str, None] = {}  # learned proper nouns, oldest first
        self._older = ""  # pieces no longer revisable: their last TAIL_CHARS
        self._pieces: list[tuple[int, str]] = []  # (seq, delivered text), newest last

    @property
    def text(self) -> str:
        """The last :data:`TAIL_CHARS` of everything delivered, revisions applied."""
        return self._before(len(self._pieces))

    @property
    def last(self) -> tuple[int, str] | None:
        """The newest piece still standing: (seq, its delivered text)."""
        return self._pieces[-1] if self._pieces else None

    def _before(self, i: int) -> str:
        """The delivered tail in front of piece ``i``, reading back only as far as needed."""
        parts: list[str] = []
        size = 0
        for _, piece in reversed(self._pieces[:i]):
            parts.append(piece[-TAIL_CHARS:])
            size += len(parts[-1])
            if size >= TAIL_CHARS:
                break
        else:
            parts.append(self._older)
        return "".join(reversed(parts))[-TAIL_CHARS:]

    def _caps(self) -> frozenset[str]:
        return self._keep | self._names.keys()

    def _learn(self, piece: str) -> None:
        for name in proper_nouns(piece):
            self._names.pop(name, None)
            self._names[name] = None
        while len(self._names) > MAX_NAMES:
            del self._names[next(iter(self._names))]

    def add(self, seq: int, text: str, attach: bool = False, *,
            language: str | None = None) -> str:
        """Record utterance ``seq``; returns its text as delivered. An utterance without
        text delivers "" and is not recorded: no output shows anything to revise.
        ``attach``, ``language``: see :func:`join`."""
        piece = join(self.text, text, self._caps(), attach, language)
        if not piece:
            return ""
        self._pieces.append((seq, piece))
        if len(self._pieces) > MAX_PIECES:
            _, oldest = self._pieces.pop(0)
            self._older = (self._older + oldest)[-TAIL_CHARS:]
        self._learn(piece)
        return piece

    def preview(self, text: str, language: str | None = None) -> str:
        """``text`` as :meth:`add` would deliver it now, without adding it."""
        return join(self.text, text, self._caps(), False, language)

    def _replace_last(self, new: str) -> Revision | None:
        if not self._pieces or self._pieces[-1][1] == new:
            return None
        seq, old = self._pieces[-1]
        self._pieces[-1] = (seq, new)
        self._learn(new)
        return Revision(seq, old, new)

    def revise_last(self, text: str, attach: bool = False, *,
                    language: str | None = None) -> Revision | None:
        """The newest piece becomes ``text`` (raw: formatted like :meth:`add`), for example
        a fragment transcribed again together with its continuation. None when nothing
        changes or nothing was delivered."""
        if not self._pieces:
            return None
        return self._replace_last(join(self._before(len(self._pieces) - 1), text,
                                       self._caps(), attach, language))

    @property
    def before_last(self) -> str:
        """The delivered tail in front of the newest piece: the prompt for transcribing it
        again."""
        return self._before(max(0, len(self._pieces) - 1))

    def drop_mark_last(self) -> Revision | None:
        """The newest piece without the punctuation that ends it: a mark said as a command
        ("comma") replaces the one the model wrote ("Dear Sam." + "," → "Dear Sam,"). None
        when it ends in none."""
        if not self._pieces:
            return None
        piece = self._pieces[-1][1]
        kept = piece.rstrip(_MARKS)
        return self._replace_last(kept) if kept.strip() and kept != piece else None

    def extend_last(self, text: str, attach: bool = False, *,
                    language: str | None = None) -> Revision | None:
        """The newest piece goes on with ``text`` (raw), when a continuation is joined by the
        text alone: its sentence end is taken back first (:func:`unfinish`); before
        punctuation said as a command (``attach``), the mark the model wrote there ("Dear
        Sam." + "," → "Dear Sam,"); before a line break, nothing. None when nothing changes."""
        if not self._pieces:
            return None
        piece = self._pieces[-1][1]
        head = text.lstrip(" \t")[:1]
        base = unfinish(piece) if not attach else (
            piece.rstrip(_MARKS) if head in _MARKS and piece.rstrip(_MARKS).strip() else piece)
        more = join(self._before(len(self._pieces) - 1) + base, text, self._caps(), attach,
                    language)
        return self._replace_last(base + more) if more else None

    def unfinish_last(self) -> Revision | None:
        """The newest piece without its sentence end (:func:`unfinish`), so that the next
        piece continues its sentence. None when it has none to remove."""
        return self._replace_last(unfinish(self._pieces[-1][1])) if self._pieces else None

    def undo_last(self) -> Revision | None:
        """Take the newest piece back ("scratch that", undo): a revision to ""."""
        if not self._pieces:
            return None
        seq, old = self._pieces.pop()
        return Revision(seq, old, "")
