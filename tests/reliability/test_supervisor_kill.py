"""SIGKILL the supervisor at random moments during `up`, a restart and `down`.

The driver (tests/reliability/drivers/kill_supervisor.py) checks after each kill that `status`
tells the truth (supervisor not running; no service called live whose process is gone or dead
whose process runs) and that `down` leaves no process of that run and no supervisor file.
The seed is printed so a failure can be replayed.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys

import pytest

from tests.reliability.harness import driver


@pytest.mark.parametrize("phase", ["up", "restart", "down"])
def test_sigkill_supervisor_at_random_moments(tmp_path, budget, phase):
    seed = random.randrange(1_000_000)
    res = subprocess.run(
        [sys.executable, driver("kill_supervisor.py"), str(tmp_path), phase, str(budget.kills), str(seed)],
        capture_output=True, text=True, timeout=60 + budget.kills * 20,
    )
    print(f"\nseed {seed}: {res.stdout.strip()[-400:]}")
    assert res.returncode == 0, f"seed {seed}\n{res.stdout[-4000:]}\n{res.stderr[-3000:]}"
    report = json.loads(res.stdout.splitlines()[-1])
    assert report["trials"] == budget.kills and report["problems"] == []
