"""The config layer: every command-line option is also a key of ``config.toml`` and a
``DICTATION_*`` environment variable. Precedence: command line > environment > file > default.

Nothing here knows the options. They are read off the argparse parser, and file and environment
values go through each option's own ``type`` and ``choices``, so an option added to the parser
is a config key with no code here, validated exactly as on the command line.
"""

from __future__ import annotations

import argparse
import difflib
import logging
import os
import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dictation.cli.configfile import TABLES, ConfigFile, locate, marked_not_a_key, toml_value
from dictation.cli.configfile import not_a_key as not_a_key  # the options mark with it here
from dictation.cli.layers import BadValue, default_of, from_env, from_toml, is_flag
from dictation.cli.tree import walk
from dictation.env import CONFIG_ENV, ENV_ALIASES, ENV_PREFIX, env_name
from dictation.errors import ConfigError

log = logging.getLogger("dictation")
Options = Mapping[str, argparse.Action]  # config key → option

REDACTED = "<redacted>"
_URL_PASSWORD = re.compile(r"(://[^/@:\s]*:)[^/@\s]*@")  # scheme://user:PASSWORD@host
_SECRET = "_dictation_secret"
# Options that are never keys: they do something rather than hold a setting.
_SKIPPED = (argparse._HelpAction, argparse._VersionAction, argparse._SubParsersAction,
            argparse._AppendConstAction)


def secret(action: argparse.Action) -> argparse.Action:
    """Mark an option whose value is never printed."""
    setattr(action, _SECRET, True)
    return action


def is_secret(action: argparse.Action | None) -> bool:
    return getattr(action, _SECRET, False)


def add_config_option(parser: argparse.ArgumentParser) -> None:
    not_a_key(parser.add_argument(
        "--config", type=Path, metavar="PATH",
        help=f"config file (env {CONFIG_ENV}; default $XDG_CONFIG_HOME/dictation/config.toml)"))


def key_of(action: argparse.Action) -> str | None:
    """The config key of an option: its first long name without the dashes."""
    if (isinstance(action, _SKIPPED) or not action.option_strings
            or marked_not_a_key(action)):
        return None
    return next((s[2:] for s in action.option_strings if s.startswith("--")), None)


@dataclass
class _Tree:
    """The options of a parser: global ones and each command's (its nested commands' too)."""

    parsers: list[argparse.ArgumentParser] = field(default_factory=list)
    top: list[argparse.Action] = field(default_factory=list)
    command_dest: str | None = None
    commands: dict[str, list[argparse.Action]] = field(default_factory=dict)

    @classmethod
    def of(cls, parser: argparse.ArgumentParser) -> _Tree:
        tree = cls([parser])
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                tree.command_dest = action.dest
                for name, sub in action.choices.items():
                    tree.commands[name] = list(tree._walk(sub))
            else:
                tree.top.append(action)
        return tree

    def _walk(self, parser: argparse.ArgumentParser) -> Iterator[argparse.Action]:
        for _, sub in walk(parser):
            if sub not in self.parsers:
                self.parsers.append(sub)
            yield from (a for a in sub._actions
                        if not isinstance(a, argparse._SubParsersAction))

    def options(self, command: str | None) -> dict[str, argparse.Action]:
        """Key → option for one command, in parser order."""
        actions = self.top + self.commands.get(command or "", [])
        return {k: a for a in actions if (k := key_of(a)) is not None}

    def all_options(self) -> dict[str, argparse.Action]:
        every = [a for acts in self.commands.values() for a in acts]
        return {k: a for a in self.top + every if (k := key_of(a)) is not None}


def _given(tree: _Tree, argv: list[str]) -> argparse.Namespace:
    """Parse argv with every key's default suppressed: the namespace holds only what was given
    (plus the command and positionals)."""
    keyed = [a for a in tree.top + [a for acts in tree.commands.values() for a in acts]
             if key_of(a) is not None]
    dests = {a.dest for a in keyed}
    saved_actions = [(a, a.default) for a in keyed]
    saved_parsers = [(p, dict(p._defaults)) for p in tree.parsers]
    try:
        for a in keyed:
            a.default = argparse.SUPPRESS
        for p in tree.parsers:  # set_defaults() values would otherwise look given
            p._defaults = {k: v for k, v in p._defaults.items() if k not in dests}
        return tree.parsers[0].parse_args(argv)
    finally:
        for a, default in saved_actions:
            a.default = default
        for p, defaults in saved_parsers:
            p._defaults = defaults


