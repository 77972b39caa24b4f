"""The systemd user unit and `dictation install-service`: the repository's unit file checked by
systemd's own `systemd-analyze verify`, ExecStart quoting checked by systemd finding the
executable, and the installer run as a real command."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, _need, dictation_cmd

from dictation.control.service import DEFAULT_EXEC_START, exec_line, quote, render_unit

CONSOLE_SCRIPT = Path(sys.executable).with_name("dictation")


def verify(unit: Path, tmp_path: Path, home: Path | None = None) -> str:
    """`systemd-analyze verify` of a user unit; returns what it reported (nothing = clean).

    It needs no running systemd: --user only wants a private XDG_RUNTIME_DIR. It checks
    every key and value, and that ExecStart's program exists (so %h is pointed at ``home``)."""
    _need("systemd-analyze")
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "HOME": str(home or tmp_path),
           "SYSTEMD_LOG_COLOR": "0"}
    r = subprocess.run(["systemd-analyze", "verify", "--user", "--man=no", str(unit)],
                       capture_output=True, text=True, env=env, timeout=60)
    report = (r.stdout + r.stderr).strip()
    return report or ("" if r.returncode == 0 else f"exit status {r.returncode}")


def fake_home_with(tmp_path: Path, executable: Path) -> Path:
    """A home whose ~/.local/bin/dictation is a real dictation command."""
    home = tmp_path / "home"
    (home / ".local" / "bin").mkdir(parents=True)
    (home / ".local" / "bin" / "dictation").symlink_to(executable)
    return home


def test_repo_unit_is_the_rendered_default() -> None:
    assert (REPO / "systemd" / "dictation.service").read_text() == render_unit()
    assert f"\nExecStart={DEFAULT_EXEC_START}\n" in render_unit()


def test_repo_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    unit = REPO / "systemd" / "dictation.service"
    assert verify(unit, tmp_path, fake_home_with(tmp_path, CONSOLE_SCRIPT)) == ""
    # The check can fail: without ~/.local/bin/dictation systemd reports it...
    empty = tmp_path / "empty-home"
    empty.mkdir()
    assert "is not executable" in verify(unit, tmp_path, empty)
    # ...and it reports keys it does not know.
    bad = tmp_path / "dictation.service"
    bad.write_text(render_unit().replace("UMask=0077", "UMask=0077\nProtectDesktop=yes"))
    assert "ProtectDesktop" in verify(bad, tmp_path, tmp_path / "home")


def test_unit_settings() -> None:
    # The requirements, as systemd reads them: one key per line in its section.
    sections: dict[str, dict[str, str]] = {}
    for line in render_unit().splitlines():
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
        elif "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            assert key not in current, f"{key} set twice"
            current[key] = value
    unit, service = sections["Unit"], sections["Service"]
    assert unit["PartOf"] == unit["After"] == "graphical-session.target"
    assert sections["Install"]["WantedBy"] == "graphical-session.target"
    assert int(unit["StartLimitBurst"]) >= 3 and int(unit["StartLimitIntervalSec"]) > 0
    assert service["Type"] == "notify" and service["Restart"] == "on-failure"
    assert 20 <= int(service["WatchdogSec"]) <= 60 and 1 <= int(service["RestartSec"]) <= 10
    assert service["EnvironmentFile"] == "-%E/dictation/env"
    assert service["UMask"] == "0077"
    for key in ("NoNewPrivileges", "LockPersonality", "RestrictSUIDSGID"):
        assert service[key] == "yes"
    # Nothing that hides the home, the runtime dir (sound server, Wayland), /tmp/.X11-unix
    # or /dev/uinput from a user service.
    for key in ("ProtectHome", "PrivateDevices", "PrivateTmp", "ProtectSystem", "PrivateUsers",
                "DevicePolicy", "InaccessiblePaths", "TemporaryFileSystem"):
        assert key not in service


@pytest.mark.parametrize(("arg", "word"), [
    ("run", "run"),
    ("--output=clipboard", "--output=clipboard"),
    ("a b", '"a b"'),
    ("100%", "100%%"),
    ("$HOME", '"$$HOME"'),
    ('say "hi"', r'"say \"hi\""'),
    ("back\\slash", r'"back\\slash"'),
    (";", '";"'),
    ("two\nlines", r'"two\x0alines"'),
    ("", '""'),
    ("café", '"café"'),
])
def test_quote(arg: str, word: str) -> None:
    assert quote(arg) == word


