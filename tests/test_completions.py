"""`dictation completions`: the scripts cover every command and option of the parser, and real
shells load them and complete with them (bash through its programmable completion, fish
through `complete -C`, zsh at Tab on a pseudo-terminal)."""

from __future__ import annotations

import os
import pty
import re
import select
import shutil
import subprocess
import time
from pathlib import Path

import procs
import pytest
from conftest import dictation_cmd

from dictation.cli.completions import SHELLS, script
from dictation.cli.options import build_parser
from dictation.cli.tree import options, walk

ENV = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/nonexistent",
       "LC_ALL": "C.UTF-8", "PYTHONPATH": os.environ.get("PYTHONPATH", "")}


def every_option() -> list[tuple[tuple[str, ...], str]]:
    return [(path, opt) for path, p in walk(build_parser()) for opt in options(p)]


def test_the_parser_has_commands_and_options_to_cover() -> None:
    found = every_option()
    assert len(found) > 100
    assert (("models", "bench"), "--runs") in found and (("status",), "--spool-dir") in found


def _offered(shell: str, text: str, path: tuple[str, ...], opt: str) -> bool:
    """Whether the script offers ``opt`` after the commands ``path``."""
    if shell == "bash":  # one array of option strings per command
        name = "_".join(("dictation", *path)).replace("-", "_")
        row = re.search(rf"^_shtab_{name}_option_strings=\((.*)\)$", text, re.M)
        return row is not None and opt in row.group(1).split()
    if shell == "fish":  # one `complete` line per option, conditioned on the commands
        cond = "_shtab_dictation_using" + "".join(f" {p}" for p in path)
        flag = f"-l {opt[2:]}" if opt.startswith("--") else f"-s {opt[1:]}"
        return any((f"-n '{cond}'" in line or f"-n {cond} " in line)
                   and re.search(rf"{flag}( |$)", line) for line in text.splitlines())
    return opt in text  # zsh: each command's function lists its options


@pytest.mark.parametrize("shell", SHELLS)
def test_every_command_and_option_is_in_the_script(shell: str) -> None:
    text = script(build_parser(), shell)
    for path, _ in walk(build_parser()):
        assert all(name in text for name in path), path
    absent = [(path, opt) for path, opt in every_option()
              if not _offered(shell, text, path, opt)]
    assert not absent, absent


@pytest.mark.parametrize("shell", SHELLS)
def test_the_command_prints_the_script(shell: str) -> None:
    done = subprocess.run(dictation_cmd("completions", shell), capture_output=True, text=True,
                          env=ENV, timeout=60)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert done.stdout == script(build_parser(), shell)


def test_a_broken_config_file_does_not_break_the_shell_start_up(tmp_path: Path) -> None:
    # A shell's start-up file runs this on every new shell: no config is read for it.
    (tmp_path / "dictation").mkdir()
    (tmp_path / "dictation" / "config.toml").write_text("this is = = not toml\n")
    done = subprocess.run(dictation_cmd("completions", "bash"), capture_output=True,
                          text=True, env={**ENV, "XDG_CONFIG_HOME": str(tmp_path)}, timeout=60)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert done.stdout == script(build_parser(), "bash")


def test_an_unknown_shell_is_one_line() -> None:
    done = subprocess.run(dictation_cmd("completions", "tcsh"), capture_output=True,
                          text=True, env=ENV, timeout=60)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "tcsh" in done.stderr, done.stderr


