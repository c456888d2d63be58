"""`read_status` and `status_exit_code`: what `devctl status` shows, from the files alone.

No process is started: the supervisor's liveness is its flock (taken here in-process), and
the recorded pids are this test's own (alive) or this pid with a wrong create time (a pid that
was reused since: dead to us).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from devctl.errors import EXIT_NOT_RUNNING
from devctl.supervisor.client import read_status, status_exit_code
from devctl.supervisor.control import acquire_lock
from devctl.supervisor.paths import Paths
from devctl.supervisor.state_store import write_state

NOW = 1_000_000.0
ME = os.getpid()
MY_START = psutil.Process(ME).create_time()
GONE_MSG = "gone (the supervisor was not running to see it exit)"


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    p = Paths(tmp_path)
    p.state_dir.mkdir()
    return p


@pytest.fixture
def supervisor(paths: Paths) -> Iterator[None]:
    """A live supervisor, as far as `status` can tell: someone holds the flock."""
    fd = acquire_lock(paths.lock)
    try:
        yield
    finally:
        os.close(fd)


def svc(name: str, state: str, *, alive: bool = True, **extra: Any) -> dict[str, Any]:
    """A service record as the supervisor writes it; `alive=False` records a reused (stale) pid."""
    return {"name": name, "state": state, "pid": ME, "create_time": MY_START if alive else MY_START - 100,
            "started_at": NOW - 30, **extra}


def record(paths: Paths, *services: dict[str, Any], pid: int = 4242) -> None:
    write_state(paths.state, {"supervisor": {"pid": pid}, "services": list(services)})


def by_name(snapshot: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["name"]: s for s in snapshot["services"]}


def test_nothing_ever_ran(paths: Paths) -> None:
    snap = read_status(paths, now=NOW)
    assert snap == {"repo_root": str(paths.root), "services": [],
                    "supervisor": {"running": False, "pid": None, "stale_state": False}}
    assert status_exit_code(snap) == EXIT_NOT_RUNNING


def test_a_live_supervisor_is_believed(paths: Paths, supervisor: None) -> None:
    record(paths, svc("api", "healthy"), svc("db", "running", alive=False), svc("old", "exited"))
    snap = read_status(paths, now=NOW)
    assert snap["supervisor"] == {"running": True, "pid": 4242, "stale_state": False}
    states = {n: s["state"] for n, s in by_name(snap).items()}
    assert states == {"api": "healthy", "db": "running", "old": "exited"}  # pids are not judged
    # Uptime only for states with a process.
    assert [s["uptime_s"] for s in snap["services"]] == [30.0, 30.0, None]


def test_all_up_exits_ok(paths: Paths, supervisor: None) -> None:
    record(paths, svc("api", "healthy"), svc("web", "running"))
    assert status_exit_code(read_status(paths, now=NOW)) == 0


@pytest.mark.parametrize("other", ["unhealthy", "starting", "backoff", "failed", "stopped", "waiting"])
def test_one_service_not_up_exits_not_running(paths: Paths, supervisor: None, other: str) -> None:
    record(paths, svc("api", "healthy"), svc("web", other))
    assert status_exit_code(read_status(paths, now=NOW)) == EXIT_NOT_RUNNING


def test_no_supervisor_judges_each_recorded_pid(paths: Paths) -> None:
    record(
        paths,
        svc("alive", "running"),
        svc("reused", "healthy", alive=False),  # its pid now belongs to another process
        svc("pending", "waiting", alive=False, pid=None),
        svc("restarting", "backoff", alive=False),
        svc("failed", "failed", alive=False, error="exited with code 1"),
        svc("crashed", "unhealthy", alive=False, error="probe failed"),
    )
    snap = read_status(paths, now=NOW)
    assert snap["supervisor"] == {"running": False, "pid": None, "stale_state": True}
    got = by_name(snap)
    assert got["alive"]["state"] == "running" and "error" not in got["alive"]
    assert got["alive"]["uptime_s"] == 30.0
    for name in ("reused", "pending", "restarting"):
        assert (got[name]["state"], got[name]["error"], got[name]["uptime_s"]) == ("exited", GONE_MSG, None)
    # A final state is history, not a claim about a process: left as it was.
    assert (got["failed"]["state"], got["failed"]["error"]) == ("failed", "exited with code 1")
    # An error already recorded is kept: it says more than "gone".
    assert (got["crashed"]["state"], got["crashed"]["error"]) == ("exited", "probe failed")
    assert status_exit_code(snap) == EXIT_NOT_RUNNING


def test_the_state_file_is_not_changed_by_reading(paths: Paths) -> None:
    record(paths, svc("reused", "running", alive=False))
    before = paths.state.read_text()
    read_status(paths, now=NOW)
    assert paths.state.read_text() == before


def test_a_missing_start_time_means_no_uptime(paths: Paths, supervisor: None) -> None:
    record(paths, svc("api", "running", started_at=None))
    assert read_status(paths, now=NOW)["services"][0]["uptime_s"] is None


def test_the_look_for_stragglers_after_down_does_not_import_the_spawner(tmp_path: Path):
    """`down` ends with a look for processes carrying the run's marker. It used to import
    `supervisor.spawn` for the marker's name, and with it subprocess and the pipeline's service
    modules (~15-25 ms of a 50-service `down`'s CLI time); the names live in `markers`."""
    import subprocess
    import sys

    code = ("import sys\n"
            "from devctl.supervisor import client\n"
            "client.stop_run('no-such-run', 0.1, print, first_looks=1)\n"
            "client.stop_repo(client.Paths(sys.argv[1]), 0.1, print)\n"
            "print(sorted(m for m in ('devctl.supervisor.spawn', 'devctl.pipeline', 'subprocess')"
            " if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    assert out.strip() == "[]"
