from pathlib import Path

import pytest

from devctl.cli.fastpath import SHAPES, parse_fast, parse_fast_status


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["status", "--json"], None),
        (["-C", "repo", "status", "--json"], Path("repo")),
        (["--repo-root", "r", "status", "--json"], Path("r")),
        (["--repo-root=r", "status", "--json"], Path("r")),
        (["status"], False),
        (["status", "--json", "--help"], False),
        (["-v", "status", "--json"], False),
        (["--config", "x.yaml", "status", "--json"], False),
        ([], False),
    ],
)
def test_only_the_exact_shape_takes_the_fast_path(args, expected):
    assert parse_fast_status(args) == expected


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["status"], (("status",), None)),
        (["-C", "r", "status"], (("status",), Path("r"))),
        (["status", "--json"], (("status", "--json"), None)),
        (["down"], (("down",), None)),
        (["-Cr", "down"], (("down",), Path("r"))),
        (["--config", "x.yaml", "tui"], (("tui",), None)),
        (["-v", "--strict", "--dry-run", "plan", "--json"], (("plan", "--json"), None)),
        (["--timeout", "5", "plan"], None),
        (["plan", "--json", "--strict"], None),
        (["down", "--timeout", "1"], None),
        (["down", "-h"], None),
        (["status", "-C", "r"], None),
        (["--dry-run", "down"], None),
        (["--config", "x.yaml", "status"], None),
        (["-v", "status"], None),
        (["-v", "tui"], None),
        (["stat"], None),
        (["--help"], None),
    ],
)
def test_each_shape_exactly(args, expected):
    parsed = parse_fast(args)
    assert (parsed if parsed is None else (parsed[0], parsed[1].repo_root_opt)) == expected


def test_shapes_are_commands_words_only():
    """A shape starts with a built-in command's name (never a global option)."""
    from devctl.cli.lazy import BUILTINS

    assert all(words[0] in BUILTINS for words in SHAPES)


def test_plugin_commands_take_the_fast_path_only_when_cached_and_fresh(tmp_path, monkeypatch):
    import json

    from devctl.cli.fastpath import plugin_command

    monkeypatch.chdir(tmp_path)
    assert plugin_command(["hello"]) is None  # no repo
    (tmp_path / ".devctl.yaml").write_text("plugins: []\n")
    assert plugin_command(["hello"]) is None  # no cache yet: typer discovers
    from devctl.config import load_config
    from devctl.plugin_commands import cache
    from devctl.plugin_commands.names import Listing

    listing = Listing(plugin="p", priority=0, commands=[{"name": "hello", "help": "Say hello."}])
    cache.write(tmp_path, cache.build(load_config(tmp_path), [listing]))
    assert plugin_command(["hello", "a"]) is not None
    assert plugin_command(["-v", "--strict", "hello", "--", "--help"]) is not None
    for args in (["hello", "--help"], ["hello", "-h", "--"], ["--timeout", "5", "hello"], ["bye"],
                 ["status"], ["-C", str(tmp_path / "missing"), "hello"], ["--help", "hello"]):
        assert plugin_command(args) is None, args
    (tmp_path / ".devctl.yaml").write_text("plugins: []\n# changed\n")
    assert plugin_command(["hello"]) is None  # stale: typer refreshes
    assert json.loads(cache.cache_path(tmp_path).read_text())["listings"]
