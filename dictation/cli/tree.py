"""The parser as a tree of commands: what completions, the man page's check and the docs'
checks walk, so all of them see the same commands and options."""

from __future__ import annotations

import argparse
from collections.abc import Iterator


def walk(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
         ) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every parser of the tree with the commands that lead to it: ((), the root), (("run",),
    run's parser), (("models", "pull"), …)."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from walk(child, (*path, name))


def options(parser: argparse.ArgumentParser) -> list[str]:
    """The option strings of one parser (not its commands'), --help left out."""
    return [s for a in parser._actions if not isinstance(a, argparse._HelpAction)
            for s in a.option_strings]
