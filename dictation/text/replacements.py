"""The user's own fixes, applied to each utterance's text after spoken commands.

In config.toml, or in a file of its own with the same shape (a file without the
``[replacements]`` header is read as its body)::

    [replacements]
    "get hub" = "GitHub"          # whole words, any case: "Get Hub" too
    "kubernetes" = "Kubernetes"

    [replacements.regex]          # regular expressions, on request
    '\\bcolou?r scheme\\b' = "palette"
    '(\\d+) ?percent' = '\\1 %'      # re.sub templates: \\1, \\g<name>

- Plain entries match whole words, ignoring case and the spacing between the words (never
  a line break). The replacement is written as given, except that an all-lowercase one
  starting a sentence takes the capital the words it replaces had ("Teh cat" → "The cat";
  but "Run Cube Control" → "Run kubectl").
- All plain entries are applied in one pass, longest first, so a replacement is never
  replaced again; then each regular expression in turn, in the file's order.
- Regular expressions ignore case too; ``(?-i:...)`` makes a part case-sensitive. They are
  checked when loaded: one that does not compile, matches empty text, or may take
  super-linear time (dictation.text.regexsafe) is refused with one line naming it. They only
  see text up to ``regexsafe.MAX_INPUT`` characters; longer text keeps the plain fixes only.
"""

from __future__ import annotations

import logging
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dictation.errors import ConfigError
from dictation.text.regexsafe import MAX_INPUT, problem

log = logging.getLogger("dictation")

MAX_ENTRIES = 10_000
"""More is surely a file written by mistake; every entry costs work on each utterance."""


@dataclass(frozen=True)
class Replacements:
    plain: tuple[tuple[str, str], ...] = ()
    """(words, replacement), as configured."""
    regex: tuple[tuple[re.Pattern[str], str], ...] = ()
    source: str = ""
    """Where they came from, for messages and ``describe``."""
    _lookup: Mapping[str, str] = field(init=False, repr=False, compare=False)
    _plain_re: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        lookup = {_fold(k): v for k, v in self.plain}
        keys = sorted(lookup, key=len, reverse=True)  # "get hub now" before "get hub"
        # One alternation for all: a single pass, and no replacement is replaced again.
        pattern = "|".join(r"[^\S\n]+".join(map(re.escape, k.split())) for k in keys)
        object.__setattr__(self, "_lookup", lookup)  # frozen: derived once, here
        object.__setattr__(self, "_plain_re", re.compile(
            rf"(?<!\w)(?:{pattern})(?!\w)", re.IGNORECASE) if keys else None)

    def apply(self, text: str) -> str:
        """``text`` with every fix applied."""
        if self._plain_re is not None:
            text = self._plain_re.sub(self._plain, text)
        if self.regex and len(text) > MAX_INPUT:
            log.debug("text of %d characters: regular-expression replacements skipped",
                      len(text))
            return text
        for pattern, template in self.regex:
            text = pattern.sub(template, text)
        return text

    def _plain(self, m: re.Match[str]) -> str:
        value = self._lookup[_fold(m[0])]
        before = m.string[:m.start()].rstrip(" ")
        starts = not before or before.endswith(("\n", ".", "?", "!"))
        if starts and value.islower() and m[0][:1].isupper():
            return value[:1].upper() + value[1:]  # a sentence's capital stays
        return value

    def describe(self) -> list[str]:
        """Lines for ``dictation config``, as TOML a user could paste back."""
        if not self.plain and not self.regex:
            return []
        head = [f"# replacements from {self.source}"] if self.source else []
        lines = [*head, "[replacements]"]
        lines += [f"{_toml_str(k)} = {_toml_str(v)}" for k, v in self.plain]
        if self.regex:
            lines += ["", "[replacements.regex]"]
            lines += [f"{_toml_str(p.pattern)} = {_toml_str(v)}" for p, v in self.regex]
        return lines


def _fold(words: str) -> str:
    return " ".join(words.casefold().split())


def _toml_str(s: str) -> str:
    if "'" not in s and "\n" not in s:
        return f"'{s}'"  # literal string: backslashes of patterns stay readable
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _regex(source: str, pattern: str, template: Any) -> tuple[re.Pattern[str], str]:
    where = f"{source}: replacements.regex '{pattern}'"
    if not isinstance(template, str):
        raise ConfigError(f"{where}: the replacement must be a string")
    try:
        compiled = re.compile(pattern, re.IGNORECASE)
        compiled.sub(template, "")  # a bad \\1 or \\g<x> in the template shows here
    except re.error as err:
        raise ConfigError(f"{where}: {err}") from None
    if compiled.search("") is not None:
        raise ConfigError(f"{where} matches empty text; it would insert everywhere")
    reason = problem(compiled)
    if reason:
        raise ConfigError(f"{where} is refused: {reason}")
    return compiled, template


def from_table(table: Mapping[str, Any], source: str = "config") -> Replacements:
    """The body of a ``[replacements]`` table; raises a one-line ConfigError naming a bad
    entry."""
    if not isinstance(table, Mapping):
        raise ConfigError(f"{source}: replacements must be a table of \"words\" = \"text\"")
    if len(table) > MAX_ENTRIES:
        raise ConfigError(f"{source}: more than {MAX_ENTRIES} replacements")
    plain: list[tuple[str, str]] = []
    regex: list[tuple[re.Pattern[str], str]] = []
    for key, value in table.items():
        if key == "regex" and isinstance(value, Mapping):
            if len(value) > MAX_ENTRIES:
                raise ConfigError(f"{source}: more than {MAX_ENTRIES} regular expressions")
            regex += [_regex(source, p, t) for p, t in value.items()]
        elif not isinstance(value, str):
            raise ConfigError(f"{source}: replacements '{key}' must be a string, not "
                              f"{type(value).__name__}")
        elif not key.split():
            raise ConfigError(f"{source}: a replacement with empty words ('{key}')")
        else:
            plain.append((" ".join(key.split()), value))
    return Replacements(tuple(plain), tuple(regex), source)


def load_file(path: Path) -> Replacements:
    """A replacements file: TOML with a ``[replacements]`` table, or just its body."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ConfigError(f"cannot read replacements file {path}: {err.strerror or err}"
                          ) from None
    except UnicodeDecodeError:
        raise ConfigError(f"replacements file {path} is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"replacements file {path}: {err}") from None
    body = data.get("replacements") if isinstance(data.get("replacements"), dict) else data
    return from_table(body, str(path))


def merge(*parts: Replacements) -> Replacements:
    """Several sources in order; a later plain entry for the same words wins."""
    plain: dict[str, tuple[str, str]] = {}
    for p in parts:
        plain.update({_fold(k): (k, v) for k, v in p.plain})
    regex = tuple(r for p in parts for r in p.regex)
    source = ", ".join(p.source for p in parts if p.plain or p.regex)
    return Replacements(tuple(plain.values()), regex, source)
