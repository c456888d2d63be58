from pathlib import Path

import pytest

from devctl.cli.fastpath import parse_fast_status


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
