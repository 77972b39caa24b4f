"""The text stage: an utterance's transcript on its way to the outputs, in this order:
spoken commands, the user's replacements, post-processing (the user's command or a chat
model), then assembly with the text already delivered (capitals, spacing, joins).

The assembled text is also the prompt's history (deliver/requestprompt.py builds the prompt),
so the prompt reads as punctuated as the outputs: tiny.en stops punctuating after an
unpunctuated prompt (bench/boundary.md). :meth:`TextStage.bias_for` are the words recognition
is biased toward: the user's vocabulary and, while commands are on, the command phrases.

Language. Each piece's language is decided once, at the transcriber, and given to each call
that reads words (``language=``, an ISO-639-1 code): its command table, its unfinished words,
its capitals. None is the run's language (``--language``; English when none), the rules of a
run that knows no better. Nothing here guesses a language from the text.

Pure but for :meth:`TextStage.render`: commands and replacements run in a worker thread (the
user's regular expressions over a long answer must not hold up the event loop), and
post-processing waits on a subprocess or a server, never longer than its timeout.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import deque
from dataclasses import replace

from dictation.text import languages
from dictation.text.assemble import Assembler, Revision
from dictation.text.boundary import (
    BoundaryConfig,
    band_s,
    continues,
    for_language,
    in_effect,
    incomplete,
    punctuates,
    rethinks,
)
from dictation.text.commands import (
    CLAUSE_PUNCT,
    CommandTable,
    Rendered,
    apply,
    bias_phrases,
    build_table,
    parse,
)
from dictation.text.config import TextConfig
from dictation.text.postprocess import PostProcessor
from dictation.text.revise import word_key

log = logging.getLogger("dictation")

RECENT = 10
"""Recent transcripts read to tell whether the engine still punctuates (boundary.punctuates)."""
_WORDS = re.compile(r"\S+")
_CLOSERS = "\"'”’)]}»"
_NO_COMMANDS = CommandTable({}, ())


def split_piece(piece: str) -> tuple[str, str]:
    """(lead, text) of an assembled piece: the spaces that join it to the text before, and
    the rest (which may start with a line break said as a command)."""
    text = piece.lstrip(" ")
    return piece[:len(piece) - len(text)], text


class TextStage:
    """One per run: the command tables, the replacements, the post-processor and the
    session's assembled text."""

    def __init__(self, config: TextConfig) -> None:
        self.config = config
        self.language = languages.code(config.commands.language)
        """The run's language: the rules of a piece whose language is not given."""
        # Every table there is, built now: a bad one fails at start, not mid-session.
        self._tables: dict[str, CommandTable] = {
            languages.code(code): build_table(config.commands, code)
            for code in (self.language, *languages.BUILT_IN, *config.commands.table)}
        self.table = self.table_for()
        self.bias: tuple[str, ...] = self.bias_for()
        """The run language's bias words (:meth:`bias_for`)."""
        self.assembler = Assembler(frozenset(config.vocabulary))
        self.post = PostProcessor(config.post) if config.post.active else None
        self._recent: deque[str] = deque(maxlen=RECENT)

    def _code(self, language: str | None) -> str:
        return languages.code(language, self.language)

    def table_for(self, language: str | None = None) -> CommandTable:
        """The command table of ``language`` (None: the run's); a language with neither a
        built-in nor a configured table has no commands."""
        return self._tables.get(self._code(language)) or _NO_COMMANDS

    def bias_for(self, language: str | None = None) -> tuple[str, ...]:
        """The words recognition is biased toward for a piece in ``language``: the user's
        vocabulary first (the prompt drops from the end when it runs out of room), then that
        language's command phrases."""
        return (*self.config.vocabulary, *bias_phrases(self.table_for(language)))

    def history(self, before_last: bool = False) -> str:
        """The assembled text's tail, for the prompt; ``before_last``: what is in front of
        the newest piece, for transcribing it again."""
        return self.assembler.before_last if before_last else self.assembler.text

    # --- an utterance's text ------------------------------------------------------------

    async def render(self, transcript: str, recent: bool = True, *,
                     language: str | None = None) -> Rendered:
        """Commands (``language``'s table), replacements and post-processing applied to a
        guarded transcript; ``recent``: it is the engine's, read to tell whether it still
        punctuates (not a second model's)."""
        if recent:
            self._recent.append(transcript)
        rendered = await asyncio.to_thread(self._rules, transcript, self.table_for(language))
        if self.post is None or rendered.retract or not rendered.text.strip():
            return rendered
        text = await self.post.process(rendered.text)
        # A command may have rewritten the start: it attaches only if it still is punctuation.
        return replace(rendered, text=text,
                       attach=rendered.attach and text[:1] in CLAUSE_PUNCT + "\n")

    async def preview(self, transcript: str, *, language: str | None = None) -> str:
        """How ``transcript``, the words so far of an utterance still spoken, would read
        delivered now, lead included; "" when it cannot be shown before its text is final:
        it takes text back ("scratch that"), attaches to the piece before (punctuation said
        as a command), or the user's post-processing rewrites it."""
        if self.post is not None:
            return ""
        rendered = await asyncio.to_thread(self._rules, transcript, self.table_for(language))
        if rendered.retract or rendered.attach or not rendered.text.strip(" "):
            return ""
        return self.assembler.preview(rendered.text, self._code(language))

    def _rules(self, transcript: str, table: CommandTable) -> Rendered:
        rendered = apply(transcript, table)
        if rendered.retract:
            return rendered
        return replace(rendered, text=self.config.replacements.apply(rendered.text))

    def ends_with_retract(self, transcript: str, *, language: str | None = None) -> bool:
        """Do the last words of ``transcript`` say "scratch that" (in ``language``)? Two
        utterances transcribed as one lose where the second began: when it ends so, the
        second was most likely the command alone."""
        words = transcript.split()
        table = self.table_for(language)
        for n in range(1, min(len(words), table.longest) + 1):
            ops = parse(" ".join(words[-n:]), table)
            if len(ops) == 1 and ops[0].kind == "scratch":
                return True
        return False

    # --- what the text says about sentences ---------------------------------------------

    @property
    def punctuates(self) -> bool:
        """Does the engine still end its sentences (boundary.punctuates, on the recent
        transcripts)? The endpointer asks the same, through delivery."""
        return punctuates(list(self._recent))

    def boundary(self, language: str | None = None) -> BoundaryConfig:
        """The boundary rules in effect for a piece in ``language``: its words
        (boundary.for_language), the end-mark rule only while the engine punctuates."""
        return in_effect(for_language(self.config.boundary, self._code(language)),
                         self.punctuates)

    def complete(self, piece: str, *, language: str | None = None) -> bool:
        """Does ``piece`` end a sentence, or a line said as a command? Then nothing that
        follows is joined to it."""
        if piece.rstrip(" \t").endswith("\n"):
            return True
        return incomplete(piece, self.boundary(language)) is None

    def rethink_s(self, piece: str) -> float:
        """How long after its last word ``piece``, complete as it reads, stays open to speech
        after a thinking pause (boundary.rethinks); 0: final at once. The model's sentence
        end is doubted, as it writes one after fragments too ("Could you ask Sarah to?"); a
        line break said as a command is not."""
        if piece.rstrip(" \t").endswith("\n"):
            return 0.0
        return band_s(self.config.boundary)

    def rethinks(self, pause_s: float) -> bool:
        """Is ``pause_s`` after a complete-looking piece a thinking pause?"""
        return rethinks(pause_s, self.config.boundary)

    def continues(self, transcript: str, *, language: str | None = None) -> bool:
        """Does ``transcript`` read as the rest of the sentence before it? Never in a
        language whose words are not known."""
        return continues(transcript, self.boundary(language)) is not None

    # --- assembly -------------------------------------------------------------------------

    @property
    def last(self) -> tuple[int, str] | None:
        """The newest piece standing: (seq, its text with its lead)."""
        return self.assembler.last

    def add(self, seq: int, rendered: Rendered, *, language: str | None = None
            ) -> tuple[Revision | None, str]:
        """A new piece in ``language``: (the revision of the piece before, when punctuation
        said as a command replaces the mark the model wrote at its end; the new piece with
        its lead, "" when it has no text)."""
        rev = None
        if rendered.attach and rendered.text[:1] in CLAUSE_PUNCT:
            rev = self.assembler.drop_mark_last()
        return rev, self.assembler.add(seq, rendered.text, rendered.attach,
                                       language=self._code(language))

    def after_last(self, rendered: Rendered) -> Rendered | None:
        """When ``rendered``, the newest piece transcribed again with what followed it,
        starts with the piece's own words and a sentence end after them, the rest: the
        model, hearing both, says the piece was a whole sentence after all ("…wherever your
        cursor is." read as unfinished). None otherwise."""
        last = self.assembler.last
        if last is None or rendered.attach:
            return None
        mine = [word_key(w) for w in last[1].split()]
        words = list(_WORDS.finditer(rendered.text))
        if not mine or len(words) <= len(mine) or \
                [word_key(m[0]) for m in words[:len(mine)]] != mine:
            return None
        if not words[len(mine) - 1][0].rstrip(_CLOSERS).endswith((".", "?", "!")):
            return None
        return Rendered(rendered.text[words[len(mine)].start():])

    def revise_last(self, rendered: Rendered, *, language: str | None = None
                    ) -> Revision | None:
        """The newest piece becomes ``rendered`` (it and what followed, transcribed again,
        in ``language``)."""
        return self.assembler.revise_last(rendered.text, rendered.attach,
                                          language=self._code(language))

    def extend_last(self, rendered: Rendered, *, language: str | None = None
                    ) -> Revision | None:
        """The newest piece goes on with ``rendered``, in ``language`` (the text rule: its
        sentence end, or the mark a punctuation command replaces, taken back)."""
        return self.assembler.extend_last(rendered.text, rendered.attach,
                                          language=self._code(language))

    def retract_last(self) -> Revision | None:
        """Take the newest piece back ("scratch that", undo); it leaves the prompt too."""
        return self.assembler.undo_last()

    async def aclose(self) -> None:
        if self.post is not None:
            await self.post.aclose()
