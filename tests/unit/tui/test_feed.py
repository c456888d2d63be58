"""The feed's pure parts: which groups to measure, and the sums per service."""

from __future__ import annotations

from devctl.dofek.scan import ProcInfo
from devctl.tui.feed import Usage, group_usage, live_groups


def test_live_groups_are_the_services_with_a_process():
    snap = {"services": [
        {"name": "web", "state": "healthy", "pgid": 10},
        {"name": "db", "state": "exited", "pgid": 11},
        {"name": "new", "state": "starting", "pgid": None},
        {"name": "up", "state": "stopping", "pgid": 12},
    ]}
    assert live_groups(snap) == {"web": 10, "up": 12}
    assert live_groups(None) == {}


def test_usage_sums_each_group_and_ignores_other_processes():
    rows = [ProcInfo(10, "web", 10.0, 1000, 10), ProcInfo(13, "helper", 2.5, 500, 10),
            ProcInfo(20, "db", 1.0, 300, 20), ProcInfo(99, "bash", 50.0, 9999, 99)]
    ports = {13: [8080], 10: [9090, 8080], 99: [22]}
    assert group_usage(rows, {"web": 10, "db": 20, "gone": 30}, ports) == {
        "web": Usage(12.5, 1500, 2, (8080, 9090)), "db": Usage(1.0, 300, 1), "gone": Usage(0, 0, 0)}
