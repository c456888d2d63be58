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


def test_with_no_supervisor_the_feed_says_none_then_what_was_left(tmp_path):
    """A state file whose supervisor is gone (no lock held): None, then the recorded services
    that may still run, judged by pid (this test's own pid is alive; pid None is not)."""
    import json
    import os
    import threading

    from devctl.procs.pids import create_time
    from devctl.supervisor.paths import Paths
    from devctl.tui.feed import Feed

    paths = Paths(tmp_path)
    paths.state_dir.mkdir()
    me = os.getpid()
    paths.state.write_text(json.dumps({"version": 1, "supervisor": {"pid": None}, "services": [
        {"name": "web", "state": "running", "pid": me, "create_time": create_time(me)},
        {"name": "gone", "state": "running", "pid": None},
    ]}))
    got: list[tuple[str, object]] = []
    done = threading.Event()

    def deliver(kind: str, value: object) -> None:
        got.append((kind, value))
        if kind == "stale":
            done.set()

    feed = Feed(paths, deliver, retry_s=0.05)
    feed.start()
    try:
        assert done.wait(10), got
    finally:
        feed.stop()
    assert got[0] == ("state", None)
    kind, stale = got[1]
    states = {s["name"]: s["state"] for s in stale["services"]}  # type: ignore[index]
    assert kind == "stale" and states == {"web": "running", "gone": "exited"}
