"""The text stage's options and tables, in-process: the command line, DICTATION_* variables
and config.toml's [replacements] and [commands.<language>] tables, down to RunConfig.text;
each bad entry one line naming the file, the line and the entry."""

from __future__ import annotations

import asyncio
import logging
import re
from pathlib import Path

import pytest

from dictation.cli import main as cli
from dictation.cli.build import build_config, check_daemon_args, resolve_args
from dictation.cli.textopts import listing
from dictation.config import RunConfig
from dictation.errors import ConfigError
from dictation.text.boundary import BoundaryConfig
from dictation.text.commands import apply, bias_phrases, build_table
from dictation.text.postprocess import PostConfig
from dictation.text.stage import TextStage


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty XDG config home; the working directory is the test's own."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write_config(home: Path, text: str) -> Path:
    path = home / "xdg" / "dictation" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def refused(start: str) -> pytest.RaisesExc[ConfigError]:
    """A ConfigError whose message starts with ``start``, taken literally."""
    return pytest.raises(ConfigError, match="^" + re.escape(start))


def config(argv: list[str], env: dict[str, str] | None = None) -> RunConfig:
    resolved = resolve_args(argv, env or {})
    return build_config(resolved.args, resolved.file)


def test_defaults() -> None:
    text = config([]).text
    assert text.commands.enabled and text.commands.language is None
    assert text.commands.table == {} and text.vocabulary == ()
    assert not text.replacements.plain and not text.replacements.regex
    assert text.post == PostConfig() and not text.post.active


def test_hold_from_the_command_line_and_the_file(home: Path) -> None:
    assert config([]).text.boundary.hold_s == BoundaryConfig().hold_s > 0
    assert config(["--hold", "0"]).text.boundary.hold_s == 0  # off: the silence alone decides
    write_config(home, "hold = 2.5\n")
    assert config([]).text.boundary.hold_s == 2.5
    assert config(["--hold", "0.8"]).text.boundary.hold_s == 0.8


def test_commands_off_from_each_layer(home: Path) -> None:
    assert not config(["--commands", "off"]).text.commands.enabled
    assert not config([], {"DICTATION_COMMANDS": "off"}).text.commands.enabled
    write_config(home, 'commands = "off"\n')
    assert not config([]).text.commands.enabled
    assert config(["--commands", "on"]).text.commands.enabled


def test_a_command_table_in_the_file_extends_the_language_of_the_transcript(home: Path
                                                                           ) -> None:
    write_config(home, '[commands.de]\n"neue zeile" = "newline"\nkomma = ","\n'
                       '[commands.en]\n"full stop" = ""\nsmiley = ":-)"\n')
    commands = config(["--language", "de"]).text.commands
    assert commands.language == "de"
    assert commands.table == {"de": {"neue zeile": "newline", "komma": ","},
                              "en": {"full stop": "", "smiley": ":-)"}}
    assert apply("Hallo Anna komma neue zeile", build_table(commands)).text == "Hallo Anna,\n"
    english = build_table(config([]).text.commands)
    assert "full stop" not in bias_phrases(english) and "smiley" in bias_phrases(english)


def test_vocabulary_from_each_layer_and_a_file(home: Path) -> None:
    words = home / "words.txt"
    words.write_text("# names the team uses\nXiomara\n\n  Siobhan  \nC#\nkubernetes\r\n")
    assert config(["--vocabulary", "Kubernetes", "--vocabulary", "Tadhg",
                   "--vocabulary-file", str(words)]).text.vocabulary == (
        "Kubernetes", "Tadhg", "Xiomara", "Siobhan", "C#")  # "kubernetes" was there already
    write_config(home, 'vocabulary = ["Grafana", "Prometheus"]\n'
                       f'vocabulary-file = "{words}"\n')
    assert config([]).text.vocabulary == ("Grafana", "Prometheus", "Xiomara", "Siobhan", "C#",
                                          "kubernetes")
    env = {"DICTATION_VOCABULARY": "Ansible, Nguyen"}
    assert config([], env).text.vocabulary[:3] == ("Ansible", "Nguyen", "Xiomara")
    assert config(["--vocabulary", "Niamh"], env).text.vocabulary[0] == "Niamh"


@pytest.mark.parametrize(("text", "expected"), [
    ("ok\n\n# fine\nbad\x01word\n", "words.txt line 4: a vocabulary word cannot hold control"),
    ("ok\n...\n", "words.txt line 2: needs a word, got '...'"),
    ("x" * 101 + "\n", "words.txt line 1: takes a word or a name of at most 100 characters"),
])
def test_a_bad_vocabulary_line_is_named(home: Path, text: str, expected: str) -> None:
    (home / "words.txt").write_text(text)
    with refused(expected):
        config(["--vocabulary-file", "words.txt"])


