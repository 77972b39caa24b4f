"""Transcript text in log lines only when the user asks for it (``--log-text``).

Logs outlive dictation: the service's go to the journal, kept for weeks and readable by the
administrator. A log call passes transcript text wrapped in :class:`Said`, which shows only its
length; the :class:`ShowText` filter, installed by ``--log-text``, swaps the text itself back in.
Without the filter nothing can leak, so a forgotten setup errs on the private side.
"""

from __future__ import annotations

import logging


class Said:
    """Transcript text as a log argument (``%s``): its length, or the text with --log-text."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return f"<text of {len(self.text)} characters>"

    __repr__ = __str__


class ShowText(logging.Filter):
    """Show the text of :class:`Said` arguments, quoted as repr() quotes it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(isinstance(a, Said) for a in record.args):
            record.args = tuple(repr(a.text) if isinstance(a, Said) else a
                                for a in record.args)
        return True
