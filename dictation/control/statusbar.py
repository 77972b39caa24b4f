"""The daemon's status as a status bar shows it: one line per change for `dictation status
--follow`, in the format a bar reads (pure; standard library only, like the rest of
`dictation status`).

- ``waybar``: ``{"text", "tooltip", "class", "alt"}`` for Waybar's custom module with
  ``"return-type": "json"``; text and tooltip are Pango markup, so they are escaped here.
- ``json``: the status object itself, with ``"daemon": true`` (false, and state ``off``, when
  none runs).
- ``bar``: a short label alone, for bars that show a line of plain text (polybar, i3blocks).
- ``line``: the line `dictation status` prints.

The formats are listed in status.py (FORMATS), which `dictation ctl` loads.

Every string the daemon sends may hold a server's words (``last_error``), so each is stripped
of control characters and bounded before any bar sees it.
"""

from __future__ import annotations

import json
from html import escape

from dictation.control.status import status_line
from dictation.text.sanitize import sanitize

TYPE_CHECKING = False  # not typing's: `dictation status` starts in milliseconds
if TYPE_CHECKING:
    from typing import Any

CLASSES = ("off", "listening", "recording", "transcribing", "retrying", "error")
MAX_FIELD = 200  # characters of one string from the daemon
MAX_TEXT = 40  # characters of the label a bar shows

# The daemon's state (pipeline.status) to the bar's class and finer ``alt``; any other state
# (waiting for a microphone, capture stopped: spool full) is an error the label names.
_STATES = {"idle": ("off", "idle"), "listening": ("listening", "listening"),
           "hearing speech": ("recording", "recording"),
           "transcribing": ("transcribing", "transcribing"),
           "retrying": ("retrying", "retrying")}
STOPPED = "dictation is not running"


def clean(status: dict[str, Any]) -> dict[str, Any]:
    """``status`` with every string value sanitised and cut to :data:`MAX_FIELD`."""
    return {str(k)[:MAX_FIELD]: _bounded(v) if isinstance(v, str) else v
            for k, v in status.items()}


def _bounded(text: str, limit: int = MAX_FIELD) -> str:
    text = sanitize(text[:limit * 4])  # the cut first: sanitising is linear in what it gets
    return text if len(text) <= limit else text[:limit - 1] + "…"


def classify(status: dict[str, Any] | None) -> tuple[str, str, str]:
    """(class, alt, label) of a status; None: no daemon."""
    if status is None:
        return "off", "stopped", "off"
    state = str(status.get("state") or "")
    cls, alt = _STATES.get(state, ("error", "error"))
    label = alt if cls != "error" else _bounded(state, MAX_TEXT) or "error"
    backlog = status.get("backlog")
    if cls in ("transcribing", "retrying") and isinstance(backlog, int) and backlog > 1:
        label += f" ({backlog})"  # utterances waiting
    return cls, alt, label


def render(status: dict[str, Any] | None, fmt: str) -> str:
    """One line (no newline) for a status, or for no daemon (None), in format ``fmt``."""
    status = None if status is None else clean(status)
    if fmt == "json":
        return json.dumps({"daemon": False, "state": "off"} if status is None
                          else {"daemon": True, **status})
    cls, alt, label = classify(status)
    if fmt == "bar":
        return label
    tooltip = STOPPED if status is None else _tooltip(status)
    if fmt == "line":
        return tooltip
    return json.dumps({"text": escape(label, quote=False),
                       "tooltip": escape(tooltip, quote=False), "class": cls, "alt": alt})


def _tooltip(status: dict[str, Any]) -> str:
    try:
        return status_line(status)
    except (KeyError, TypeError, ValueError):  # a daemon of another version: say what it can
        return f"dictation: {status.get('state')}"
