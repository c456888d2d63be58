"""`status --json` through the real CLI: the fast path and the typer path agree."""

from __future__ import annotations

from tests.cli import run_cli


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
