"""One utterance's way from audio to the outputs, for the delivery worker: its text from the
engine (retried per the policy), judged by the guard, through the text stage, and then one of
three things:

- **joined**: the newest piece is a fragment still open (not final, its audio held, the pause
  short, the utterance heard in its language: join.in_language): both are transcribed again
  in one request, and the piece is revised to the text of both; the utterance makes no piece
  of its own;
- **extended**: the newest piece is not final but its audio is gone (too long, a dead run's),
  and the text reads as its continuation (boundary.continues) or attaches to it (punctuation
  or a line break said as a command): the piece loses its sentence end and goes on;
- **a new piece**; the piece before it is final then.

"Scratch that", and ``dictation ctl undo``, take the newest piece back the same way, and so
does a refinement (deliver/refine.py): a better model's text of the newest piece.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from dictation.deliver.finality import Finality
from dictation.deliver.guarded import Guarded
from dictation.deliver.join import Held, in_language
from dictation.deliver.live import LiveText
from dictation.deliver.pieces import Pieces
from dictation.deliver.refine import revision
from dictation.deliver.requestprompt import Prompt, Prompter
from dictation.deliver.retry import Retrying
from dictation.logtext import Said
from dictation.records import Final, Revised, Speech, Stats, Transcribed
from dictation.text.assemble import Revision
from dictation.text.guard import GuardConfig, bias_words
from dictation.text.stage import TextStage, split_piece

if TYPE_CHECKING:
    from dictation.deliver.host import Worker
    from dictation.deliver.refine import Refiner
    from dictation.output.sinks import Sink
    from dictation.records import Observer
    from dictation.text.commands import Rendered
    from dictation.transcribe import Hint, Transcript

log = logging.getLogger("dictation")


class Sender:
    def __init__(self, retrying: Retrying, sinks: list[Sink], stage: TextStage, worker: Worker,
                 observer: Observer, *, prompt: str, guard: GuardConfig, stats: Stats,
                 refiner: Refiner | None = None) -> None:
        """``worker``: who reports and keeps audio (Delivery); ``observer``: hears each piece
        and revision; ``refiner``: the second pass."""
        self.retrying = retrying
        self.stage = stage
        self.pieces = Pieces()
        self.prompter = Prompter(stage, prompt, pieces=self.pieces.all,
                                 languages=retrying.engine.transcriber.languages)
        self.guarded = Guarded(retrying, guard, stats,
                               lambda lang: bias_words(stage.bias_for(lang)))
        self.stats = stats
        self.refiner = refiner
        self.finality = Finality(sinks, observer, stage, worker, refiner)
        self.live = LiveText(stage, sinks, lambda: self.pieces.language)
        self.delivered = 0
        """Utterances whose text reached the outputs."""
        self._worker = worker

    @property
    def language(self) -> str | None:
        """The newest piece's language."""
        return self.pieces.language

    def next_prompt(self) -> str:
        """The prompt of the next utterance to be transcribed."""
        return self.prompter.prompt().text

    def next_hint(self) -> Hint:
        """What is known of the next utterance: its language, and the words it begins with
        (those typed live of the utterance still spoken)."""
        return self._prompt(self.live.prefix()).hint

    def _prompt(self, prefix: str = "") -> Prompt:
        """The next prompt; ``prefix``: words typed live its text must begin with (LiveText)."""
        prompt = self.prompter.prompt()
        return replace(prompt, hint=replace(prompt.hint, prefix=prefix)) if prefix else prompt

    @property
    def punctuates(self) -> bool:
        """Does the engine still end its sentences, by the texts delivered so far?"""
        return self.stage.punctuates

    async def send(self, item: Speech, current: Callable[[], bool]) -> None:
        """Transcribe ``item`` and deliver its text, unless the guard drops it or it is
        cancelled meanwhile (``current()`` turns false). Raises Postponed, MadeUp,
        TranscriptionError or SinkError (stdout's) for the worker to settle."""
        self.stats.utterances += 1
        self.live.absorb(item.seq)  # what it becomes replaces the words typed live
        prefix = self.live.prefix_of(item.seq, item.end_s)
        try:
            held = self._open(item)
            if held is not None and not await self._same_language(held, item):
                held = None
            if held is not None:
                if item.speculation:  # its prompt and audio were the utterance's alone
                    item.speculation.call.discard()
                    item = replace(item, speculation=None)
                if await self._send_joined(item, held, current) or not current():
                    return
            await self._send_alone(item, current, prefix)
        finally:
            self.live.done(item.seq)

    def speaking(self, start_s: float) -> None:
        """An utterance began, its first word at ``start_s`` (Finality.speaking)."""
        self.finality.speaking(start_s)

    async def undo(self) -> None:
        """Take the newest piece back (``dictation ctl undo``)."""
        await self._retract("undo")

    async def close(self) -> None:
        """The run ends: the pending piece is final, once its refinement is back or its
        bound passed; raises stdout's error."""
        if self.refiner and (seq := await self.refiner.finish()) is not None:
            await self.refined(seq)
            self.refiner.drop()
        await self.finality.close()
        await self.live.close()

    async def refined(self, seq: int) -> None:
        """Piece ``seq``'s refinement is back: the piece is revised to its text, if the
        piece still reads as it did when it was offered and the guard lets the text through.
        Any other outcome leaves the piece as the fast model wrote it."""
        if self.refiner is None or (got := self.refiner.take(seq)) is None:
            self.finality.refined(seq)  # given up: a piece that waited for it is final
            return
        r, result = got
        try:
            if self.stage.last != (seq, r.piece) or self.finality.pending is None:
                self.refiner.stats.late += 1  # it changed, or went final, meanwhile
                return
            rev = await revision(r, result, self.guarded, self.stage, self.refiner.stats)
            if rev is not None:
                log.debug("utterance %d: refined", seq)
                held = self.finality.held
                await self._revise(rev, self.pieces.of(seq, r.piece),
                                   held if held is not None and held.seq == seq else None,
                                   why="refined")
        finally:
            self.finality.refined(seq)

    def _refine(self, seq: int, speech: Speech) -> None:
        """Offer the newest piece, ``seq``, shown from ``speech``'s audio, to the refiner,
        once it reads as a whole sentence: a fragment is heard again with what follows it
        anyway, and its refinement would only be revised away."""
        if self.refiner is not None and (last := self.stage.last) and last[0] == seq:
            piece = self.pieces.get(seq)
            if not self.stage.complete(last[1], language=piece.language if piece else None):
                return
            prompt = self.prompter.prompt(before_last=True)
            if piece is not None and piece.language:  # decided once: the refiner keeps it
                prompt = replace(prompt, hint=replace(prompt.hint, language=piece.language))
            self.refiner.offer(seq, last[1], speech, prompt)

    # --- the three ways -------------------------------------------------------------------

    def _open(self, item: Speech) -> Held | None:
        """The pending piece's audio, if ``item`` may be transcribed together with it."""
        held = self.finality.joinable
        return held if held is not None and held.takes(item, self.stage.rethinks) else None

    async def _same_language(self, held: Held, item: Speech) -> bool:
        piece = self.pieces.get(held.seq)
        return await in_language(piece.language if piece else None, held, item,
                                 self.retrying.engine.languages_of)

    async def _send_joined(self, item: Speech, held: Held, current: Callable[[], bool]
                           ) -> bool:
        """The open fragment and ``item`` in one request, the fragment revised to the text
        of both. False when ``item`` is to be sent alone after all: the guard dropped the
        joint text (``item`` alone may still be speech), the joint text left ``item``'s words
        out, it ends with "scratch that" (which counts only as an utterance of its own), or
        the piece became final meanwhile."""
        joint = held.joined(item)
        got = await self.guarded.text(joint.request(item), self.prompter.prompt(before_last=True),
                               current)
        if got is None:
            return False
        text, result = got
        lang = result.language
        last = self.stage.last
        if self.stage.ends_with_retract(text, language=lang) or \
                held.left_out(item, len(last[1].split()) if last else 0, text):
            return False
        rendered = await self.stage.render(text, language=lang)
        pending = self.finality.pending
        if pending is None or pending.seq != held.seq or not rendered.text.strip(" "):
            return False
        if (rest := self.stage.after_last(rendered)) is not None:
            log.debug("utterance %d: the one before was a whole sentence", item.seq)
            self.delivered += 1  # its own piece, worded with the fragment heard before it
            await self._new_piece(item, rest, replace(result, segments=()))
            return True
        self.stats.joined += 1
        self.delivered += 1
        log.debug("utterance %d: joined to utterance %d", item.seq, held.seq)
        rev = self.stage.revise_last(rendered, language=lang)
        if rev is None:  # nothing new to show (a cough), but the piece now holds both
            self.finality.held = joint
            return True
        s = joint.speech
        base = Transcribed(held.seq, "", s.start_s, s.end_s, s.speech_start_s, s.speech_end_s,
                           joint.timed(result.segments), language=result.language)
        self._refine(held.seq, joint.speech)
        await self._revise(rev, base, joint, why="joined")
        return True

    async def _send_alone(self, item: Speech, current: Callable[[], bool], prefix: str = ""
                          ) -> None:
        """``prefix``: the words typed live that its text begins with (LiveText)."""
        got = await self.guarded.text(item, self._prompt(prefix), current)
        if got is None:
            return
        text, result = got
        lang = result.language
        rendered = await self.stage.render(text, language=lang)
        self.delivered += 1
        if rendered.retract:
            await self._retract(f"utterance {item.seq}: scratch that")
            return
        pending = self.finality.pending
        # Text in another language than the pending piece's is a piece of its own, as it
        # is never joined to it (_same_language).
        if pending is not None and (rendered.attach or (
                pending.language in (None, lang) and self.stage.continues(text, language=lang))):
            await self._extend(item, pending, rendered, result)
            return
        await self._new_piece(item, rendered, result)

    async def _extend(self, item: Speech, pending: Transcribed, rendered: Rendered,
                      result: Transcript) -> None:
        """``item``'s text goes on in the pending piece (the text rule)."""
        rev = self.stage.extend_last(rendered, language=result.language)
        if rev is None:
            return
        log.debug("utterance %d: continues utterance %d", item.seq, pending.seq)
        shift = item.start_s - pending.start_s
        base = replace(pending, end_s=item.end_s, speech_end_s=item.speech_end_s,
                       segments=(*pending.segments, *(replace(s, start=s.start + shift,
                                                              end=s.end + shift)
                                                      for s in result.segments)))
        if self.refiner:
            self.refiner.drop(pending.seq)  # its audio and text no longer match
        await self._revise(rev, base, None, why="continued")

    async def _new_piece(self, item: Speech, rendered: Rendered, result: Transcript) -> None:
        mark, piece = self.stage.add(item.seq, rendered, language=result.language)
        if mark is not None:  # a punctuation command replaced the final piece's own mark
            await self._revise(mark, self.pieces.of(mark.seq, mark.old), None, why="punctuation")
        if not piece:
            return
        lead, body = split_piece(piece)
        done = Transcribed(item.seq, body, item.start_s, item.end_s, item.speech_start_s,
                           item.speech_end_s, result.segments, item.recovered, lead,
                           result.language)
        self.pieces.remember(done)
        if not item.recovered and not rendered.attach:
            self._refine(item.seq, item)  # first: stdout then knows to wait for it
        errors = await self.finality.show(Final(done, item.since_last_word(), item.recovered),
                                          piece, None if item.recovered else Held.of(item))
        if errors:  # the line shows the text only with --log-text: the audio keeps it anyway
            where = f"; audio kept in {kept}" if (kept := self._worker.keep(item)) else ""
            for e in errors:
                self._worker.error("%s (text: %s%s)", e, Said(body), where)

    # --- revisions --------------------------------------------------------------------------

    async def _revise(self, rev: Revision, base: Transcribed, held: Held | None, *,
                      why: str) -> None:
        """Hand ``rev`` to the outputs, the piece now ``base`` with the revised text."""
        lead, body = split_piece(rev.new)
        item = replace(base, text=body, lead=lead)
        self.pieces.remember(item)
        await self.finality.revise(Revised(rev.seq, rev.old, rev.new, item, why), held)

    async def _retract(self, why: str) -> None:
        rev = self.stage.retract_last()
        if rev is None:
            log.debug("%s: nothing to take back", why)
            return
        log.debug("%s: took back utterance %d", why, rev.seq)
        item = self.pieces.of(rev.seq, rev.old)
        self.pieces.forget(rev.seq)
        if self.refiner:
            self.refiner.drop(rev.seq)
        await self.finality.retract(Revised(rev.seq, rev.old, "", item,
                                            "undo" if why == "undo" else "scratch that"))
