"""What becomes of an utterance at its turn at the worker. Not sent: cancelled since it was
spoken, it is removed from the spool; the run no longer sends (it failed, gave up, or stops
while the engine fails), it is held there for the next start. Sent, by how that went:

- delivered, or dropped by the guard: removed from the spool;
- postponed by an outage, or the run gave up waiting: held in the spool for the next start;
- made up by the model, or audio that can never become text: set aside (a dead letter);
- a fatal failure (the engine's, stdout's): the run ends.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from dictation.deliver.guarded import MadeUp
from dictation.deliver.retry import Postponed
from dictation.errors import SinkError, TranscriptionError

if TYPE_CHECKING:
    from dictation.deliver.ending import Ending
    from dictation.deliver.host import Worker
    from dictation.deliver.keeper import Keeper
    from dictation.records import Speech

log = logging.getLogger("dictation")


def skip(item: Speech, current: bool, holds: bool, keeper: Keeper) -> bool:
    """Is ``item`` not to be sent: not ``current`` (cancelled), or the run ``holds`` what
    is queued? Then it is removed, or held, and its speculation discarded."""
    if current and not holds:
        return False
    if not current:
        log.debug("utterance %d: cancelled", item.seq)
    if item.speculation:
        item.speculation.call.discard()
    if current:
        keeper.hold(item)  # it waits in the spool for the next start
    else:
        keeper.remove(item)
    return True


async def settle(item: Speech, sending: asyncio.Task[None], keeper: Keeper, ending: Ending,
                 worker: Worker) -> None:
    """Wait for ``item``'s send, then settle it in the spool (``keeper``)."""
    try:
        with keeper.in_flight(item):  # a run that dies now counts against the utterance
            await sending
    except asyncio.CancelledError:
        if not ending.given_up:
            raise
        keeper.hold(item)
    except Postponed:
        keeper.hold(item)
    except MadeUp as err:
        # Dropped rather than cut to the bound: nothing tells where the real text in a
        # made-up answer ends, and typed garbage can run as commands in an editor. The
        # audio is kept, so nothing is lost.
        log.warning("%s%s", err, keeper.set_aside(item))
    except TranscriptionError as err:
        if err.fatal:
            worker.fatal(err)
            keeper.hold(item)
        else:  # this audio can never become text: a dead letter
            worker.error(f"{err}{keeper.set_aside(item)}")
    except SinkError as err:
        worker.fatal(err)
    else:
        keeper.remove(item)
