"""`devctl doctor` runs the plan and reports service-name collisions (issue 15).

Two plugins planning the same service name means one silently replaces the other; `up --strict`
refuses it. doctor says so before `up` does: a warning, an error under --strict.
"""

from __future__ import annotations

import json

from tests.cli import run_cli
from tests.integration.test_pipeline_cli import entry, make_repo


def test_doctor_reports_a_service_planned_by_two_plugins(tmp_path):
    make_repo(tmp_path, entry("a", "pipe_collide_a.py"), entry("b", "pipe_collide_b.py", priority=1))
    res = run_cli("doctor", cwd=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "service 'web' is planned by plugins 'a' and 'b'" in res.stdout
    assert "doctor: 0 error(s), 1 warning(s)" in res.stderr
    res = run_cli("--strict", "doctor", "--json", cwd=tmp_path)
    assert res.returncode == 1
    plan = json.loads(res.stdout)["plan"]
    assert plan["collisions"] == [{"kind": "service", "name": "web", "plugins": ["a", "b"],
                                   "severity": "error"}]
    make_repo(tmp_path, entry("a", "pipe_collide_a.py"))  # one plugin: nothing to report
    res = run_cli("doctor", "--json", cwd=tmp_path)
    assert res.returncode == 0 and json.loads(res.stdout)["plan"]["collisions"] == []
