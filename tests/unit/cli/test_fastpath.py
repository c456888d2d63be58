from pathlib import Path

import pytest

from devctl.cli.fastpath import SHAPES, down, parse_fast, parse_fast_status, status_json, status_table


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
        (["status"], (status_table, None)),
        (["-C", "r", "status"], (status_table, Path("r"))),
        (["status", "--json"], (status_json, None)),
        (["down"], (down, None)),
        (["-Cr", "down"], (down, Path("r"))),
        (["down", "--timeout", "1"], None),
        (["down", "-h"], None),
        (["status", "-C", "r"], None),
        (["--dry-run", "down"], None),
        (["-v", "status"], None),
        (["stat"], None),
        (["--help"], None),
    ],
)
def test_each_shape_exactly(args, expected):
    assert parse_fast(args) == expected


def test_shapes_are_commands_words_only():
    """A shape starts with a built-in command's name (never a global option)."""
    from devctl.cli.lazy import BUILTINS

    assert all(words[0] in BUILTINS for words in SHAPES)
