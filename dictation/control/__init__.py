"""Control: how the desktop drives the daemon, and what the daemon tells the desktop.

- client.py    the control socket: the daemon's server and `dictation ctl` (its client half
               imports only the standard library)
- hotkey.py    the built-in hotkey (evdev, /dev/input)
- feedback.py  start and stop sound cues; the daemon's observer for the service manager
- notify.py    sd_notify: readiness, status and watchdog for systemd
- service.py   the systemd user unit and `dictation install-service`

May import any stage below it.
"""
