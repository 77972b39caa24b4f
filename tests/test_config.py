"""The config layer: config.toml, DICTATION_* variables and the command line, merged in that
order over the defaults; errors that name the key and the line; `dictation config`."""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import tomllib
import uuid
from pathlib import Path

import pytest
from conftest import dictation_cmd

from dictation.cli import settings
from dictation.cli.build import build_engine, resolve_args
from dictation.errors import ConfigError
from dictation.transcribe.engines import ApiConfig, LocalConfig


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty XDG config home, for this process and the commands it starts."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    return tmp_path


def write_config(home: Path, text: str, mode: int = 0o600) -> Path:
    path = home / "xdg" / "dictation" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)
    return path


def cli(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DICTATION_", "OPENAI_"))}
    p = subprocess.run(dictation_cmd(*args), capture_output=True, text=True,
                       env={**clean, **env}, timeout=60)
    assert "Traceback" not in p.stderr, p.stderr
    return p


def listing(stdout: str) -> tuple[dict, dict[str, str]]:
    """`dictation config`'s output: its values (it must be valid TOML) and each key's source."""
    sources = {}
    for line in stdout.splitlines():
        m = re.match(r"^(?:# )?([a-z][\w-]*) =.*?  # (.+)$", line)
        if m:
            sources[m[1]] = m[2]
    return tomllib.loads(stdout), sources


def error_line(p: subprocess.CompletedProcess) -> str:
    assert p.returncode == 2, (p.stdout, p.stderr)
    lines = p.stderr.splitlines()
    assert len(lines) == 1, p.stderr
    return lines[0]


# --- precedence ----------------------------------------------------------------------------


def test_each_layer_overrides_the_one_below(home: Path) -> None:
    write_config(home, 'model = "file-model"\nprompt = "file prompt"\n'
                       "beam-size = 2\nthreads = 3\n")
    env = {"DICTATION_PROMPT": "env prompt", "DICTATION_BEAM_SIZE": "4"}
    r = resolve_args(["run", "--beam-size", "5"], env)
    a = r.args
    assert (a.temperature, a.model, a.threads) == (0.0, "file-model", 3)
    assert (a.prompt, a.beam_size) == ("env prompt", 5)
    assert r.sources["temperature"] == "default"
    assert r.sources["model"] == "file line 1"
    assert r.sources["threads"] == "file line 4"
    assert r.sources["prompt"] == "env DICTATION_PROMPT"
    assert r.sources["beam-size"] == "command line"


def test_dictation_config_shows_every_layer(home: Path) -> None:
    write_config(home, "# dictation\n\nverbose = false\nvad-aggressiveness = 1\n"
                       'prompt = "from the file"\ntemperature = 0.3\n')
    p = cli("-v", "config", XDG_CONFIG_HOME=str(home / "xdg"), DICTATION_TEMPERATURE="0.6", OPENAI_BASE_URL="http://127.0.0.1:9/v1")
    assert p.returncode == 0, p.stderr
    values, sources = listing(p.stdout)
    assert values["verbose"] is True and sources["verbose"] == "command line"
    assert values["temperature"] == 0.6 and sources["temperature"] == "env DICTATION_TEMPERATURE"
    assert values["vad-aggressiveness"] == 1 and sources["vad-aggressiveness"] == "file line 4"
    assert values["prompt"] == "from the file" and sources["prompt"] == "file line 5"
    assert values["base-url"] == "http://127.0.0.1:9/v1"
    assert sources["base-url"] == "env OPENAI_BASE_URL"
    assert values["model"] == "whisper-1" and sources["model"] == "default"
    # None is commented out, so the listing stays valid TOML and reads back as "unset".
    assert "input" not in values and re.search(r"^# input = +# default$", p.stdout, re.M)


def test_dictation_config_reads_back_as_a_config_file(home: Path) -> None:
    write_config(home, 'prompt = "tab\\tand \\"quotes\\" and \\u0007"\noutput = "clipboard"\n'
                       'keep-dir = "/srv/kept"\n')
    first = cli("config")
    assert first.returncode == 0, first.stderr
    write_config(home, first.stdout)
    second = cli("config")
    assert second.returncode == 0, second.stderr
    before, after = listing(first.stdout)[0], listing(second.stdout)[0]
    assert before == after and before["prompt"] == 'tab\tand "quotes" and \x07'
    assert before["output"] == ["clipboard"] and before["keep-dir"] == "/srv/kept"


def test_dictation_config_shows_the_text_stage_and_reads_back(home: Path) -> None:
    words = home / "words.txt"
    words.write_text("# team\nXiomara\nkubernetes\n")
    fixes = home / "fixes.toml"
    fixes.write_text('"cube control" = "kubectl"\n')
    write_config(home, f'vocabulary = ["Kubernetes", "Siobhan"]\nvocabulary-file = "{words}"\n'
                       'rewrite-url = "https://user:hunter2@chat.example/v1"\n'
                       '[replacements]\n"get hub" = "GitHub"\n'
                       "[replacements.regex]\n'(\\d+) ?percent' = '\\1 %'\n"
                       '[commands.de]\n"neue zeile" = "newline"\n')
    first = cli("config", DICTATION_REPLACEMENTS=str(fixes))
    assert first.returncode == 0, first.stderr
    out = first.stdout
    assert "# vocabulary in use (3): Kubernetes, Siobhan, Xiomara\n" in out
    assert "[replacements]\n'get hub' = 'GitHub'\n'cube control' = 'kubectl'\n" in out
    assert "[replacements.regex]\n'(\\d+) ?percent' = '\\1 %'\n" in out
    assert '[commands.de]\n"neue zeile" = "newline"\n' in out
    assert "hunter2" not in out and "chat.example" in out
    # The keys whose tables are shown are comments: TOML cannot hold both.
    assert re.search(r'^# replacements = ".*fixes.toml" +# env DICTATION_REPLACEMENTS$', out,
                     re.M)
    assert re.search(r'^# commands = "on" +# default$', out, re.M)
    write_config(home, out)
    second = cli("config")
    assert second.returncode == 0, second.stderr
    before, after = listing(out)[0], listing(second.stdout)[0]
    assert before == after and before["commands"] == {"de": {"neue zeile": "newline"}}
    assert before["replacements"]["cube control"] == "kubectl"


def test_dictation_config_with_commands_off_keeps_the_tables_as_comments(home: Path) -> None:
    write_config(home, '[commands.de]\nkomma = ","\n')
    p = cli("config", DICTATION_COMMANDS="off")
    assert p.returncode == 0, p.stderr
    assert re.search(r'^commands = "off" +# env DICTATION_COMMANDS$', p.stdout, re.M)
    assert '# [commands.de]\n# "komma" = ","\n' in p.stdout
    assert listing(p.stdout)[0]["commands"] == "off"  # valid TOML: the key, no table


def test_dictation_names_have_priority_over_openai_ones(home: Path) -> None:
    env = {"OPENAI_BASE_URL": "http://openai.example/v1",
           "DICTATION_BASE_URL": "http://dictation.example/v1", "OPENAI_API_KEY": ""}
    r = resolve_args([], env)
    assert r.args.base_url == "http://dictation.example/v1"
    assert r.sources["base-url"] == "env DICTATION_BASE_URL"
    assert r.args.api_key is None  # an empty variable counts as unset


def test_config_path_option_and_variable(home: Path) -> None:
    own = home / "elsewhere.toml"
    own.write_text('model = "own"\n')
    assert resolve_args(["--config", str(own)], {}).args.model == "own"
    assert resolve_args(["run", "--config", str(own)], {}).args.model == "own"
    assert resolve_args([], {"DICTATION_CONFIG": str(own)}).args.model == "own"
    p = cli("config", "--path")
    assert p.stdout == f"{home / 'xdg' / 'dictation' / 'config.toml'}\n"
    p = cli("--config", str(own), "config", "--path")
    assert p.stdout == f"{own}\n"
    # --path is how to find a broken file: it answers without reading it.
    write_config(home, "bogus = [\n")
    assert error_line(cli("config")).startswith("dictation: error: ")
    for args in (("config", "--path"), ("-q", "config", "--pa")):
        p = cli(*args)
        assert (p.returncode, p.stderr) == (0, "")
        assert p.stdout == f"{home / 'xdg' / 'dictation' / 'config.toml'}\n"
    p = cli("config", "--path", DICTATION_CONFIG=str(own))
    assert (p.returncode, p.stdout) == (0, f"{own}\n")
    # A missing default file is no file; a missing named one is an error.
    assert cli("config", XDG_CONFIG_HOME=str(home / "none")).returncode == 0
    for args, env in ((["--config", str(home / "nope.toml")], {}),
                      ([], {"DICTATION_CONFIG": str(home / "nope.toml")})):
        line = error_line(cli(*args, "config", **env))
        assert line.startswith("dictation: error: config file ") and "nope.toml" in line
        assert "not found" in line


# --- values: types, lists, flags, paths --------------------------------------------------


def test_append_option_from_file_env_and_command_line(home: Path) -> None:
    write_config(home, 'output = ["clipboard", "stdout"]\n')
    assert resolve_args([], {}).args.output == ["clipboard", "stdout"]
    write_config(home, 'output = "clipboard"\n')  # a single string is a list of one
    assert resolve_args([], {}).args.output == ["clipboard"]
    env = {"DICTATION_OUTPUT": "stdout, clipboard"}
    assert resolve_args([], env).args.output == ["stdout", "clipboard"]
    # Given on the command line, it replaces the lower layers instead of adding to them.
    r = resolve_args(["-o", "stdout"], env)
    assert r.args.output == ["stdout"] and r.sources["output"] == "command line"


def test_flags_from_file_and_env(home: Path) -> None:
    write_config(home, "fast = true\nfull-window = true\n")
    a = resolve_args([], {"DICTATION_FULL_WINDOW": "off", "DICTATION_QUIET": "Yes"}).args
    assert (a.fast, a.full_window, a.quiet, a.verbose) == (True, False, True, False)


def test_paths_from_the_file_expand_the_home_directory(home: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(home))
    write_config(home, 'keep-dir = "~/kept"\napi-key-file = "~/key"\n')
    a = resolve_args([], {}).args
    assert a.keep_dir == home / "kept" and a.api_key_file == home / "key"


def test_keys_of_other_commands_apply_only_to_them(home: Path) -> None:
    write_config(home, 'format = "srt"\nout = "captions"\nfast = true\n')
    run = resolve_args([], {}).args
    assert not hasattr(run, "format") and run.fast is True
    tr = resolve_args(["transcribe", "talk.wav"], {}).args
    assert (tr.format, tr.out, tr.files) == ("srt", "captions", [Path("talk.wav")])
    assert not hasattr(tr, "fast")


def test_an_option_added_to_the_parser_is_a_key_with_no_other_code(home: Path) -> None:
    parser = argparse.ArgumentParser(prog="x")
    parser.add_argument("--loud", action="count", default=0)
    sub = parser.add_subparsers(dest="command")
    ctl = sub.add_parser("ctl")
    ctl.add_argument("verb", choices=("start", "stop"))
    ctl.add_argument("--socket", type=Path)
    ctl.add_argument("--no-cues", dest="cues", action="store_false")
    ctl.add_argument("--mode", choices=("toggle", "hold"), default="hold")
    ctl.add_argument("--retries", type=int, default=1)
    ctl.add_argument("--hotkey", action=argparse.BooleanOptionalAction, default=True)
    ctl.set_defaults(retries=2)
    path = write_config(home, 'socket = "/run/d.sock"\nno-cues = true\nmode = "toggle"\n'
                              "loud = 2\nhotkey = false\n")
    env = {"DICTATION_RETRIES": "7", "DICTATION_CONFIG": str(path)}
    r = settings.resolve(parser, ["ctl", "start", "--mode", "hold"], env)
    a = r.args
    assert (a.command, a.verb, a.socket, a.cues) == ("ctl", "start", Path("/run/d.sock"), False)
    assert (a.mode, a.loud, a.retries, a.hotkey) == ("hold", 2, 7, False)
    assert r.sources == {"loud": "file line 4", "socket": "file line 1", "no-cues": "file line 2",
                         "mode": "command line", "retries": "env DICTATION_RETRIES",
                         "hotkey": "file line 5"}
    assert "no-cues = true" in r.to_toml()  # the key's own sense, not the value of `cues`
    write_config(home, "verb = 'stop'\n")  # positionals are not keys
    with pytest.raises(ConfigError, match=r"line 1: unknown key 'verb'"):
        settings.resolve(parser, ["ctl", "start"], env)


# --- engine selection ----------------------------------------------------------------------


def test_a_base_url_in_the_file_selects_the_api_engine(home: Path) -> None:
    assert isinstance(build_engine(resolve_args([], {}).args), LocalConfig)
    write_config(home, 'base-url = "http://127.0.0.1:8000/v1"\n')
    engine = build_engine(resolve_args([], {}).args)
    assert isinstance(engine, ApiConfig) and engine.base_url == "http://127.0.0.1:8000/v1"
    assert isinstance(build_engine(resolve_args(["--engine", "local"], {}).args), LocalConfig)


def test_a_key_in_the_file_selects_the_api_engine(home: Path) -> None:
    write_config(home, 'api-key = "sk-file"\n')
    engine = build_engine(resolve_args([], {}).args)
    assert isinstance(engine, ApiConfig) and engine.api_key == "sk-file"


# --- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ('model = "m"\n\n# typo\nvad-agressiveness = 2\n',
     "line 4: unknown key 'vad-agressiveness' (did you mean 'vad-aggressiveness'?)"),
    ('model = "m"\n\n\n\n\n"vad-aggressiveness" = 7\n',
     "line 6: vad-aggressiveness: takes 0 to 3 (webrtcvad's modes), got 7"),
    ("temperature = 1.5\n", "line 1: temperature: must be between 0 and 1, got 1.5"),
    ('language = "english"\n',
     "line 1: language: takes an ISO-639-1 code such as 'en', or auto, got 'english'"),
    ("beam-size = 0\n", "line 1: beam-size: takes 1 to 100, got 0"),
    ("threads = -1\n", "line 1: threads: takes 0 (one per core) to 1024, got -1"),
    ("speculate = 9\n", "line 1: speculate: takes 0 to 5 seconds, got 9"),
    ("hold = 11\n", "line 1: hold: takes 0 to 10 seconds, got 11"),
    ("max-utterance = 700\n", "line 1: max-utterance: takes 6 to 600 seconds, got 700"),
    ('pre-roll = "long"\n', "line 1: pre-roll: expected a number, got 'long'"),
    ('fast = "yes"\n', "line 1: fast: expected true or false, got a string"),
    ("model = [1, 2]\n", "line 1: model: expected a string or a number, got a list"),
    ('output = ["stdout", "printer"]\n',
     "line 1: output: invalid choice 'printer' (choose from 'stdout', 'clipboard', 'type', "
     "'paste')"),
    ('format = "doc"\n', "line 1: format: invalid choice 'doc'"),  # another command's key
    ('model = "m"\n[run]\nengine = "api"\n', "line 2: 'run' is a table"),
    ('model = "m"\nprompt = "unclosed\n', "line 2, column 19: Illegal character"),
    ("model = 'm'\nmodel = 'n'\n", "line 2, column 12: Cannot overwrite a value"),
])
def test_a_bad_file_is_one_line_naming_key_and_line(home: Path, text: str,
                                                    expected: str) -> None:
    path = write_config(home, text)
    line = error_line(cli("run", "--base-url", "http://127.0.0.1:9/v1"))
    assert line.startswith(f"dictation: error: {path} {expected}"), line


