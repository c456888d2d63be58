"""What the supervisor imports between the fork and its first spawn (issue 17): a module that
only a later request needs, or a library for one number, costs every `up` its import time."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

#: Loaded only when needed: psutil (a create time is two /proc reads), uuid (with platform:
#: the run id is os.urandom), the `apply` op and its plan diff (at the first such request).
NOT_BEFORE_THE_FIRST_SPAWN = ("psutil", "uuid", "devctl.supervisor.apply", "devctl.supervisor.plan_diff")

PROBE = """
import json, sys, tempfile
from pathlib import Path
from devctl.supervisor import daemon, handlers
from devctl.supervisor.events import EventLog
from devctl.supervisor.paths import Paths
from devctl.supervisor.runtime import Supervisor
root = Path(tempfile.mkdtemp())
(root / ".devctl").mkdir()
paths = Paths(root)
spec = {"name": "a", "command": ["x"], "cwd": str(root), "env": {}, "health": None, "depends_on": [],
        "restart": "on-failure", "max_restarts": 5, "stop_signal": "SIGTERM", "stop_timeout_ms": 1000,
        "plugin": "p"}
sup = Supervisor(paths, [spec], EventLog(paths.events))
handlers.make_handler(sup)
state = json.loads(sup.state_json())
assert state["supervisor"]["create_time"] and len(sup.run_id) == 32, state
print(json.dumps(sorted(m for m in sys.argv[1:] if m in sys.modules)))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="create times come from /proc on Linux")
def test_the_supervisor_starts_without_psutil_uuid_or_the_apply_op() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE, *NOT_BEFORE_THE_FIRST_SPAWN],
                         capture_output=True, text=True, check=True, timeout=60)
    assert json.loads(out.stdout) == []