def test_exec_line_needs_an_absolute_program() -> None:
    from dictation.errors import ConfigError

    assert exec_line(["/opt/my apps/dictation", "run", "--prompt", "50% off"]) == \
        '"/opt/my apps/dictation" run --prompt "50%% off"'
    with pytest.raises(ConfigError):
        exec_line(["dictation", "run"])


def install(*args: str, program: list[str] | None = None, config: Path,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    cmd = [*(program or dictation_cmd()), "install-service", *args]
    return subprocess.run(["/bin/sh", "-c", 'umask 077; exec "$@"', "sh", *cmd],
                          capture_output=True, text=True, timeout=60,
                          env={**(env or os.environ), "XDG_CONFIG_HOME": str(config)})


def unit_file(config: Path) -> Path:
    return config / "systemd" / "user" / "dictation.service"


def exec_start(config: Path) -> str:
    lines = [ln for ln in unit_file(config).read_text().splitlines()
             if ln.startswith("ExecStart=")]
    assert len(lines) == 1
    return lines[0].removeprefix("ExecStart=")


def test_install_from_the_console_script(tmp_path: Path) -> None:
    config = tmp_path / "config"
    r = install("--no-enable", "--", "--output", "clipboard", "--prompt", "Dr. Ng's 100% notes",
                program=[str(CONSOLE_SCRIPT)], config=config)
    assert r.returncode == 0, r.stderr
    path = unit_file(config)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644  # even under umask 077
    expected = exec_line([str(CONSOLE_SCRIPT), "run", "--output", "clipboard", "--prompt",
                          "Dr. Ng's 100% notes"])
    assert exec_start(config) == expected
    assert path.read_text() == render_unit(expected)
    assert f"installed {path}" in r.stderr
    assert "systemctl --user enable --now dictation.service" in r.stderr
    assert list(path.parent.iterdir()) == [path]  # no temporary file left behind


def test_install_from_python_dash_m(tmp_path: Path) -> None:
    config = tmp_path / "config"
    r = install("--no-enable", config=config)
    assert r.returncode == 0, r.stderr
    assert exec_start(config) == exec_line([sys.executable, "-m", "dictation", "run"])


def test_install_keeps_the_link_it_was_started_as_and_systemd_finds_it(tmp_path: Path) -> None:
    # A ~/.local/bin link (pipx) is kept, not resolved, so an upgrade does not break the unit.
    # The directory name needs quoting and a doubled '%': systemd must still find the program.
    bindir = tmp_path / "my apps 100%"
    bindir.mkdir()
    link = bindir / "dictation"
    link.symlink_to(CONSOLE_SCRIPT)
    config = tmp_path / "config"
    r = install("--no-enable", "--", "-v", "--prompt", 'say "$HOME"', program=[str(link)],
                config=config)
    assert r.returncode == 0, r.stderr
    assert exec_start(config) == (f'"{bindir}/dictation"'.replace("%", "%%")
                                  + r' run -v --prompt "say \"$$HOME\""')
    assert verify(unit_file(config), tmp_path) == ""
    link.unlink()
    assert "is not executable" in verify(unit_file(config), tmp_path)


def test_install_replaces_an_older_unit(tmp_path: Path) -> None:
    config = tmp_path / "config"
    assert install("--no-enable", "--", "--output", "clipboard", config=config).returncode == 0
    assert install("--no-enable", config=config).returncode == 0
    assert exec_start(config).endswith(" run")


@pytest.mark.parametrize("args", [["--api-key", "sk-secret-123"], ["--api-key=sk-secret-123"],
                                  ["run", "-v", "--api-key", "sk-secret-123"]])
def test_refuses_an_api_key_on_the_command_line(tmp_path: Path, args: list[str]) -> None:
    config = tmp_path / "config"
    r = install("--no-enable", "--", *args, config=config)
    assert r.returncode == 2
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and "refusing" in lines[0]
    assert f"{config / 'dictation' / 'env'} " in lines[0]  # XDG_CONFIG_HOME's, as the unit's
    assert "sk-secret" not in r.stderr + r.stdout
    assert not unit_file(config).exists()


def test_checks_run_options_before_installing(tmp_path: Path) -> None:
    config = tmp_path / "config"
    r = install("--no-enable", "--", "--no-such-option", config=config)
    assert r.returncode == 2
    assert r.stderr.splitlines() == [
        "dictation: error: not an option of `dictation run`: --no-such-option"]
    r = install("--no-enable", "--", "--output", "printer", config=config)
    assert r.returncode == 2 and "invalid choice: 'printer'" in r.stderr
    r = install("--no-enable", "--output", "clipboard", config=config)  # forgot the --
    assert r.returncode == 2 and "unrecognized arguments" in r.stderr
    assert not unit_file(config).exists()


def test_unreachable_user_manager_prints_the_commands(tmp_path: Path) -> None:
    # Real systemctl, with no user manager behind XDG_RUNTIME_DIR (as over ssh or in a
    # container without systemd).
    _need("systemctl")
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    env = {k: v for k, v in os.environ.items() if k != "DBUS_SESSION_BUS_ADDRESS"}
    env["XDG_RUNTIME_DIR"] = str(runtime)
    config = tmp_path / "config"
    r = install(config=config, env=env)
    assert r.returncode == 0, r.stderr
    assert unit_file(config).exists()
    lines = r.stderr.splitlines()
    warnings = [ln for ln in lines if ln.startswith("dictation: warning:")]
    assert len(warnings) == 1 and "user manager is not reachable" in warnings[0]
    assert lines[-2:] == ["  systemctl --user daemon-reload",
                          "  systemctl --user enable --now dictation.service"]


STAND_IN_SYSTEMCTL = """#!/bin/sh
# Records its arguments; `enable` answers as systemd 252 does.
echo "$*" >> "$SYSTEMCTL_LOG"
case "$*" in
  *enable*)
    echo "Created symlink $XDG_CONFIG_HOME/systemd/user/graphical-session.target.wants/\
dictation.service → $XDG_CONFIG_HOME/systemd/user/dictation.service." >&2
    if [ -n "$SYSTEMCTL_FAIL" ]; then
      echo "Job for dictation.service failed because the control process exited with \
error code." >&2
      echo 'See "systemctl --user status dictation.service" and "journalctl --user -xeu \
dictation.service" for details.' >&2
      exit 1
    fi;;
esac
"""


@pytest.mark.parametrize("fail", [False, True])
def test_enables_and_starts_the_unit(tmp_path: Path, fail: bool) -> None:
    # Stand-in systemctl: a real user manager runs here only as root in a private mount
    # namespace, and then it takes over the cgroup tree of the whole machine. The real
    # systemctl is run in the unreachable-manager test above.
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "systemctl").write_text(STAND_IN_SYSTEMCTL)
    (bindir / "systemctl").chmod(0o755)
    log = tmp_path / "systemctl.log"
    env = {**os.environ, "PATH": f"{bindir}:{os.environ['PATH']}", "SYSTEMCTL_LOG": str(log)}
    if fail:
        env["SYSTEMCTL_FAIL"] = "1"
    config = tmp_path / "config"
    r = install(config=config, env=env)
    assert log.read_text().splitlines() == ["--user daemon-reload",
                                            "--user enable --now dictation.service"]
    assert unit_file(config).exists()
    if fail:
        assert r.returncode == 1
        assert r.stderr.splitlines() == [
            f"dictation: installed {unit_file(config)}",
            "dictation: error: dictation.service is installed but did not start: Job for "
            "dictation.service failed because the control process exited with error code; "
            "see journalctl --user -u dictation"]
    else:
        assert r.returncode == 0, r.stderr
        assert r.stderr.splitlines()[-1] == (
            "dictation: enabled and started dictation.service; it starts with each "
            "graphical session")


