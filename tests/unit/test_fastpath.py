from pathlib import Path

import pytest

from devctl.cli.fastpath import parse_fast_status
from tests.cli import run_cli


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


def test_fast_and_typer_paths_agree(tmp_path):
    """`-v` forces the typer path; both must print the same snapshot and exit code."""
    fast = run_cli("-C", str(tmp_path), "status", "--json")
    slow = run_cli("-C", str(tmp_path), "-v", "status", "--json")
    assert fast.returncode == slow.returncode == 3
    assert fast.stdout == slow.stdout
    assert '"services": []' in fast.stdout


def test_fast_path_bad_root_falls_back_to_typer_error(tmp_path):
    res = run_cli("-C", str(tmp_path / "missing"), "status", "--json")
    assert res.returncode == 2
