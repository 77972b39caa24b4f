"""The daemon's status as people and status bars read it: one line for `dictation ctl status`,
the service manager and the start-up notification; and what `dictation status` says of the
spool when no daemon runs. Standard library only (`dictation ctl` imports it)."""

from __future__ import annotations

import json

TYPE_CHECKING = False  # not typing's: importing typing costs `dictation ctl` 5 ms
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

    from dictation.deliver.spool import Backlog

# What `dictation status --format` prints (the bars' formats are statusbar.py's).
FORMATS = ("line", "json", "waybar", "bar")


def status_line(status: dict[str, Any]) -> str:
    """``status`` as one line: mode, state, engine, backlog, last error."""
    backlog = f"backlog {status['backlog']}"
    if status["backlog"] and "spool_bytes" in status:
        backlog += (f" ({status['spool_seconds']:.1f} s of audio, "
                    f"{status['spool_bytes'] / 1e6:.1f} MB in the spool)")
    parts = [f"{status['mode']}: {status['state']}", backlog, str(status["engine"]),
             *([f"language {status['language']}"] if status.get("language") else []),
             f"last error: {status['last_error'] or 'none'}"]
    return " · ".join(parts)


def spool_report(no_daemon: str, root: Path, b: Backlog, as_json: bool) -> str:
    """What waits in the spool at ``root`` when no daemon runs (``no_daemon`` says so)."""
    if as_json:
        return json.dumps({"daemon": False, "spool": str(root), "backlog": b.count,
                           "spool_seconds": round(b.seconds, 1), "spool_bytes": b.bytes})
    waits = "; it will be transcribed at the next start" if b.count else ""
    return (f"{no_daemon}\nspool {root}: backlog {b.count} ({b.seconds:.1f} s of audio, "
            f"{b.bytes / 1e6:.1f} MB){waits}")