def test_an_unreadable_vocabulary_file(home: Path) -> None:
    with refused("cannot read vocabulary file nope.txt"):
        config(["--vocabulary-file", "nope.txt"])
    (home / "latin1.txt").write_bytes(b"Bj\xf6rk\n")
    with refused("vocabulary file latin1.txt is not UTF-8 text"):
        config(["--vocabulary-file", "latin1.txt"])


def test_replacements_from_the_file_table_and_a_file_of_their_own(home: Path) -> None:
    write_config(home, '[replacements]\n"get hub" = "GitHub"\n"cube control" = "kubectl"\n'
                       "[replacements.regex]\n'(\\d+) ?percent' = '\\1 %'\n")
    table_only = config([]).text.replacements
    assert table_only.apply("Get Hub is at 40 percent") == "GitHub is at 40 %"
    own = home / "fixes.toml"
    own.write_text('"cube control" = "kubectl(1)"\n[regex]\n\'\\bteh\\b\' = "the"\n')
    merged = config(["--replacements", str(own)]).text.replacements
    assert merged.apply("run cube control on teh node, 5 percent") == \
        "run kubectl(1) on the node, 5 %"  # the file's entry won; both tables' regexes ran
    own.write_text('[replacements]\n"get hub" = "Gitea"\n')  # with its header, too
    assert config([], {"DICTATION_REPLACEMENTS": str(own)}).text.replacements.apply(
        "get hub") == "Gitea"


@pytest.mark.parametrize(("text", "expected"), [
    ('model = "m"\n[replacements]\n"get hub" = "GitHub"\n"a" = 3\n',
     "line 4: replacements 'a' must be a string, not int"),
    ('[replacements]\n"  " = "x"\n', "line 2: a replacement with empty words"),
    ("replacements.x = 3\n", "line 1: replacements 'x' must be a string, not int"),
    ('[replacements]\na = "b"\n\n[replacements.regex]\n\'ok\' = "x"\n\'(a+)+$\' = "x"\n',
     "line 6: replacements.regex '(a+)+$' is refused: a repetition inside a repetition"),
    ("[replacements.regex]\n'(' = 'x'\n", "line 2: replacements.regex '(': missing )"),
    ("[replacements.regex]\n'x*' = 'y'\n", "line 2: replacements.regex 'x*' matches empty"),
    ("[replacements.regex]\n'(a)' = '\\2'\n", "line 2: replacements.regex '(a)': invalid group"),
    ('[replacements.other]\na = "b"\n', "line 1: [replacements.other] is not a table"),
    ('[commands]\ncomma = ","\n', "line 2: commands: 'comma' is not a language's table"),
    ('[commands.german]\na = "b"\n', "line 1: [commands.german]: takes an ISO-639-1 code"),
    ('[commands.de]\nkomma = ","\n"neue zeile" = "a very long text here"\n',
     "line 3: commands.de: 'neue zeile': 'a very long text her' is not punctuation text"),
    ('[commands.de]\n"a b c d e f g" = ","\n', "line 2: commands.de: 'a b c d e f g' must be"),
    ("[commands.de]\nkomma = 3\n", "line 2: commands.de: 'komma' must be a string"),
    ("commands.de.komma = 3\n", "line 1: commands.de: 'komma' must be a string"),
    ('[run]\nengine = "api"\n', "line 1: 'run' is a table; config.toml has no sections but "
                                "[replacements]"),
])
def test_a_bad_table_entry_is_one_line_naming_file_line_and_entry(
        home: Path, text: str, expected: str) -> None:
    path = write_config(home, text)
    with refused(f"{path} {expected}") as err:
        config([])
    assert "\n" not in str(err.value)


def test_a_bad_entry_of_a_replacements_file_names_its_line(home: Path) -> None:
    (home / "fixes.toml").write_text('ok = "fine"\n\nbad = 3\n')
    with refused("fixes.toml line 3: replacements 'bad' must be"):
        config(["--replacements", "fixes.toml"])
    (home / "fixes.toml").write_text('ok = "unclosed\n')
    with refused("fixes.toml line 1, column 15: Illegal character"):
        config(["--replacements", "fixes.toml"])
    with refused("replacements file nope.toml (from --replacements) not found"):
        config(["--replacements", "nope.toml"])


def test_a_table_from_the_environment_is_one_line(home: Path,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, "dictation"):
        text = config([], {"DICTATION_COMMANDS_DE": "komma=,",
                           "DICTATION_REPLACEMENTS_GET_HUB": "GitHub"}).text
    assert text.commands.table == {} and not text.replacements.plain
    assert [r.getMessage() for r in caplog.records] == [
        "environment variable DICTATION_COMMANDS_DE: a table ([commands.<language>]) cannot "
        "come from the environment, only from config.toml; ignored",
        "environment variable DICTATION_REPLACEMENTS_GET_HUB: a table ([replacements]) cannot "
        "come from the environment, only from config.toml; ignored"]


