"""config.toml: where it is, its flat keys and its few tables ([replacements], [commands.de]…),
the line each entry is on (for error messages), and TOML values written back for `dictation
config`.

The one reader of the file for both the full command line (settings.py, which checks every
value) and `dictation ctl` and `status` (:func:`configured`, which needs one path-valued key
and must not load the CLI): standard library only, nothing heavy at import.
"""

from __future__ import annotations

import os
import re

from dictation.env import CONFIG_ENV, env_name
from dictation.errors import ConfigError
from dictation.storage import config_dir

TYPE_CHECKING = False  # not typing's: importing typing costs `dictation ctl` 5 ms
if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path
    from typing import Any

_NOT_A_KEY = "_dictation_not_a_key"


def not_a_key(action: Any) -> Any:
    """Mark an option that only makes sense on the command line (here, so that `dictation
    status` can mark its own without loading the CLI)."""
    setattr(action, _NOT_A_KEY, True)
    return action


def marked_not_a_key(action: Any) -> bool:
    return getattr(action, _NOT_A_KEY, False)


def locate(env: Mapping[str, str], given: str | Path | None = None) -> tuple[str, str | None]:
    """The config file to read, and what named it (``--config``, the variable; None: the
    default place, in this process's $XDG_CONFIG_HOME)."""
    if given:
        return os.path.expanduser(given), "--config"
    if env.get(CONFIG_ENV):
        return os.path.expanduser(env[CONFIG_ENV]), CONFIG_ENV
    return os.path.join(config_dir(), "config.toml"), None


def configured(key: str, env: Mapping[str, str]) -> str | None:
    """A path-valued key from the environment, else the config file, for `dictation ctl`
    and `status`; None when neither sets it, or the file cannot be read (the daemon reports
    a broken config; a client falls back to the default)."""
    if value := env.get(env_name(key)):
        return os.path.expanduser(value)
    try:
        value = ConfigFile(*locate(env)).data.get(key)
    except ConfigError:
        return None
    return os.path.expanduser(value) if isinstance(value, str) and value else None


TABLES = ("replacements", "commands")
"""The only tables config.toml may hold: ``[replacements]`` (with ``[replacements.regex]``)
and ``[commands.<language>]``. Every other setting is a flat key, as on the command line."""


class TomlFile:
    """A parsed TOML file, with the line of each entry for error messages. ``explicit``
    names what asked for it (``--config``, ``DICTATION_CONFIG``, ``--replacements``): then a
    missing file is an error, else it is empty. ``kind`` names the file in messages."""

    def __init__(self, path: str | Path, explicit: str | None = None,
                 kind: str = "config file") -> None:
        self.path, self.found, self.text = path, False, ""
        self.data: dict[str, Any] = {}
        try:
            with open(path, encoding="utf-8") as f:
                self.text = f.read()
            self.found = True
        except FileNotFoundError:
            if explicit:
                raise ConfigError(f"{kind} {path} (from {explicit}) not found") from None
            return
        except OSError as err:
            raise ConfigError(f"cannot read {kind} {path}: {err.strerror or err}") from None
        except UnicodeDecodeError:
            raise ConfigError(f"{kind} {path} is not UTF-8 text") from None
        import tomllib

        try:
            self.data = tomllib.loads(self.text)
        except tomllib.TOMLDecodeError as err:
            raise ConfigError(self._syntax(str(err))) from None

    def _syntax(self, msg: str) -> str:
        # tomllib ends its messages with "(at line L, column C)" or "(at end of document)".
        at = re.search(r" \(at line (\d+), column (\d+)\)$", msg)
        if at:
            return f"{self.path} line {at[1]}, column {at[2]}: {msg[:at.start()]}"
        end = re.search(r" \(at end of document\)$", msg)
        if end:
            return f"{self.path} line {len(self.text.splitlines()) or 1}: {msg[:end.start()]}"
        return f"{self.path}: {msg}"

    def line(self, key: str) -> int | None:
        """The line of ``key = …`` (bare or quoted key), else of a ``[key]`` header."""
        k = re.escape(key)
        assignment = re.compile(rf"""\s*(?:{k}|"{k}"|'{k}')\s*[=.]""")
        header = re.compile(rf"""\s*\[+\s*(?:{k}|"{k}"|'{k}')\s*[].]""")
        lines = self.text.splitlines()
        for pattern in (assignment, header):
            hit = next((n for n, ln in enumerate(lines, 1) if pattern.match(ln)), None)
            if hit is not None:
                return hit
        return None

    def where(self, key: str) -> str:
        n = self.line(key)
        return f"{self.path}" if n is None else f"{self.path} line {n}"

    def entry_line(self, table: tuple[str, ...], key: str | None = None) -> int | None:
        """The line of ``key`` in ``table`` (``[a.b]`` then ``key = …``, or dotted keys), or
        of the table's header when ``key`` is None or not found."""
        current: tuple[str, ...] = ()
        header = None
        for n, text in enumerate(self.text.splitlines(), 1):
            if text.lstrip().startswith("["):
                got = _dotted(text, text.index("[") + 1)
                if got is not None and text[got[1]:].lstrip().startswith("]"):
                    current = tuple(got[0])
                    if current == table and header is None:
                        header = n
                continue
            got = _dotted(text, 0)
            if got is None or not text[got[1]:].lstrip().startswith("="):
                continue
            path = (*current, *got[0])
            if key is not None and path == (*table, key):
                return n
            if header is None and path[:len(table)] == table:
                header = n  # a dotted key opened the table
        return header

    def where_entry(self, table: tuple[str, ...], key: str | None = None) -> str:
        n = self.entry_line(table, key)
        return f"{self.path}" if n is None else f"{self.path} line {n}"


_PART = re.compile(r"""\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*""")


def _dotted(text: str, pos: int) -> tuple[list[str], int] | None:
    """A TOML dotted key at ``pos``: its parts and where it ends; None if there is none."""
    parts: list[str] = []
    while m := _PART.match(text, pos):
        if m[1] is not None:
            import json

            try:  # TOML's basic-string escapes are JSON's for what keys hold
                parts.append(json.loads(f'"{m[1]}"'))
            except ValueError:
                parts.append(m[1])
        else:
            parts.append(m[2] if m[2] is not None else m[3])
        pos = m.end()
        if not text.startswith(".", pos):
            return parts, pos
        pos += 1
    return None


class ConfigFile(TomlFile):
    """config.toml: flat keys in ``data``, the allowed tables (``TABLES``) in ``tables``."""

    def __init__(self, path: str | Path, explicit: str | None = None) -> None:
        super().__init__(path, explicit)
        self.tables: dict[str, dict[str, Any]] = {}
        for key, value in list(self.data.items()):
            if not isinstance(value, dict):
                continue
            if key not in TABLES:
                raise ConfigError(f"{self.where(key)}: '{key}' is a table; config.toml has "
                                  "no sections but [replacements], [replacements.regex] and "
                                  "[commands.<language>]: write 'key = value' at the top "
                                  "level")
            self.tables[key] = self.data.pop(key)


def toml_value(value: Any) -> str:
    """``value`` as TOML: booleans, numbers, lists; anything else (paths) as a string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return '"' + "".join(_ESCAPES.get(c) or _escape_control(c) for c in str(value)) + '"'


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _escape_control(c: str) -> str:
    # TOML strings may not hold control characters raw.
    return f"\\u{ord(c):04x}" if c < " " or c == "\x7f" else c
