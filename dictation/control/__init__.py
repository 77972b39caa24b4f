"""Control: how the desktop drives the daemon, and what the daemon tells the desktop.

- server.py    the control socket the daemon answers commands on (0600, locked, one per user)
- client.py    `dictation ctl` and `dictation status` talking to it (standard library only)
- status.py    the status as one line, and the spool's backlog when no daemon runs
- feed.py      the daemon's changes of state, pushed to each `dictation status --follow`
- follow.py    `dictation status --follow`: a line per change, waiting for a daemon to appear
- statusbar.py the status as status bars read it (Waybar's JSON, a short label), cleaned
- hotkey.py    the built-in hotkey (evdev, /dev/input)
- feedback.py  start and stop sound cues; the daemon's observer for the service manager
- notify.py    sd_notify: readiness, status and watchdog for systemd
- service.py   the systemd user unit and `dictation install-service`

May import the stages below it, and the shared bottom: dictation.audio (devices, for cues),
dictation.deliver (the spool's backlog), dictation.text (the sanitiser), dictation.records,
dictation.errors, dictation.env, dictation.storage. client.py and status.py import only the
standard library and dictation.errors (the spool's backlog lazily): a key binding waits on
them. follow.py and statusbar.py add only the text stage's sanitiser and, lazily,
inotify_simple.
"""
