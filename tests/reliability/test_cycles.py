"""Many `up`/`down` cycles of 5 services, one forking a child and a setsid grandchild.

The driver (tests/reliability/drivers/cycles.py) runs the real supervisor the way `devctl up` and
`devctl down` do, minus the interpreter start and plugin pipeline per cycle, so a CI run
affords many cycles. After each `down` it checks every pid it saw and every supervisor file.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.reliability.harness import driver

#: The driver's own limit per cycle: on a loaded 2-core box 100 cycles took 105 s (a quiet one:
#: about 40 s), so the suite's default 120 s was a coin toss there. A driver that overruns is
#: stopped by `subprocess.run`, which says so, before pytest-timeout (set above the `--long`
#: budget's 300 cycles) fires.
DRIVER_S_PER_CYCLE = 2.7


@pytest.mark.timeout(900)
def test_up_down_cycles_leave_no_process_and_no_state(tmp_path, budget):
    try:
        res = subprocess.run([sys.executable, driver("cycles.py"), str(tmp_path), str(budget.cycles)],
                             capture_output=True, text=True, timeout=30 + budget.cycles * DRIVER_S_PER_CYCLE)
    except subprocess.TimeoutExpired:
        # The driver is gone, but the supervisor it forked is detached: stop it and its
        # services the way `devctl down` does, so the failure leaves nothing running.
        from devctl.supervisor import client
        from devctl.supervisor.paths import Paths

        client.down(Paths(tmp_path))
        raise
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    report = json.loads(res.stdout.splitlines()[-1])
    assert report["cycles"] == budget.cycles
    assert report["leaks"] == [] and report["stale"] == []
    assert not list(tmp_path.glob(".devctl/state.json"))
    ups = sorted(report["up_s"])
    print(f"\n{budget.cycles} cycles; up median {ups[len(ups) // 2]:.3f} s, max {ups[-1]:.3f} s; "
          f"down max {max(report['down_s']):.3f} s")
