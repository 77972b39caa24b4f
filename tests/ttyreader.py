"""A reader on a terminal's canonical tty, run in a foot window: the line discipline edits
the line as a user's keys would (BackSpace erases a character), and every read() is appended
to the file named first as one JSON string a line, an empty one for an end-of-file (Ctrl-D on
an empty line), so a test sees each flush arrive. Standard library only: it runs under the
system's python3, as the compositor's user."""

import json
import os
import sys


def main() -> None:
    with open(sys.argv[1], "a", encoding="utf-8") as out:
        while True:
            chunk = os.read(0, 65536)
            out.write(json.dumps(chunk.decode("utf-8", "replace")) + "\n")
            out.flush()


if __name__ == "__main__":
    main()
