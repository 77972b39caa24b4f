"""The `dictation` command's first stop: `dictation ctl` is bound to keys and must answer in
milliseconds, so it is dispatched before the rest of the CLI (argparse tree, numpy…) loads;
`dictation status` too, so a status bar can poll it cheaply."""

from __future__ import annotations

import sys


def main() -> int:
    argv = sys.argv[1:]
    if argv[:1] == ["ctl"]:
        from dictation.cli.ctl import ctl_main

        return ctl_main(argv[1:])
    if argv[:1] == ["status"]:
        from dictation.cli.ctl import status_main

        return status_main(argv[1:])
    from dictation.cli.main import main as cli_main

    return cli_main(argv)
