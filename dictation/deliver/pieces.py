"""The pieces of text standing, as delivered and revised: their times, segments and language,
for revising them and for each language's prompt. Bounded: the assembler revises no piece
older than its last MAX_PIECES."""

from __future__ import annotations

from collections import OrderedDict

from dictation.records import Transcribed
from dictation.text.assemble import MAX_PIECES
from dictation.text.stage import split_piece


class Pieces:
    def __init__(self) -> None:
        self._items: OrderedDict[int, Transcribed] = OrderedDict()

    def all(self) -> list[Transcribed]:
        """Oldest first."""
        return list(self._items.values())

    def get(self, seq: int) -> Transcribed | None:
        return self._items.get(seq)

    @property
    def language(self) -> str | None:
        """The newest piece's language."""
        return next(reversed(self._items.values())).language if self._items else None

    def of(self, seq: int, piece: str) -> Transcribed:
        """Piece ``seq`` as delivered; made up from its text if it is too old to be kept."""
        lead, body = split_piece(piece)
        return self._items.get(seq) or Transcribed(seq, body, 0.0, 0.0, 0.0, 0.0, lead=lead)

    def remember(self, item: Transcribed) -> None:
        self._items[item.seq] = item
        self._items.move_to_end(item.seq)
        while len(self._items) > MAX_PIECES:
            self._items.popitem(last=False)

    def forget(self, seq: int) -> None:
        self._items.pop(seq, None)
