"""The outputs: where delivered text goes, and who follows the session as it happens.

- sinks.py         the Sink interfaces; stdout and the clipboard
- choose.py        an output by name: its tool and activity watcher checked at start
- keystrokes.py    typing (`--output type`) into the focused window, live words included
- paste.py         pasting (`--output paste`) each final piece through the clipboard
- typedtail.py     what typing put at the end of the window; each change as keys (pure)
- keytools.py      wtype, xdotool, ydotool: which the session needs, run and checked
- keycommands.py   their command lines: text, BackSpaces, key chords (pure)
- seat.py          a keyboard of dictation's kept on the Wayland seat, so no key is lost
- activity.py      whether anyone but dictation typed, clicked or moved the focus (xinput)
- swayactivity.py  the same on Sway: its IPC, and the devices' keys (evdevkeys.py)
- ydotool.py       where ydotoold listens, what ydotool types, whose socket it is
- xkeymap.py       spare X keycodes for characters the keyboard lacks (pure)
- subtitles.py     timed subtitle cues; text, SRT, WebVTT and JSON (pure)
- captionfiles.py  `run --srt/--vtt`: the session's caption files, written as it goes
- events.py        `run --events`: JSON lines of state changes and transcripts
- screen.py        the live captions screen (rich): an observer of lines, interims and status

May import: dictation.text, dictation.records, dictation.transcript (a piece's timed segments),
dictation.errors, dictation.env, dictation.storage; nothing of the stages before delivery.
"""