@pytest.mark.parametrize(("var", "value", "expected"), [
    ("DICTATION_VAD_AGGRESSIVENESS", "9", "takes 0 to 3 (webrtcvad's modes), got 9"),
    ("DICTATION_TEMPERATURE", "hot", "expected a number, got 'hot'"),
    ("DICTATION_FAST", "maybe", "expected one of 1, true, yes, on, 0, false, no, off"),
    ("DICTATION_OUTPUT", "stdout,fax", "invalid choice 'fax'"),
])
def test_a_bad_variable_is_named(home: Path, var: str, value: str, expected: str) -> None:
    line = error_line(cli("config", **{var: value}))
    assert line.startswith(f"dictation: error: environment variable {var}: {expected}"), line


def test_command_line_range_errors_keep_their_wording() -> None:
    p = cli("--temperature", "2")
    assert p.returncode == 2
    assert p.stderr.splitlines()[-1] == ("dictation run: error: argument --temperature: "
                                         "must be between 0 and 1, got 2.0")


def test_unknown_dictation_variable_is_a_warning(home: Path) -> None:
    p = cli("config", DICTATION_VAD_AGRESSIVENESS="2")
    assert p.returncode == 0
    assert p.stderr.splitlines() == [
        "dictation: warning: environment variable DICTATION_VAD_AGRESSIVENESS is not a config "
        "key; ignored"]


