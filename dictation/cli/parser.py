"""The argparse parser every command uses: a usage error is one line, as every other error
is. The usage block argparse prints first is left to --help.

Standard library only: `dictation ctl` loads it before a key binding's command runs.
"""

from __future__ import annotations

import argparse


class OneLineParser(argparse.ArgumentParser):
    """argparse, with its errors as ``PROG: error: MESSAGE`` and exit status 2."""

    def error(self, message: str):  # type: ignore[no-untyped-def]  # NoReturn in typeshed
        self.exit(2, f"{self.prog}: error: {message}\n")
