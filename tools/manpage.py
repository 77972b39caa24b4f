"""The man page dictation(1), generated from the command line's parser by argparse-manpage, so
it documents exactly the commands and options there are. It is committed (man/dictation.1)
and installed with the package into share/man/man1; tests/test_manpage.py fails when it no
longer matches the parser.

    python tools/manpage.py            # write man/dictation.1 anew, dated today
    python tools/manpage.py --check    # exit 1 when it differs from what the parser gives
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PAGE = REPO / "man" / "dictation.1"
SUMMARY = "speech to text wherever you want it, on Linux"
# Sections argparse does not hold; the rest of the documentation is in the docs/ directory.
EXTRA = {
    "FILES": (
        ".TP\n$XDG_CONFIG_HOME/dictation/config.toml\nthe config file: every long option as a "
        "key (see \\fBdictation config\\fR)\n"
        ".TP\n$XDG_RUNTIME_DIR/dictation/control.sock\nthe control socket of "
        "\\fBdictation ctl\\fR and \\fBdictation status\\fR\n"
        ".TP\n$XDG_STATE_HOME/dictation/spool/\nutterances waiting for their text\n"
        ".TP\n$XDG_STATE_HOME/dictation/unsent/\naudio that could not become text "
        "(\\fB\\-\\-keep\\-dir\\fR)"),
    "ENVIRONMENT": (
        ".TP\nDICTATION_\\fIKEY\\fR\nany config key, in capitals with _ for \\-\n"
        ".TP\nOPENAI_API_KEY, OPENAI_BASE_URL\nthe API engine's key and server\n"
        ".TP\nDICTATION_CONFIG\nthe config file to read"),
    "EXIT STATUS": (
        "0 on success; 1 when audio had to be kept or waits in the spool; 2 for a usage or "
        "configuration error; 3 from \\fBdictation status\\fR with no daemon running; 130 "
        "after Ctrl\\-C."),
}


def render(date: str) -> str:
    """The man page as the parser gives it, with ``date`` in its header."""
    os.environ["COLUMNS"] = "80"  # argparse wraps usage lines to the terminal: fix the width
    from argparse_manpage.manpage import Manpage

    from dictation import __version__
    from dictation.cli.options import build_parser

    parser = build_parser()
    page = Manpage(parser, _data={"date": date, "project_name": "dictation",
                                  "version": __version__, "manual_title": "User Commands",
                                  "description": SUMMARY})
    for heading, content in EXTRA.items():
        page.add_section(heading, "=", content)
    return str(page)


def committed_date(text: str) -> str:
    """The date in a page's .TH line, as it was written (argparse-manpage escapes dashes)."""
    found = re.search(r'^\.TH \S+ "\d+" "([^"]*)"', text, re.M)
    if found is None:
        raise SystemExit(f"{PAGE.name}: no .TH line")
    return found.group(1).replace("\\-", "-")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="compare with the committed page instead of writing it")
    args = parser.parse_args()
    if args.check:
        same = PAGE.read_text() == render(committed_date(PAGE.read_text()))
        print(f"{PAGE.name}: " + ("matches the parser" if same else
                                 "differs from the parser: python tools/manpage.py"))
        return 0 if same else 1
    PAGE.write_text(render(datetime.date.today().isoformat()))
    print(f"wrote {PAGE.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