@dataclass(frozen=True)
class Resolved:
    """The merged options of one command and where each value came from."""

    args: argparse.Namespace
    command: str | None
    path: Path
    found: bool
    options: Options
    sources: Mapping[str, str]  # key → "default", "file line N", "env VAR", "command line"
    file: ConfigFile | None = None
    """The config file read, for its tables ([replacements], [commands.<language>])."""

    def to_toml(self, *, commented: Collection[str] = (), tables: Sequence[str] = ()) -> str:
        """The effective configuration as TOML, secrets redacted, each line saying its source.
        Keys in ``commented`` are shown as comments (their effect is in ``tables``, TOML lines
        that follow the keys: a key and a table of the same name cannot both be set)."""
        rows = []
        for key, a in self.options.items():
            value = getattr(self.args, a.dest, None)
            if is_flag(a) and not isinstance(a, argparse.BooleanOptionalAction):
                value = value == a.const  # the key's own sense: `no-x = true`, not x's value
            if value is None:
                body = f"# {key} ="
            else:
                if is_secret(a):
                    value = REDACTED
                elif isinstance(value, str):  # a password inside a URL is a secret too
                    value = _URL_PASSWORD.sub(rf"\g<1>{REDACTED}@", value)
                body = f"{key} = {toml_value(value)}"
                if key in commented:
                    body = f"# {body}"
            rows.append((body, self.sources.get(key, "default")))
        width = min(max((len(b) for b, _ in rows), default=0), 60)
        found = "" if self.found else " (not found)"
        head = [f"# dictation {self.command}: effective configuration",
                f"# file: {self.path}{found}"]
        body = [*head, *(f"{b:<{width}}  # {s}" for b, s in rows)]
        return "\n".join([*body, *(["", *tables] if tables else [])]) + "\n"


def resolve(parser: argparse.ArgumentParser, argv: list[str], env: Mapping[str, str], *,
            shows: Mapping[str, str] | None = None) -> Resolved:
    """Parse ``argv`` and merge: defaults ← file ← environment ← command line.

    ``shows`` maps a command that shows another's configuration to that other command, whose
    options are then resolved instead. Empty environment variables count as unset.
    """
    tree = _Tree.of(parser)
    given = _given(tree, argv)
    command = getattr(given, tree.command_dest, None) if tree.command_dest else None
    command = (shows or {}).get(command, command)
    options, known = tree.options(command), tree.all_options()
    args = argparse.Namespace()
    sources: dict[str, str] = {}
    for key, a in options.items():
        if a.default is not argparse.SUPPRESS:
            setattr(args, a.dest, default_of(a))
            sources[key] = "default"
    from_cli = {a.dest for a in options.values() if hasattr(given, a.dest)}

    def layer(key: str, value: Any, source: str) -> None:
        a = options.get(key)
        if a is not None and a.dest not in from_cli:
            setattr(args, a.dest, value)
            sources[key] = source

    located, explicit = locate(env, getattr(given, "config", None))
    path = Path(located)
    file = ConfigFile(path, explicit)
    for key, value, source in (*_file_layer(file, options, known),
                               *_env_layer(env, options, known)):
        layer(key, value, source)

    for key, a in options.items():
        if a.dest in from_cli:
            sources[key] = "command line"
    for name, value in vars(given).items():  # command-line values, positionals, the command
        setattr(args, name, value)
    return Resolved(args=args, command=command, path=path, found=file.found,
                    options=options, sources=sources, file=file)


def _file_layer(file: ConfigFile, options: Options, known: Options
               ) -> Iterator[tuple[str, Any, str]]:
    """(key, value, source) for each key of the file; keys of other commands are checked too."""
    for key, raw in file.data.items():
        if key not in known:
            near = difflib.get_close_matches(key, known, n=1)
            hint = f" (did you mean '{near[0]}'?)" if near else ""
            raise ConfigError(f"{file.where(key)}: unknown key '{key}'{hint}")
        a = options.get(key, known[key])
        try:
            value = from_toml(a, raw, hidden=is_secret(a))
        except BadValue as err:
            raise ConfigError(f"{file.where(key)}: {key}: {err}") from None
        line = file.line(key)
        yield key, value, "file" if line is None else f"file line {line}"
    secrets = [k for k in file.data if is_secret(known[k])]
    if secrets and os.stat(file.path).st_mode & 0o077:
        log.warning("config file %s holds %s and is readable by other users; chmod 600 it",
                    file.path, secrets[0])


def _env_layer(env: Mapping[str, str], options: Options, known: Options
              ) -> Iterator[tuple[str, Any, str]]:
    """(key, value, source) for each key set in the environment."""
    names = {env_name(k) for k in known}
    for var in sorted(v for v in env if v.startswith(ENV_PREFIX)):
        table = next((t for t in TABLES if var.startswith(env_name(t) + "_")), None)
        if table and var not in names:
            shown = "[commands.<language>]" if table == "commands" else f"[{table}]"
            log.warning("environment variable %s: a table (%s) cannot come from the "
                        "environment, only from config.toml; ignored", var, shown)
        elif var not in names and var != CONFIG_ENV:
            log.warning("environment variable %s is not a config key; ignored", var)
    for key, a in known.items():
        var = next((v for v in (env_name(key), ENV_ALIASES.get(key)) if v and env.get(v)), None)
        if var is None:
            continue
        a = options.get(key, a)
        try:
            value = from_env(a, env[var], hidden=is_secret(a))
        except BadValue as err:
            raise ConfigError(f"environment variable {var}: {err}") from None
        yield key, value, f"env {var}"
