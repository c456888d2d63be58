"""The README's promises hold: its plugin snippet works, and CI runs the README's test command."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from tests.cli import run_cli

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def test_ci_runs_exactly_the_readme_test_command():
    commands = re.findall(r"^(python3 -m venv .*)$", README, flags=re.M)
    assert len(commands) == 2, commands
    test_command = commands[1]
    assert "pytest" in test_command
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test_command in ci_lines


def test_readme_ten_line_plugin_plans_a_service(tmp_path):
    snippet = re.search(r"```python\n(#!/usr/bin/env python3\n.*?)```", README, flags=re.S).group(1)
    assert len([ln for ln in snippet.splitlines() if ln.strip()]) <= 15
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "myrepo.py").write_text(snippet)
    (tmp_path / ".devctl.yaml").write_text(
        f"plugins:\n  - id: myrepo\n    path: {sys.executable}\n    args: [plugins/myrepo.py]\n"
    )
    res = run_cli("plan", "--json", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    plan = json.loads(res.stdout)
    assert plan["config"] == {"web": {"port": 8080}}
    assert plan["services"][0]["name"] == "web"
    assert plan["services"][0]["health"]["address"] == "127.0.0.1:8080"