# --- post-processing -----------------------------------------------------------------------


def test_post_processing_options_reach_the_config(home: Path) -> None:
    post = config(["--post-command", "tr a-z A-Z", "--post-timeout", "2.5",
                   "--rewrite-model", "llama3", "--rewrite-url", "http://127.0.0.1:8080/v1",
                   "--rewrite-timeout", "30"]).text.post
    assert (post.command, post.command_timeout_s) == ("tr a-z A-Z", 2.5)
    assert (post.rewrite_model, post.rewrite_url, post.rewrite_timeout_s) == (
        "llama3", "http://127.0.0.1:8080/v1", 30.0)
    assert post.api_key is None and post.active


def test_the_rewrite_model_shares_the_transcription_key_url_and_tls(home: Path) -> None:
    pem = home / "ca.pem"
    pem.write_text(Path("/etc/ssl/certs/ca-certificates.crt").read_text())
    env = {"OPENAI_API_KEY": "sk-shared"}
    post = config(["--base-url", "http://10.0.0.9:8000/v1", "--allow-insecure-http",
                   "--ca-cert", str(pem), "--rewrite-model", "m"], env).text.post
    assert (post.api_key, post.rewrite_url) == ("sk-shared", "http://10.0.0.9:8000/v1")
    assert post.allow_insecure_http and post.ca_cert == pem
    assert "sk-shared" not in repr(post)
    # With the local engine: OpenAI's URL, and the key if one is configured.
    post = config(["--engine", "local", "--rewrite-model", "m"], env).text.post
    assert (post.api_key, post.rewrite_url) == ("sk-shared", "https://api.openai.com/v1")
    # The post-command alone still knows the key, to keep it out of the command's environment.
    assert config(["--post-command", "cat"], env).text.post.api_key == "sk-shared"


@pytest.mark.parametrize(("argv", "expected"), [
    (["--rewrite-model", "m"], "--rewrite-model needs an API key for the default --rewrite-url"),
    (["--rewrite-model", "m", "--rewrite-url", "http://10.0.0.9/v1"],
     "--rewrite-url: refusing to send"),
    (["--rewrite-model", "m", "--rewrite-url", "ftp://x"], "--rewrite-url: base URL must be"),
    (["--post-command", "no-such-command-here --flag"],
     "--post-command: 'no-such-command-here' is not an executable file"),
    (["--post-command", "sed 's/a/b"], "--post-command: No closing quotation"),
])
def test_post_processing_that_cannot_work_is_refused_before_anything_starts(
        home: Path, argv: list[str], expected: str) -> None:
    with refused(expected):
        config(["--engine", "local", *argv])


def test_errors_reach_the_user_as_one_line(home: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    def started(*args: object, **kwargs: object) -> None:
        raise AssertionError("a bad entry was accepted")

    monkeypatch.setattr(cli, "run_pipeline", started)
    path = write_config(home, '[replacements]\n"a" = 3\n')
    assert cli.main(["run"]) == 2
    assert capsys.readouterr().err == (f"dictation: error: {path} line 2: replacements 'a' "
                                       "must be a string, not int\n")


def test_the_service_takes_the_text_options(home: Path) -> None:
    args, grace = check_daemon_args(["--commands", "off", "--vocabulary", "Xiomara",
                                     "--rewrite-model", "m", "--post-timeout", "1"])
    assert args[0] == "--commands" and grace == 5.0
    with pytest.raises(SystemExit):  # a bad value exits 2 with run's usage line
        check_daemon_args(["--post-timeout", "0"])


def test_each_languages_table_from_the_file_reaches_the_stage_and_the_listing(home: Path
                                                                             ) -> None:
    write_config(home, '[commands.fr]\nvirgule = ""\n"guillemet ouvrant" = "«"\n'
                       '[commands.es]\n"punto final" = ""\n')
    stage = TextStage(config([]).text)
    rendered = asyncio.run(stage.render("Il dit, guillemet ouvrant, salut virgule",
                                        language="fr"))
    assert rendered.text == "Il dit «salut virgule"  # added, and a built-in one removed
    assert asyncio.run(stage.render("Fin punto final", language="es")).text == (
        "Fin punto final")  # removed: "punto" alone mid-utterance is a word
    assert asyncio.run(stage.render("Fin punto", language="es")).text == "Fin."
    assert asyncio.run(stage.render("Ende Komma", language="de")).text == "Ende,"
    shown = listing(resolve_args(["config"], {}))
    assert "# command phrases added to the built-in tables (en, fr, es, de), or changed\n" \
        '[commands.fr]\n"virgule" = ""\n"guillemet ouvrant" = "«"\n' in shown
    assert '[commands.es]\n"punto final" = ""\n' in shown
