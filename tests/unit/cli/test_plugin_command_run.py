"""devctl/cli/plugin_command_run.py: the typer-free parts of running a plugin command."""

from __future__ import annotations

from pathlib import Path

import pytest

from devctl.cli.plugin_command_run import cached_command, plugin_argv, split_plugin_args, wants_help
from devctl.plugin_commands import cache
from devctl.plugin_commands.names import Listing


@pytest.mark.parametrize(("args", "help_", "argv"), [
    ([], False, []),
    (["--exit", "3"], False, ["--exit", "3"]),
    (["-h"], True, ["-h"]),
    (["x", "--help", "--", "y"], True, ["x", "--help", "y"]),
    (["--", "--help"], False, ["--help"]),
    (["a", "--", "b", "--", "c"], False, ["a", "b", "--", "c"]),
])
def test_help_only_before_the_separator_and_the_first_separator_is_dropped(args, help_, argv):
    assert wants_help(args) is help_
    assert plugin_argv(args) == argv
    cut = args.index("--") if "--" in args else len(args)
    assert split_plugin_args(args) == (args[:cut], args[cut + 1:])


def write_cache(root: Path, *listings: Listing) -> Path:
    config = root / ".devctl.yaml"
    config.write_text("plugins: []\n")
    cfg_files = [cache.stat_entry(config.resolve()), cache.stat_entry(root / "plugins")]
    cache.write(root, cache.CommandCache(config=str(config.resolve()), strictness="warn", files=cfg_files,
                                         listings=list(listings)))
    return config


def test_a_fast_path_may_answer_only_a_known_name_from_a_fresh_settled_cache(tmp_path: Path):
    good = Listing("p", 0, [{"name": "db-reset", "help": ""}, {"name": "status", "help": ""}])
    config = write_cache(tmp_path, good)
    assert cached_command(tmp_path, None, "db-reset")
    assert not cached_command(tmp_path, None, "nope")
    assert not cached_command(tmp_path, None, "status")  # a built-in's name is never a plugin's
    assert not cached_command(tmp_path, Path("other.yaml"), "db-reset")  # built from another config
    config.write_text("plugins: []\n# changed\n")
    assert not cached_command(tmp_path, None, "db-reset")  # stale: typer's path refreshes it
    write_cache(tmp_path, good, Listing("q", 0, error="plugin 'q' crashed"))
    assert not cached_command(tmp_path, None, "db-reset")  # a failed listing is asked again
    assert not cached_command(tmp_path / "elsewhere", None, "db-reset")  # no cache at all