def _bash_complete(completion: Path, words: list[str], cwd: Path | None = None) -> list[str]:
    """COMPREPLY for the command line ``words`` (the last one being completed), as bash's
    programmable completion computes it with the script loaded."""
    quoted = " ".join(f"'{w}'" for w in words)
    program = f"""
        source '{completion}'
        spec=$(complete -p dictation) || exit 3
        fn=$(sed -E 's/.*-F ([^ ]+).*/\\1/' <<< "$spec")
        COMP_WORDS=({quoted}); COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
        COMP_LINE="${{COMP_WORDS[*]}}"; COMP_POINT=${{#COMP_LINE}}
        "$fn" dictation "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
        printf '%s\\n' "${{COMPREPLY[@]}}"
    """
    done = subprocess.run(["bash", "--norc", "--noprofile", "-c", program], capture_output=True,
                          text=True, env=ENV, timeout=30, cwd=cwd)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_bash_completes_commands_options_and_choices(tmp_path: Path) -> None:
    completion = tmp_path / "dictation.bash"
    completion.write_text(script(build_parser(), "bash"))
    assert set(_bash_complete(completion, ["dictation", "c"])) == {
        "captions", "config", "ctl", "completions"}
    assert _bash_complete(completion, ["dictation", "run", "--hango"]) == [
        "--hangover-max", "--hangover-min"]
    assert _bash_complete(completion, ["dictation", "run", "--output", "cl"]) == ["clipboard"]
    assert _bash_complete(completion, ["dictation", "models", "p"]) == ["pull"]
    assert "--runs" in _bash_complete(completion, ["dictation", "models", "bench", "--"])


def test_bash_completes_file_names_for_a_path_option(tmp_path: Path) -> None:
    completion = tmp_path / "dictation.bash"
    completion.write_text(script(build_parser(), "bash"))
    (tmp_path / "talk.srt").write_text("")
    assert _bash_complete(completion, ["dictation", "run", "--srt", "tal"], tmp_path) == [
        "talk.srt"]


def test_fish_completes_with_the_script(tmp_path: Path) -> None:
    if shutil.which("fish") is None:
        pytest.fail("fish is not installed: run 'make test', which installs it")
    completion = tmp_path / "dictation.fish"
    completion.write_text(script(build_parser(), "fish"))

    def complete(line: str) -> list[str]:
        done = subprocess.run(
            ["fish", "--no-config", "-c", f"source '{completion}'; complete -C '{line}'"],
            capture_output=True, text=True, env=ENV, timeout=30)
        assert done.returncode == 0, done.stderr
        return [row.split("\t")[0] for row in done.stdout.splitlines()]

    assert {"captions", "config", "ctl", "completions"} <= set(complete("dictation c"))
    assert {"--hangover-max", "--hangover-min"} == set(complete("dictation run --hango"))
    assert complete("dictation run --output cl") == ["clipboard"]


def _until(main: int, token: str, timeout: float = 30) -> str:
    """What the terminal showed until ``token`` appeared in it."""
    seen = b""
    deadline = time.monotonic() + timeout
    while token.encode() not in seen:
        assert time.monotonic() < deadline, f"no {token!r} on the terminal: {seen[-400:]!r}"
        if select.select([main], [], [], 0.5)[0]:
            seen += os.read(main, 65536)
    return seen.decode(errors="replace")


def test_zsh_completes_with_the_script(tmp_path: Path) -> None:
    """An interactive zsh on a pseudo-terminal, the script on its fpath as `_dictation`,
    compinit run: Tab completes as a user would see it."""
    if shutil.which("zsh") is None:
        pytest.fail("zsh is not installed: run 'make test', which installs it")
    (tmp_path / "_dictation").write_text(script(build_parser(), "zsh"))
    main, child = pty.openpty()
    proc = procs.spawn(["zsh", "-f", "-i"], stdin=child, stdout=child, stderr=child,
                       env={**ENV, procs.TOKEN: os.environ[procs.TOKEN], "TERM": "dumb",
                            "PS1": "> "}, cwd=tmp_path)
    os.close(child)
    try:
        os.write(main, f"fpath=({tmp_path} $fpath); autoload -Uz compinit; "
                       f"compinit -u -d {tmp_path}/dump; print READY-$((6*7))\n".encode())
        _until(main, "READY-42")
        os.write(main, b"dictation run --hango\t")
        _until(main, "dictation run --hangover-m")
        os.write(main, b"\x15dictation run --output cl\t")
        _until(main, "dictation run --output clipboard")
    finally:
        procs.stop_group(proc)
        os.close(main)
