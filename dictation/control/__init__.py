"""Control: how the desktop drives the daemon, and what the daemon tells the desktop.

- server.py    the control socket the daemon answers commands on (0600, locked, one per user)
- client.py    `dictation ctl` and `dictation status` talking to it (standard library only)
- status.py    the status as one line, and the spool's backlog when no daemon runs
- hotkey.py    the built-in hotkey (evdev, /dev/input)
- feedback.py  start and stop sound cues; the daemon's observer for the service manager
- notify.py    sd_notify: readiness, status and watchdog for systemd
- service.py   the systemd user unit and `dictation install-service`

May import any stage below it. client.py and status.py import only the standard library and
dictation.errors (the spool's backlog lazily): a key binding waits on them.
"""
