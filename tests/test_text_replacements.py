"""Replacements: the user's fixes from a config table or a file of their own. Pure, no audio;
the regular-expression guard runs the user's pattern on probe texts in this process."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dictation.errors import ConfigError
from dictation.text import regexsafe
from dictation.text.replacements import from_table, load_file, merge

TABLE = {"get hub": "GitHub", "teh": "the", "kubernetes": "Kubernetes",
         "regex": {r"(\d+) ?percent\b": r"\1 %"}}


def test_whole_words_any_case_any_spacing() -> None:
    r = from_table(TABLE)
    assert r.apply("Push it to get hub, then Get  Hub again.") == (
        "Push it to GitHub, then GitHub again.")
    assert r.apply("forget hub and get hubs") == "forget hub and get hubs"  # whole words only


def test_a_line_break_is_not_spacing_between_words() -> None:
    assert from_table(TABLE).apply("get\nhub") == "get\nhub"


def test_lowercase_replacement_keeps_a_capital_at_the_start() -> None:
    r = from_table(TABLE)
    assert r.apply("Teh cat sat on teh mat.") == "The cat sat on the mat."
    assert r.apply("KUBERNETES") == "Kubernetes"  # a value with capitals is written as given


def test_one_pass_so_a_replacement_is_not_replaced_again() -> None:
    r = from_table({"a": "b", "b": "c", "new york": "NYC", "new": "old"})
    assert r.apply("a b new york new") == "b c NYC old"


def test_regular_expressions_after_the_plain_fixes() -> None:
    r = from_table(TABLE)
    assert r.apply("Kubernetes uses 50 percent, teh rest 20percent") == (
        "Kubernetes uses 50 %, the rest 20 %")


def test_regex_ignores_case_unless_told() -> None:
    r = from_table({"regex": {r"\bus\b": "U.S.", r"(?-i:\bIT\b)": "I.T."}})
    assert r.apply("Us and it and IT") == "U.S. and it and I.T."


def test_a_file_of_its_own_with_or_without_the_header(tmp_path: Path) -> None:
    with_header = tmp_path / "a.toml"
    with_header.write_text('[replacements]\n"get hub" = "GitHub"\n\n'
                           "[replacements.regex]\n'colou?r' = 'hue'\n")
    body = tmp_path / "b.toml"
    body.write_text('"get hub" = "GitHub"\n[regex]\n\'colou?r\' = \'hue\'\n')
    for path in (with_header, body):
        r = load_file(path)
        assert r.apply("get hub colour") == "GitHub hue"
        assert r.source == str(path)


def test_merge_later_sources_win() -> None:
    a = from_table({"get hub": "Github", "regex": {"x+": "x"}}, "file")
    b = from_table({"Get Hub": "GitHub"}, "config")
    m = merge(a, b)
    assert m.apply("get hub xxx") == "GitHub x"
    assert m.source == "file, config"


def test_describe_is_toml_that_loads_back() -> None:
    import tomllib

    r = from_table({**TABLE, "it's": 'say "it is"'}, "config.toml")
    lines = r.describe()
    assert lines[0] == "# replacements from config.toml"
    again = from_table(tomllib.loads("\n".join(lines))["replacements"])
    assert again.plain == r.plain
    assert [p.pattern for p, _ in again.regex] == [p.pattern for p, _ in r.regex]
    assert from_table({}).describe() == []


@pytest.mark.parametrize("table, message", [
    ({"regex": {"(unclosed": "x"}}, "config: replacements.regex '(unclosed': missing ), "),
    ({"regex": {"a(b)": r"\2"}}, "config: replacements.regex 'a(b)': invalid group reference"),
    ({"regex": {"x": 3}}, "config: replacements.regex 'x': the replacement must be a string"),
    ({"regex": {"a*": "b"}}, "config: replacements.regex 'a*' matches empty text"),
    ({"regex": {r"(\w+\s?)+$": ""}}, r"config: replacements.regex '(\w+\s?)+$' is refused: a "
                                      "repetition inside a repetition"),
    ({"regex": {r"(a|a)*b": ""}}, "config: replacements.regex '(a|a)*b' is refused: its time "
                                  "grows"),
    ({"get hub": 5}, "config: replacements 'get hub' must be a string, not int"),
    ({"  ": "x"}, "config: a replacement with empty words"),
])
def test_bad_entries_are_one_line_naming_the_entry(table: dict, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        from_table(table)
    assert str(err.value).startswith(message), str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("bad", [b"[replacements\n", b"\xff\xfe", None])
def test_bad_files_are_one_line(tmp_path: Path, bad: bytes | None) -> None:
    path = tmp_path / "r.toml"
    if bad is not None:
        path.write_bytes(bad)
    with pytest.raises(ConfigError) as err:
        load_file(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("pattern", [r"(a+)+b", r"(\w+\s)*x", r"(a*)*"])
def test_nested_repetition_is_refused_by_shape(pattern: str) -> None:
    assert "repetition inside a repetition" in (regexsafe.problem(re.compile(pattern)) or "")


@pytest.mark.parametrize("pattern", [r"(a|aa)*b", r"(a{1,3})+b", r".*.*.*x"])
def test_super_quadratic_growth_is_refused(pattern: str) -> None:
    assert "backtracks too much" in (regexsafe.problem(re.compile(pattern)) or "")


@pytest.mark.parametrize("pattern", [r"\bcolou?r\b", r"(\d+) ?percent", r"\b(\w+) \1\b",
                                     r"(?>\w+\s?)+$", r"a++b", r"\d{3}-\d{4}"])
def test_ordinary_patterns_pass(pattern: str) -> None:
    assert regexsafe.problem(re.compile(pattern, re.I)) is None


def test_long_text_skips_the_patterns_but_keeps_the_plain_fixes() -> None:
    r = from_table(TABLE)
    long = "teh 5 percent " * (regexsafe.MAX_INPUT // 10)
    out = r.apply(long)
    assert "teh" not in out.lower().split() and "5 percent" in out


def test_a_capital_is_kept_only_at_the_start_of_a_sentence() -> None:
    r = from_table({"cube control": "kubectl", "teh": "the"})
    assert r.apply("Run Cube Control now. Cube Control works.\nTeh end") == (
        "Run kubectl now. Kubectl works.\nThe end")
