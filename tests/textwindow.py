"""A real X window that receives keystrokes: a Tk text field that takes the input focus.

Run as a child process under an X server. It prints ``ready`` once it has the focus; each
``dump`` line on stdin makes it print its content as one JSON string; end of stdin prints
the content the same way and exits. ``--paste-on KEYS`` adds a Tk key binding (such as
``<Control-Shift-V>``) that pastes the clipboard, as terminals do with ctrl+shift+v.
"""

from __future__ import annotations

import argparse
import json
import sys
import tkinter


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--paste-on", metavar="TK_EVENT")
    args = parser.parse_args()
    root = tkinter.Tk()
    root.geometry("600x200+0+0")
    text = tkinter.Text(root)
    text.pack(fill="both", expand=True)
    if args.paste_on:  # instead of ctrl+v, which then pastes nothing
        def paste(_event: tkinter.Event) -> str:
            text.event_generate("<<Paste>>")
            return "break"
        root.event_delete("<<Paste>>", "<Control-Key-v>", "<Control-Lock-Key-V>")
        text.bind(args.paste_on, paste)

    def content() -> str:
        return json.dumps(text.get("1.0", "end-1c"))

    announced = False

    def on_focus(_event: tkinter.Event) -> None:
        nonlocal announced
        if not announced:
            announced = True
            print("ready", flush=True)

    def on_stdin(_file: object, _mask: int) -> None:
        line = sys.stdin.readline()
        print(content(), flush=True)
        if not line:
            root.destroy()

    text.bind("<FocusIn>", on_focus)
    root.tk.createfilehandler(sys.stdin, tkinter.READABLE, on_stdin)
    # No window manager runs under Xvfb: take the focus ourselves once the window is mapped.
    root.after(50, lambda: (root.focus_force(), text.focus_force()))
    root.mainloop()


if __name__ == "__main__":
    main()
