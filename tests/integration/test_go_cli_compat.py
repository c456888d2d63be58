"""The Go devctl's documented command lines, run against the real CLI (docs/coming-from-go-devctl.md)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.cli import run_cli

TESTDATA = Path(__file__).resolve().parents[2] / "testdata" / "plugins"


def plugin(pid: str, fixture: str, *args: str) -> str:
    argv = json.dumps([str(TESTDATA / fixture), *args])
    return f"  - id: {pid}\n    path: {sys.executable}\n    args: {argv}\n"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    (root / ".devctl.yaml").write_text("plugins:\n" + plugin("ok", "pipe_ok.py"))
    return root


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    path = tmp_path / "elsewhere"
    path.mkdir()
    return path


def test_repository_options_after_the_command(repo: Path, elsewhere: Path):
    res = run_cli("plan", "--repo-root", str(repo), "--timeout", "10s", "--json", cwd=elsewhere)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["services"]
    res = run_cli("status", "--repo-root", str(repo), cwd=elsewhere)
    assert res.returncode == 3 and "nothing running" in res.stderr  # status' own exit code: not up
    res = run_cli("plugins", "list", "--repo-root", str(repo), "--timeout", "5s", "--json", cwd=elsewhere)
    assert res.returncode == 0, res.stderr
    assert [p["id"] for p in json.loads(res.stdout)["plugins"]] == ["ok"]
    res = run_cli("validate", "--config", str(repo / ".devctl.yaml"), "-v", "--strict", cwd=repo)
    assert res.returncode == 0, res.stderr
    res = run_cli("up", "--dry-run", "--repo-root", str(repo), cwd=elsewhere)  # up's own --dry-run
    assert res.returncode == 0, res.stderr
    assert "nothing was started" in res.stderr
    res = run_cli("down", "--timeout", "2s", "--repo-root", str(repo), cwd=elsewhere)  # down's own --timeout
    assert res.returncode == 0, res.stderr


def test_a_bad_value_after_the_command_is_reported_like_before_it(repo: Path, elsewhere: Path):
    res = run_cli("plan", "--repo-root", str(elsewhere / "nope"), cwd=elsewhere)
    assert res.returncode == 2 and "does not exist" in res.stderr and "Traceback" not in res.stderr
    res = run_cli("plan", "--timeout", "soon", cwd=repo)
    assert res.returncode == 2 and "'soon' is not a duration" in res.stderr and "10s" in res.stderr


@pytest.mark.parametrize("value", ["300ms", "0.3"])
def test_the_duration_is_the_phase_deadline(tmp_path: Path, value: str):
    (tmp_path / ".devctl.yaml").write_text("plugins:\n" + plugin("slow", "pipe_slow.py", "5"))
    res = run_cli("--timeout", value, "validate", cwd=tmp_path)
    assert res.returncode != 0
    assert "E_TIMEOUT" in res.stderr and "0.3" in res.stderr, res.stderr
    res = run_cli("validate", "--timeout", value, cwd=tmp_path)  # after the command: the same
    assert "E_TIMEOUT" in res.stderr and "0.3" in res.stderr, res.stderr


@pytest.mark.parametrize(("args", "ours"), [
    (["up", "--build-step", "compile"], "devctl up --step NAME"),
    (["up", "--prepare-step", "seed"], "devctl up --step NAME"),
    (["status", "--tail-lines", "10"], "devctl logs --stderr -n N SERVICE"),
])
def test_options_whose_meaning_differs_name_our_equivalent(repo: Path, args: list[str], ours: str):
    res = run_cli(*args, cwd=repo)
    assert res.returncode == 2
    text = " ".join(res.stderr.replace("│", " ").split())
    assert ours in text and "Go devctl" in text and "Traceback" not in text
    assert not (repo / ".devctl" / "run").exists()  # nothing started


def test_logs_with_the_go_flags(repo: Path, elsewhere: Path):
    logs = repo / ".devctl" / "logs"
    logs.mkdir(parents=True)
    (logs / "api.stdout.log").write_text("".join(f"out {i}\n" for i in range(80)))
    (logs / "api.stderr.log").write_text("err 1\nerr 2\n")
    res = run_cli("logs", "--service", "api", "--repo-root", str(repo), cwd=elsewhere)
    assert res.returncode == 0, res.stderr
    assert "out 79" in res.stdout and "err 2" in res.stdout
    res = run_cli("logs", "--service", "api", "--stderr", cwd=repo)
    assert res.stdout.splitlines() == ["err 1", "err 2"]
    res = run_cli("logs", "--service", "api", "--stdout", "--tail", "3", cwd=repo)
    assert res.stdout.splitlines() == ["out 77", "out 78", "out 79"]
    res = run_cli("logs", "--service", "api", "--stdout", "--tail", "0", cwd=repo)  # Go: 0 = all
    assert len(res.stdout.splitlines()) == 80
