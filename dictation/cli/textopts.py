"""The text stage's settings from the command line and config.toml: spoken commands and their
``[commands.<language>]`` tables, vocabulary words and files, the ``[replacements]`` table and
``--replacements`` file, and post-processing; :func:`build_text` makes the TextConfig of them,
and :func:`listing` adds them to `dictation config`.

Each bad entry of a table or a file is one ConfigError naming the file, the line and the
entry, as a bad key of config.toml is: the cores (dictation.text.commands, .replacements)
check one entry at a time here, and the line is found in the file's text.
"""

from __future__ import annotations

import argparse
from argparse import ArgumentTypeError
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from dictation.cli import values
from dictation.cli.configfile import ConfigFile, TomlFile, toml_value
from dictation.cli.settings import Resolved
from dictation.errors import ConfigError
from dictation.text import languages
from dictation.text.commands import CommandConfig, build_table
from dictation.text.config import TextConfig
from dictation.text.postprocess import PostConfig
from dictation.text.replacements import MAX_ENTRIES, Replacements, from_table, merge
from dictation.transcribe.engines import DEFAULT_BASE_URL, ApiConfig, LocalConfig

MAX_WORD = 100
"""Characters of one vocabulary entry: a name or a term, never a sentence (each takes prompt
room the transcript's tail needs)."""
MAX_VOCABULARY = 10_000
"""Lines of words in a vocabulary file: only the first few dozen fit the prompt anyway."""


def vocabulary_word(text: str) -> str:
    """One vocabulary entry, its spacing tidied (the argparse type of --vocabulary)."""
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise ArgumentTypeError("a vocabulary word cannot hold control characters")
    word = " ".join(text.split())
    if not any(c.isalnum() for c in word):
        raise ArgumentTypeError(f"needs a word, got {text!r}")
    if len(word) > MAX_WORD:
        raise ArgumentTypeError(f"takes a word or a name of at most {MAX_WORD} characters, "
                                f"got {len(word)}")
    return word


