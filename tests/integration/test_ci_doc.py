"""docs/ci.md's GitHub Actions workflow and GitLab CI job, run as written against examples/ci-smoke.

Every shell step of both blocks runs in a fresh copy of the example repo, except the install
steps (GitHub steps named "Install …", GitLab's `before_script`): they fetch devctl and pytest
from the network, and this test brings both from its own environment (its interpreter's
directory first on PATH). If a documented command breaks — an option renamed, an exit code
changed, the example's tests no longer finding the service — this test fails.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.cli import run_cli

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "ci.md"
EXAMPLE = ROOT / "examples" / "ci-smoke"


def doc_block(first_line: str) -> dict:
    """The ```yaml block of docs/ci.md whose first line is `first_line`, parsed."""
    for block in re.findall(r"```yaml\n(.*?)```", DOC.read_text(), flags=re.S):
        if block.splitlines()[0].strip() == first_line:
            return yaml.safe_load(block)
    raise AssertionError(f"docs/ci.md has no yaml block starting with {first_line!r}")


def github_steps() -> list[str]:
    workflow = doc_block("# .github/workflows/smoke.yml")
    steps = [s for job in workflow["jobs"].values() for s in job["steps"]]
    return [s["run"] for s in steps if "run" in s and not str(s.get("name", "")).startswith("Install")]


def gitlab_steps() -> list[str]:
    jobs = doc_block("# .gitlab-ci.yml")
    return [line for job in jobs.values() if isinstance(job, dict) for line in job.get("script", [])]


@pytest.mark.parametrize(("steps", "ci_env"), [
    (github_steps, {"GITHUB_ACTIONS": "true"}),
    (gitlab_steps, {"GITLAB_CI": "true"}),
], ids=["github-actions", "gitlab-ci"])
def test_the_documented_ci_steps_pass_and_leave_nothing_running(steps, ci_env, tmp_path):
    commands = steps()
    assert any("devctl run" in c for c in commands), commands
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLE, repo, ignore=shutil.ignore_patterns(".devctl", "__pycache__", ".pytest_cache"))
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "GITLAB_CI")}
    env.update(ci_env, CI="true", PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}")
    try:
        for command in commands:
            res = subprocess.run(["bash", "-e", "-c", command], cwd=repo, env=env, capture_output=True,
                                 text=True, timeout=180, stdin=subprocess.DEVNULL)
            assert res.returncode == 0, f"{command}\nstdout:\n{res.stdout}\nstderr:\n{res.stderr}"
            assert "2 passed" in res.stdout, res.stdout
        assert run_cli("-C", str(repo), "status").returncode == 3  # nothing left running
    finally:
        run_cli("-C", str(repo), "down", "--timeout", "1")
