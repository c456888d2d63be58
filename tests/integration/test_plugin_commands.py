"""`devctl <plugin-command>`: the real CLI against real fixture plugins in a temp repo."""

from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path

import pytest

from tests.cli import run_cli, spawn_cli

TESTDATA = Path(__file__).resolve().parents[2] / "testdata" / "plugins"
SPY = """\
import os, runpy, sys
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "started.log"), "a") as fh:
    fh.write({target!r} + "\\n")
runpy.run_path({target!r}, run_name="__main__")
"""


def plugin_entry(pid: str, script: Path | str, *args: str, priority: int | None = None) -> str:
    entry = f"  - id: {pid}\n    path: {sys.executable}\n    args: {json.dumps([str(script), *args])}\n"
    if priority is not None:
        entry += f"    priority: {priority}\n"
    return entry


def make_repo(root: Path, *entries: str, strict: bool = False) -> Path:
    text = "# a test repo\n" + ("strictness: error\n" if strict else "") + "plugins:\n" + "".join(entries)
    (root / ".devctl.yaml").write_text(text)
    return root


def spy(root: Path, fixture: str) -> Path:
    """A copy-free wrapper around a fixture that records each start in started.log."""
    path = root / f"spy_{fixture}"
    path.write_text(SPY.format(target=str(TESTDATA / fixture)))
    return path


def starts(root: Path, fixture: str = "") -> int:
    log = root / "started.log"
    lines = log.read_text().splitlines() if log.exists() else []
    return sum(line.endswith(fixture) for line in lines)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path, plugin_entry("echo", spy(tmp_path, "cmd_echo.py")))


def test_command_with_flags_gets_argv_verbatim_and_its_exit_code(repo: Path):
    res = run_cli("echo-args", "--exit", "3", "--flag=x", "-v", "--", "--help", "--", "two words", cwd=repo)
    assert res.returncode == 3, res.stderr
    seen = json.loads(next(line for line in res.stderr.splitlines() if line.startswith("{")))
    assert seen["name"] == "echo-args"
    # the first `--` separates (as in the Go devctl); what follows it is passed as typed
    assert seen["argv"] == ["--exit", "3", "--flag=x", "-v", "--help", "--", "two words"]
    assert seen["config"] == {"cmd_echo": {"mutated": True}}  # config.mutate ran first
    assert res.stdout == 'argv=["--exit", "3", "--flag=x", "-v", "--help", "--", "two words"]\n'


def ran(root: Path) -> list[dict]:
    """What cmd_handshake_only.py recorded: one entry per command.run it answered."""
    log = root / "ran.log"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