def test_without_systemctl_prints_the_commands(tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    config = tmp_path / "config"
    r = install(config=config, env={**os.environ, "PATH": str(empty)})
    assert r.returncode == 0, r.stderr
    assert unit_file(config).exists()
    assert "dictation: warning: systemctl not found" in r.stderr
    assert r.stderr.rstrip().endswith("systemctl --user enable --now dictation.service")


def test_warns_about_a_readable_env_file(tmp_path: Path) -> None:
    config = tmp_path / "config"
    (config / "dictation").mkdir(parents=True)
    env_file = config / "dictation" / "env"
    env_file.write_text("OPENAI_API_KEY=sk-secret-123\n")
    env_file.chmod(0o644)
    r = install("--no-enable", config=config)
    assert r.returncode == 0 and f"{env_file} is readable by other users" in r.stderr
    env_file.chmod(0o600)
    r = install("--no-enable", config=config)
    assert r.returncode == 0 and "warning" not in r.stderr
    assert "sk-secret" not in r.stderr


def test_help_names_the_subcommand() -> None:
    r = subprocess.run(dictation_cmd("--help"), capture_output=True, text=True, timeout=30)
    assert "install-service" in r.stdout
    r = subprocess.run(dictation_cmd("install-service", "--help"), capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0 and "--no-enable" in r.stdout and "dictation/env" in r.stdout
