"""`--help` replayed from the help cache reads exactly as rendered, and follows what it depends on."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.cli import run_cli

TESTDATA = Path(__file__).resolve().parents[2] / "testdata" / "plugins"


@pytest.fixture
def cache_env(tmp_path):
    return {"XDG_CACHE_HOME": str(tmp_path / "xdg")}


def entries(env: dict[str, str]) -> list[Path]:
    return sorted((Path(env["XDG_CACHE_HOME"]) / "devctl" / "help").glob("*.json"))


def three(args, cwd, env):
    """(first run: renders and stores, second: replays, with the cache off: renders)."""
    runs = [run_cli(*args, cwd=cwd, env=env) for _ in range(2)]
    runs.append(run_cli(*args, cwd=cwd, env={**env, "DEVCTL_NO_HELP_CACHE": "1"}))
    return [(r.returncode, r.stdout, r.stderr) for r in runs]


@pytest.mark.parametrize("args", [[], ["--help"], ["-h"], ["up", "--help"], ["plugins", "-h"]])
def test_replay_reads_the_same_as_rendering(tmp_path, cache_env, args):
    first, replayed, rendered = three(args, tmp_path, cache_env)
    assert first == replayed == rendered
    assert "Usage" in first[1] and first[0] == (2 if args == [] else 0)
    assert len(entries(cache_env)) == 1


def test_terminal_settings_get_their_own_entry(tmp_path, cache_env):
    wide = three(["--help"], tmp_path, cache_env)
    narrow = three(["--help"], tmp_path, {**cache_env, "COLUMNS": "70"})
    coloured = three(["--help"], tmp_path, {**cache_env, "NO_COLOR": "", "FORCE_COLOR": "1"})
    assert wide[0] == wide[1] == wide[2] and narrow[0] == narrow[1] == narrow[2]
    assert coloured[0] == coloured[1] == coloured[2] and "\x1b[" in coloured[1][1]
    assert len({wide[1][1], narrow[1][1], coloured[1][1]}) == 3
    assert len(entries(cache_env)) == 3


def test_a_changed_source_file_renders_again(tmp_path, cache_env):
    three(["--help"], tmp_path, cache_env)
    [path] = entries(cache_env)
    entry = json.loads(path.read_text())
    lazy = next(dep for dep in entry["deps"] if dep[0].endswith("lazy.py"))
    lazy[1] -= 1  # as if devctl/cli/lazy.py had been edited since
    entry["out"] = "stale\n"
    path.write_text(json.dumps(entry))
    res = run_cli("--help", cwd=tmp_path, env=cache_env)
    assert res.stdout != "stale\n" and "Usage" in res.stdout
    assert "stale" not in path.read_text()  # stored anew


def test_root_help_follows_the_repo_plugin_commands(tmp_path, cache_env):
    (tmp_path / ".devctl.yaml").write_text(
        f"plugins:\n  - id: echo\n    path: {sys.executable}\n"
        f"    args: [{json.dumps(str(TESTDATA / 'cmd_echo.py'))}]\n")
    before = three(["--help"], tmp_path, cache_env)
    assert before[0] == before[1] == before[2] and "not discovered yet" in before[1][1]
    assert run_cli("plugins", "list", cwd=tmp_path, env=cache_env).returncode == 0
    after = three(["--help"], tmp_path, cache_env)
    assert after[0] == after[1] == after[2] and "echo-args" in after[1][1]
    (tmp_path / ".devctl.yaml").write_text((tmp_path / ".devctl.yaml").read_text() + "# edited\n")
    stale = three(["--help"], tmp_path, cache_env)
    assert stale[0] == stale[1] == stale[2] and "may be out of date" in stale[1][1]