@pytest.mark.parametrize("args", [[], ["--objects"], ["--list"]], ids=["strings", "objects", "with-list"])
def test_a_command_declared_only_in_the_handshake_runs(tmp_path: Path, args: list[str]):
    """The protocol document's own example: capabilities.commands, no command.run in ops."""
    make_repo(tmp_path, plugin_entry("example", TESTDATA / "cmd_handshake_only.py", *args))
    listed = run_cli("plugins", "list", "--json", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    entry = json.loads(listed.stdout)["plugins"][0]
    assert "db-reset" in entry["commands"]
    res = run_cli("db-reset", "--force", cwd=tmp_path)  # also with a cold cache: see below
    assert res.returncode == 0, res.stderr
    assert ran(tmp_path) == [{"name": "db-reset", "argv": ["--force"]}]
    if "--list" in args:  # commands.list adds its own; the handshake's still counts
        assert "db-seed" in entry["commands"]
        assert run_cli("db-seed", cwd=tmp_path).returncode == 0
        assert ran(tmp_path)[-1]["name"] == "db-seed"
    helped = run_cli("db-reset", "--help", cwd=tmp_path)
    assert "plugin example" in helped.stdout.replace("\n", " ")
    if "--objects" in args:
        assert "Reset local DB" in helped.stdout


def test_a_handshake_command_runs_with_a_cold_cache(tmp_path: Path):
    make_repo(tmp_path, plugin_entry("example", TESTDATA / "cmd_handshake_only.py"))
    res = run_cli("db-reset", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert ran(tmp_path) == [{"name": "db-reset", "argv": []}]


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_of_a_plugin_command_prints_its_help_and_runs_nothing(tmp_path: Path, flag: str):
    make_repo(tmp_path, plugin_entry("example", TESTDATA / "cmd_handshake_only.py", "--objects"))
    assert run_cli("plugins", "list", cwd=tmp_path).returncode == 0
    for args in ([flag], ["--force", flag], [flag, "--", "x"]):
        res = run_cli("db-reset", *args, cwd=tmp_path)
        assert res.returncode == 0, res.stderr
        text = " ".join(res.stdout.split())
        assert "devctl db-reset" in text and "Reset local DB" in text and "plugin example" in text
        assert "devctl db-reset -- --help" in text  # how to ask the plugin instead
    assert ran(tmp_path) == []  # the plugin never got command.run
    res = run_cli("db-reset", "--", flag, cwd=tmp_path)  # after `--`: the plugin's to answer
    assert res.returncode == 0, res.stderr
    assert ran(tmp_path) == [{"name": "db-reset", "argv": [flag]}]


def test_exit_code_zero_and_global_options_before_the_name(repo: Path, tmp_path: Path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    res = run_cli("-C", str(repo), "echo-args", cwd=elsewhere)
    assert res.returncode == 0, res.stderr
    assert res.stdout == "argv=[]\n"


def test_help_lists_plugin_commands_with_their_provider(repo: Path):
    assert run_cli("plugins", "list", cwd=repo).returncode == 0
    res = run_cli("--help", cwd=repo)
    assert res.returncode == 0
    panel = res.stdout[res.stdout.index("Plugin commands"):]
    line = next(line for line in panel.splitlines() if "echo-args" in line)
    assert "Echo the arguments" in line and "plugin: echo" in line
    assert "not discovered yet" not in res.stdout


def test_builtins_and_help_never_start_a_plugin(repo: Path):
    for args in (["--help"], ["--version"], ["status"], ["plugins", "--help"], ["stream", "--help"]):
        res = run_cli(*args, cwd=repo)
        assert res.returncode in (0, 3), (args, res.stderr)
    assert starts(repo) == 0
    res = run_cli("--help", cwd=repo)
    assert "not discovered yet" in res.stdout and "devctl plugins list" in res.stdout
    assert run_cli("plugins", "list", cwd=repo).returncode == 0
    before = starts(repo)
    assert before >= 1
    for args in (["--help"], ["status"], ["-C", str(repo), "--help"]):
        assert run_cli(*args, cwd=repo).returncode in (0, 3)
    assert starts(repo) == before
    # a stale cache: still no plugin for --help, which says the list may be out of date
    (repo / ".devctl.yaml").write_text((repo / ".devctl.yaml").read_text() + "# touched\n")
    res = run_cli("--help", cwd=repo)
    assert "echo-args" in res.stdout and "may be out of date" in res.stdout
    assert starts(repo) == before


def test_warm_cache_starts_the_provider_once_for_its_config_mutate_and_the_command(repo: Path):
    assert run_cli("plugins", "list", cwd=repo).returncode == 0
    before = starts(repo)
    res = run_cli("echo-args", cwd=repo)
    assert res.returncode == 0
    assert starts(repo) == before + 1  # the provider answers config.mutate, then command.run
    assert '"config": {"cmd_echo": {"mutated": true}}' in res.stderr  # the phase ran before the command
    # What the provider says during its config.mutate is not the command's output (as when a
    # second process answered it): hidden, and shown prefixed like any plugin's with -v.
    logged = {"CMD_ECHO_LOG_MUTATE": "1"}
    quiet = run_cli("echo-args", cwd=repo, env=logged)
    verbose = run_cli("-v", "echo-args", cwd=repo, env=logged)
    assert quiet.returncode == verbose.returncode == 0
    assert "mutating the config" not in quiet.stderr and '"argv": []' in quiet.stderr
    assert "echo | cmd_echo: mutating the config" in verbose.stderr


def test_the_config_phase_starts_only_plugins_that_declare_config_mutate(tmp_path: Path):
    make_repo(tmp_path, plugin_entry("echo", spy(tmp_path, "cmd_echo.py")),
              plugin_entry("alpha", spy(tmp_path, "cmd_collide.py"), "alpha"))
    assert run_cli("plugins", "list", cwd=tmp_path).returncode == 0
    echo, collide = starts(tmp_path, "cmd_echo.py"), starts(tmp_path, "cmd_collide.py")
    res = run_cli("deploy", cwd=tmp_path)
    assert res.returncode == 0 and "deploy by alpha" in res.stderr
    assert starts(tmp_path, "cmd_echo.py") == echo + 1  # config.mutate
    assert starts(tmp_path, "cmd_collide.py") == collide + 1  # the provider only: no config.mutate


def test_cache_is_invalidated_when_a_plugin_file_changes(tmp_path: Path):
    plugin = tmp_path / "echo.py"
    plugin.write_text((TESTDATA / "cmd_echo.py").read_text())
    make_repo(tmp_path, plugin_entry("echo", plugin))
    assert run_cli("echo-args", cwd=tmp_path).returncode == 0
    cached = json.loads((tmp_path / ".devctl" / "cache" / "commands.json").read_text())
    assert [c["name"] for c in cached["listings"][0]["commands"]] == ["echo-args"]
    plugin.write_text(plugin.read_text().replace('"echo-args"', '"echo-renamed"'))  # handshake + list
    res = run_cli("--help", cwd=tmp_path)
    assert "may be out of date" in res.stdout
    res = run_cli("echo-renamed", "--exit", "4", cwd=tmp_path)  # unknown name: one refresh, then run
    assert res.returncode == 4, res.stderr
    cached = json.loads((tmp_path / ".devctl" / "cache" / "commands.json").read_text())
    assert [c["name"] for c in cached["listings"][0]["commands"]] == ["echo-renamed"]
    res = run_cli("echo-args", cwd=tmp_path)
    assert res.returncode == 2 and "No such command" in res.stderr


def test_colliding_names(tmp_path: Path):
    collide = TESTDATA / "cmd_collide.py"
    make_repo(tmp_path, plugin_entry("beta", collide, "beta"), plugin_entry("alpha", collide, "alpha"))
    res = run_cli("plugins", "list", cwd=tmp_path)
    assert res.returncode == 0
    assert "'alpha' and 'beta' both declare command 'deploy'" in res.stderr
    assert "declares command 'status', which is a built-in" in res.stderr
    res = run_cli("deploy", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "deploy by alpha" in res.stderr and "'alpha' wins" in res.stderr
    assert run_cli("beta-only", cwd=tmp_path).returncode == 0
    res = run_cli("status", cwd=tmp_path)  # the built-in, not the plugins' `status`
    assert "status by" not in res.stderr
    res = run_cli("--strict", "deploy", cwd=tmp_path)
    assert res.returncode == 1 and "collision" in res.stderr and "deploy by" not in res.stderr


def test_collision_is_an_error_with_strictness_error_and_priority_decides(tmp_path: Path):
    collide = TESTDATA / "cmd_collide.py"
    make_repo(tmp_path, plugin_entry("alpha", collide, "alpha", priority=5),
              plugin_entry("beta", collide, "beta", priority=1))
    res = run_cli("deploy", cwd=tmp_path)
    assert res.returncode == 0 and "deploy by beta" in res.stderr
    make_repo(tmp_path, plugin_entry("alpha", collide, "alpha"), plugin_entry("beta", collide, "beta"),
              strict=True)
    res = run_cli("alpha-only", cwd=tmp_path)
    assert res.returncode == 1 and "both declare command 'deploy'" in res.stderr


def test_slow_and_badly_named_plugins_are_reported_and_skipped(tmp_path: Path):
    make_repo(tmp_path, plugin_entry("slow", TESTDATA / "cmd_slow_list.py"),
              plugin_entry("names", TESTDATA / "cmd_bad_names.py"),
              plugin_entry("echo", TESTDATA / "cmd_echo.py"))
    res = run_cli("plugins", "list", cwd=tmp_path)
    assert "plugin 'slow'" in res.stderr and "E_TIMEOUT" in res.stderr
    assert "'--force' starts with '-'" in res.stderr and "'two words'" in res.stderr
    assert run_cli("echo-args", "--exit", "5", cwd=tmp_path).returncode == 5
    assert run_cli("good-name", cwd=tmp_path).returncode == 0
    res = run_cli("slow-cmd", cwd=tmp_path)  # never listed in time: refreshed once, still unknown
    assert res.returncode == 2 and "No such command" in res.stderr


def test_sdk_plugin_command_and_a_failing_command(tmp_path: Path):
    make_repo(tmp_path, plugin_entry("sdk", TESTDATA / "cmd_sdk.py"))
    res = run_cli("greet", "bob", "--shout", "--exit", "6", cwd=tmp_path)
    assert res.returncode == 6, res.stderr
    assert "HELLO, BOB" in res.stderr and "stray print goes to stderr" in res.stderr
    assert res.stdout == ""
    res = run_cli("greet", "--", "--help", cwd=tmp_path)  # the SDK's own help, from the plugin
    assert res.returncode == 0 and "usage: devctl greet" in res.stderr
    res = run_cli("greet", "--fail", cwd=tmp_path)
    assert res.returncode == 1 and "E_GREET" in res.stderr and "refused to greet" in res.stderr


def test_unknown_name_with_a_broken_config_says_both(tmp_path: Path):
    (tmp_path / ".devctl.yaml").write_text("plugins:\n  - id: x\n    pth: nope\n")
    res = run_cli("whatever", cwd=tmp_path)
    assert res.returncode == 2
    assert "plugin commands unavailable" in res.stderr and ".devctl.yaml:3" in res.stderr
    assert "No such command" in res.stderr


def test_ctrl_c_stops_the_plugin_and_exits_130(repo: Path):
    assert run_cli("plugins", "list", cwd=repo).returncode == 0
    with spawn_cli("echo-args", "--sleep", "60", cwd=repo) as proc:
        assert proc.stderr is not None
        deadline = time.monotonic() + 30
        line = ""
        while "sleeping" not in line and time.monotonic() < deadline:
            line = proc.stderr.readline()
        assert "sleeping" in line
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 130


def test_verbose_prefixes_other_plugins_stderr_like_every_command(tmp_path: Path):
    """Regression: `-v <plugin-command>` (and `-v up`) wrote `[id] line` where every other
    command (and docs/cli.md) writes `id | line`."""
    make_repo(tmp_path, plugin_entry("echo", TESTDATA / "cmd_echo.py"),
              plugin_entry("ok", TESTDATA / "pipe_ok.py"))
    res = run_cli("-v", "echo-args", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "ok | pipe-ok: config.mutate" in res.stderr and "[ok]" not in res.stderr
