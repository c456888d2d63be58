"""What `devctl plan --json` into a pipe loads: no PyYAML (the config comes from its cache), no
rich (progress lines are written plainly), and — through `devctl.cli.pipeline_run`, the function
the typer command calls — no typer. Each of those was measured at 15-40 ms of start-up
(docs/performance.md, "Plan"); this keeps them off the path. One real plugin, started once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PLUGINS = Path(__file__).resolve().parents[2] / "testdata" / "plugins"

PROBE = """\
import json, sys
from devctl.cli.context import AppContext
from devctl.cli.pipeline_run import plan
code = plan(AppContext(), json_out=True)
loaded = sorted(m for m in ("yaml", "rich", "typer", "click") if m in sys.modules)
sys.stderr.write("LOADED " + json.dumps(loaded) + "\\n")
sys.exit(code)
"""


def test_piped_plan_json_loads_no_yaml_no_rich_and_no_typer(tmp_path: Path):
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps({"services": [{"name": "web", "command": ["sleep", "5"]}]}))
    (tmp_path / ".devctl.yaml").write_text(
        f"plugins:\n  - id: plan\n    path: {json.dumps(sys.executable)}\n"
        f"    args: [{json.dumps(str(PLUGINS / 'sup_plan.py'))}, {json.dumps(str(plan_file))}]\n")
    env = dict(os.environ, NO_COLOR="1")

    def probe() -> tuple[list[str], dict]:
        res = subprocess.run([sys.executable, "-c", PROBE], cwd=tmp_path, env=env, capture_output=True,
                             text=True, timeout=60)
        assert res.returncode == 0, res.stderr
        line = next(x for x in res.stderr.splitlines() if x.startswith("LOADED "))
        assert "launch.plan: plugin plan answered" in res.stderr  # the piped progress lines
        return json.loads(line.removeprefix("LOADED ")), json.loads(res.stdout)

    first, planned = probe()  # parses .devctl.yaml (PyYAML) and caches it
    assert "rich" not in first and "typer" not in first
    assert [s["name"] for s in planned["services"]] == ["web"]
    again, planned_again = probe()
    assert again == [] and planned_again == planned