def read_vocabulary(path: Path) -> tuple[str, ...]:
    """A vocabulary file: one word or name a line; blank lines and lines starting with # are
    skipped (a # later in a line is part of the word: "C#")."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"cannot read vocabulary file {path}: {err.strerror or err}"
                          ) from None
    except UnicodeDecodeError:
        raise ConfigError(f"vocabulary file {path} is not UTF-8 text") from None
    words: list[str] = []
    for n, line in enumerate(text.split("\n"), 1):
        line = line.removesuffix("\r")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if len(words) == MAX_VOCABULARY:
            raise ConfigError(f"vocabulary file {path} holds more than {MAX_VOCABULARY} words")
        try:
            words.append(vocabulary_word(line))
        except ArgumentTypeError as err:
            raise ConfigError(f"{path} line {n}: {err}") from None
    return tuple(words)


def vocabulary(args: argparse.Namespace) -> tuple[str, ...]:
    """--vocabulary's words, then the file's; each once, whatever its case. The prompt keeps
    the first ones when not all fit."""
    words = [*(args.vocabulary or ())]
    if args.vocabulary_file:
        words += read_vocabulary(args.vocabulary_file)
    first: dict[str, str] = {}
    for word in words:
        first.setdefault(word.casefold(), word)
    return tuple(first.values())


def _replacements(body: Any, file: TomlFile, at: tuple[str, ...]) -> Replacements:
    """A ``[replacements]`` body checked entry by entry, so an error names its line."""
    if not isinstance(body, Mapping):
        raise ConfigError(f"{file.where_entry(at)}: replacements must be a table of "
                          "\"words\" = \"text\"")
    regex = body.get("regex") if isinstance(body.get("regex"), Mapping) else {}
    if len(body) > MAX_ENTRIES or len(regex) > MAX_ENTRIES:
        raise ConfigError(f"{file.path}: more than {MAX_ENTRIES} replacements")
    plain_entries: list[tuple[str, str]] = []
    regex_entries = []
    for key, value in body.items():
        if key == "regex" and isinstance(value, Mapping):
            for pattern, template in value.items():
                where = file.where_entry((*at, "regex"), pattern)
                regex_entries += from_table({"regex": {pattern: template}}, where).regex
        elif isinstance(value, Mapping):
            name = ".".join((*at, key))
            raise ConfigError(f"{file.where_entry((*at, key))}: [{name}] is not a table "
                              "config.toml knows: replacements go in [replacements], regular "
                              "expressions in [replacements.regex]")
        else:
            plain_entries += from_table({key: value}, file.where_entry(at, key)).plain
    return Replacements(tuple(plain_entries), tuple(regex_entries), str(file.path))


def replacements_file(path: Path) -> Replacements:
    """``--replacements FILE``: TOML with a ``[replacements]`` table, or just its body."""
    file = TomlFile(path, "--replacements", kind="replacements file")
    if isinstance(file.data.get("replacements"), dict):
        return _replacements(file.data["replacements"], file, ("replacements",))
    return _replacements(file.data, file, ())


def build_replacements(args: argparse.Namespace, file: ConfigFile | None) -> Replacements:
    """config.toml's table, then the --replacements file (whose entry wins for the same
    words)."""
    parts = []
    if file is not None and "replacements" in file.tables:
        parts.append(_replacements(file.tables["replacements"], file, ("replacements",)))
    if args.replacements:
        parts.append(replacements_file(args.replacements))
    return merge(*parts) if parts else Replacements()


def command_tables(file: ConfigFile | None) -> dict[str, dict[str, str]]:
    """``[commands.<language>]`` tables: language → {phrase: action}, each entry checked."""
    body = file.tables.get("commands", {}) if file is not None else {}
    tables: dict[str, dict[str, str]] = {}
    for language, table in body.items():
        assert file is not None
        where = file.where_entry(("commands", language))
        if not isinstance(table, dict):
            raise ConfigError(f"{where}: commands: '{language}' is not a language's table: "
                              "write phrases under [commands.en], [commands.de]…")
        try:
            code = values.language(language).lower()
        except ArgumentTypeError as err:
            raise ConfigError(f"{where}: [commands.{language}]: {err}") from None
        for phrase, action in table.items():
            try:  # the core's own check, one entry at a time so the line can be named
                build_table(CommandConfig(language=code, table={code: {phrase: action}}))
            except ConfigError as err:
                entry = file.where_entry(("commands", language), phrase)
                raise ConfigError(f"{entry}: {err}") from None
            tables.setdefault(code, {})[phrase] = action
    return tables


def build_post(args: argparse.Namespace, engine: ApiConfig | LocalConfig,
               read_key: Callable[[], str | None]) -> PostConfig:
    """Post-processing, checked before anything starts. The chat model gets the
    transcription's key and TLS settings; its URL defaults to the transcription's."""
    if args.post_command:
        from dictation.text.postcommand import command_argv

        command_argv(args.post_command)  # a command that cannot run is refused now
    api = isinstance(engine, ApiConfig)
    key = engine.api_key if isinstance(engine, ApiConfig) else None
    url = args.rewrite_url or (engine.base_url if isinstance(engine, ApiConfig)
                               else DEFAULT_BASE_URL)
    if args.rewrite_model:
        from dictation.endpoint import check_endpoint, tls_context

        key = key if api else read_key()
        try:
            url = check_endpoint(url, args.allow_insecure_http)
        except ConfigError as err:
            raise ConfigError(f"--rewrite-url: {err}") from None
        if key is None and url == DEFAULT_BASE_URL:
            raise ConfigError("--rewrite-model needs an API key for the default "
                              f"--rewrite-url {DEFAULT_BASE_URL}: set OPENAI_API_KEY or "
                              "--api-key-file, or point --rewrite-url at a local "
                              "OpenAI-compatible server")
        tls_context(args.ca_cert)
    return PostConfig(command=args.post_command, command_timeout_s=args.post_timeout,
                      rewrite_model=args.rewrite_model, rewrite_url=url,
                      rewrite_timeout_s=args.rewrite_timeout, api_key=key,
                      allow_insecure_http=args.allow_insecure_http, ca_cert=args.ca_cert)


def build_text(args: argparse.Namespace, engine: ApiConfig | LocalConfig,
               file: ConfigFile | None, read_key: Callable[[], str | None]) -> TextConfig:
    return TextConfig(
        commands=CommandConfig(enabled=args.commands == "on",
                               language=None if args.language == "auto" else args.language,
                               table=command_tables(file)),
        replacements=build_replacements(args, file),
        post=build_post(args, engine, read_key),
        vocabulary=vocabulary(args))


def listing(resolved: Resolved) -> str:
    """`dictation config`: run's options, then what they and the tables amount to: the
    vocabulary in use, the replacements (Replacements.describe) and the command tables. It
    reads back as a config file: a key whose table is shown is a comment (TOML cannot hold
    both), and so are the tables of commands that are off."""
    args, file = resolved.args, resolved.file
    blocks: list[list[str]] = []
    commented = set()
    if words := vocabulary(args):
        blocks.append([f"# vocabulary in use ({len(words)}): {', '.join(words)}"])
    if fixes := build_replacements(args, file).describe():
        blocks.append(fixes)
        commented.add("replacements")
    if tables := command_tables(file):
        off = args.commands == "off"
        head = ["# command phrases added to the built-in tables "
                f"({', '.join(languages.BUILT_IN)}), or changed"
                + (" (not used while commands are off)" if off else "")]
        for code, table in tables.items():
            block = [f"[commands.{code}]", *(f"{toml_value(p)} = {toml_value(a)}"
                                             for p, a in table.items())]
            blocks.append([*head, *([f"# {line}" for line in block] if off else block)])
            head = []
        if not off:
            commented.add("commands")
    lines = [line for block in blocks for line in ("", *block)][1:]
    return resolved.to_toml(commented=commented, tables=lines)