# --- the API key ---------------------------------------------------------------------------


@pytest.mark.real
def test_the_key_is_never_shown(home: Path) -> None:
    secret = f"sk-{uuid.uuid4().hex}"
    runs = []
    path = write_config(home, f'api-key = "{secret}"\nbase-url = "http://127.0.0.1:9/v1"\n',
                        mode=0o644)
    runs.append(cli("-v", "config"))
    values, sources = listing(runs[-1].stdout)
    assert values["api-key"] == "<redacted>" and sources["api-key"] == "file line 1"
    assert f"config file {path} holds api-key and is readable by other users" in \
        runs[-1].stderr
    for var in ("DICTATION_API_KEY", "OPENAI_API_KEY"):
        runs.append(cli("config", **{var: secret}))
        values, sources = listing(runs[-1].stdout)
        assert values["api-key"] == "<redacted>" and sources["api-key"] == f"env {var}"
    # Files that fail to parse or check around the key.
    for text in (f"api-key = {secret}\n", f'api-key = "{secret}"\nfast = 3\n',
                 f'api-key = "{secret}\n', f'api-key = ["{secret}"]\n',
                 f"api-key = '{secret}'\napi-key = '{secret}'\n"):
        write_config(home, text)
        runs.append(cli("run"))
        assert runs[-1].returncode == 2, runs[-1].stderr
    for p in runs:
        assert secret not in p.stdout and secret not in p.stderr, p.stderr
