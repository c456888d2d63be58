"""The help cache's key (devctl/cli/help_cache.py): what it covers, and which shapes it serves."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from devctl.cli import help_cache

#: Variables rich and typer read that cannot change rendered help: shell completion (never
#: cached), click's config dir, and typer's test runner.
NOT_HELP = {"COMP_WORDS", "COMP_CWORD", "_TYPER_COMPLETE_ARGS", "_TYPER_COMPLETE_FISH_ACTION",
            "_TYPER_COMPLETE_WORD_TO_COMPLETE", "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION",
            "XDG_CONFIG_HOME"}
READ = re.compile(r"""(?:getenv|environ\.get)\(\s*["']([A-Za-z_][A-Za-z0-9_]*)["']"""
                  r"""|environ\[["']([A-Za-z_]+)["']\]""")


def env_reads(package: str) -> set[str]:
    spec = importlib.util.find_spec(package)
    assert spec is not None and spec.submodule_search_locations
    found: set[str] = set()
    for path in Path(list(spec.submodule_search_locations)[0]).rglob("*.py"):
        if path.name == "testing.py":  # typer.testing: the test runner, not the CLI
            continue
        for match in READ.finditer(path.read_text(encoding="utf-8")):
            found.add(match.group(1) or match.group(2))
    return found


@pytest.mark.parametrize("package", ["rich", "typer"])
def test_key_holds_every_variable_the_renderers_read(package):
    """A new rich or typer that reads another variable makes this fail: add it to ENV_VARS."""
    missing = env_reads(package) - NOT_HELP - set(help_cache.ENV_VARS)
    assert not missing, f"{package} reads {sorted(missing)}, which help_cache.ENV_VARS does not key on"


@pytest.mark.parametrize("args", [[], ["--help"], ["-h"], ["up", "--help"], ["plugins", "-h"]])
def test_help_shapes_have_a_key(args):
    assert help_cache.key_for(args) is not None


@pytest.mark.parametrize("args", [["-C", ".", "--help"], ["-v", "--help"], ["up", "--dry-run", "--help"],
                                  ["plugins", "list", "--help"], ["my-plugin-cmd", "--help"],
                                  ["--help", "up"]])
def test_other_shapes_render_every_time(args):
    assert help_cache.key_for(args) is None


def test_key_follows_terminal_settings_and_opt_outs(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "100")
    narrow = help_cache.key_for(["--help"])
    monkeypatch.setenv("COLUMNS", "60")
    assert help_cache.key_for(["--help"]) != narrow
    monkeypatch.setenv("NO_COLOR", "1")
    assert help_cache.key_for(["--help"])["env"]["NO_COLOR"] == "1"
    monkeypatch.setenv("_DEVCTL_COMPLETE", "bash_complete")  # a shell asking for completions
    assert help_cache.key_for(["--help"]) is None
    monkeypatch.delenv("_DEVCTL_COMPLETE")
    monkeypatch.setenv("DEVCTL_NO_HELP_CACHE", "1")
    assert help_cache.key_for(["--help"]) is None


def test_root_key_follows_the_repo_plugin_command_cache(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    bare = help_cache.key_for(["--help"])
    (tmp_path / ".devctl.yaml").write_text("plugins: []\n")
    with_config = help_cache.key_for(["--help"])
    assert with_config["repo"] != bare["repo"]
    cache = tmp_path / ".devctl" / "cache" / "commands.json"
    cache.parent.mkdir(parents=True)
    cache.write_text("{}")
    assert help_cache.key_for(["--help"])["repo"] != with_config["repo"]
    assert help_cache.key_for(["up", "--help"])["repo"] is None  # a command's help lists no plugins


def test_cache_dir_follows_xdg_and_ignores_a_relative_one(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert help_cache.cache_dir() == tmp_path / "devctl" / "help"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/dir")  # the XDG spec: ignore it
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert help_cache.cache_dir() == tmp_path / "home" / ".cache" / "devctl" / "help"
