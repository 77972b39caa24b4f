"""Which audio is dictation: the gate in front of the segmenter, driven by control commands.

A pure state machine: commands in, actions for the pipeline out. The microphone stays open
while the gate is closed, so speech said just before a press is still in the pre-roll.
"""

from __future__ import annotations

MODES = ("continuous", "push-to-talk", "toggle")
COMMANDS = ("press", "release", "toggle", "start", "stop", "cancel", "undo", "status")

# What the pipeline does, in order, for a command.
OPEN = "open"  # start listening; speech in the pre-roll is kept
CLOSE = "close"  # stop listening; the utterance in progress ends now and is transcribed
CANCEL = "cancel"  # drop the utterance in progress and every one not yet delivered
UNDO = "undo"  # take back the last piece of text delivered


class Gate:
    """``continuous`` starts open, ``push-to-talk`` and ``toggle`` start closed. Every mode
    takes every command, so one daemon serves a hold-to-talk key and a toggle key at once.

    (A plain class: `dictation ctl` imports this module and must start in milliseconds.)"""

    def __init__(self, mode: str = "continuous") -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}")
        self.mode = mode
        self.open = mode == "continuous"
        self._held_from: bool | None = None  # open-state before the key went down, if held

    @property
    def held(self) -> bool:
        return self._held_from is not None

    def command(self, name: str) -> tuple[str, ...]:
        if name not in COMMANDS:
            raise ValueError(f"unknown command {name!r} (one of {', '.join(COMMANDS)})")
        if name == "press":
            if self.held:  # key repeat, or a second press without a release
                return ()
            self._held_from = self.open
            return self._set(True)
        if name == "release":
            if not self.held:  # a release without a press (daemon restarted under the key)
                return ()
            was, self._held_from = self._held_from, None
            return self._set(bool(was))  # holding during toggled-on dictation changes nothing
        if name == "toggle":
            self._held_from = None
            return self._set(not self.open)
        if name in ("start", "stop"):
            self._held_from = None
            return self._set(name == "start")
        if name == "cancel":
            self._held_from = None
            if self.mode == "continuous" or not self.open:
                return (CANCEL,)
            self.open = False
            return (CANCEL, CLOSE)
        if name == "undo":
            return (UNDO,)
        return ()  # status

    def _set(self, open_: bool) -> tuple[str, ...]:
        if open_ == self.open:
            return ()
        self.open = open_
        return (OPEN,) if open_ else (CLOSE,)
