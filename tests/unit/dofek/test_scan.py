"""Process scanning (both sources agree) and the devctl services view (pure)."""

from __future__ import annotations

import os
import sys

import pytest

from devctl.dofek.devctl_services import service_view
from devctl.dofek.poller import watchlist
from devctl.dofek.scan import ProcfsSource, ProcInfo, PsutilSource, Scanner, poll_processes


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="procfs source is Linux only")
def test_procfs_and_psutil_sources_agree_on_our_own_process() -> None:
    me = os.getpid()
    fast = {row[0]: row for row in ProcfsSource().rows()}
    slow = {row[0]: row for row in PsutilSource().rows()}
    assert me in fast and me in slow
    assert fast[me][1] == slow[me][1]  # name
    assert fast[me][4] == slow[me][4] == os.getpgid(me)
    assert abs(fast[me][3] - slow[me][3]) < 16 * 1024 * 1024  # rss, sampled moments apart
    common = set(fast) & set(slow)
    same_names = sum(1 for pid in common if fast[pid][1] == slow[pid][1])
    assert same_names >= 0.95 * len(common)


def test_scanner_cpu_percent_from_deltas() -> None:
    class Source:
        def __init__(self) -> None:
            self.cpu = 0.0

        def rows(self):
            self.cpu += 0.5
            return [(10, "busy", self.cpu, 1000, 10), (11, "idle", 1.0, 2000, 11)]

    now = [0.0]
    scanner = Scanner(Source(), gpu=False, clock=lambda: now[0])
    first = scanner.scan()
    assert [p.cpu_percent for p in first] == [0.0, 0.0]  # no previous sample yet
    now[0] = 1.0
    busy, idle = scanner.scan()
    assert (busy.cpu_percent, idle.cpu_percent) == (50.0, 0.0)
    assert poll_processes([busy]) == [{"pid": 10, "name": "busy", "vram_bytes": None}]


def test_watchlist_pins_annotated_processes_then_top_cpu_and_memory() -> None:
    procs = [ProcInfo(i, f"p{i}", cpu_percent=float(i), rss=1000 - i) for i in range(1, 30)]
    rows = watchlist(procs, {2: [{"plugin": "x", "label": "watched"}]}, top=4)
    pids = [r["pid"] for r in rows]
    assert 2 in pids  # annotated, although near the bottom by CPU
    assert 29 in pids and 1 in pids  # top CPU and top memory
    assert [r["cpu_percent"] for r in rows] == sorted((r["cpu_percent"] for r in rows), reverse=True)


def test_service_view_sums_the_process_group_and_annotates_it() -> None:
    procs = [
        ProcInfo(100, "web", 10.0, 1000, pgid=100),
        ProcInfo(101, "worker", 5.0, 500, pgid=100),
        ProcInfo(205, "escaped", 1.0, 50, pgid=205),
        ProcInfo(300, "other", 50.0, 9999, pgid=300),
    ]
    state = {
        "supervisor": {"pid": 1},
        "services": [
            {
                "name": "web",
                "state": "running",
                "pid": 100,
                "pgid": 100,
                "restarts": 2,
                "descendants": [[205, 123.0]],
            },
            {"name": "db", "state": "exited", "pid": None, "pgid": None, "restarts": 0},
        ],
    }
    view = service_view(state, procs)
    web, db = view.services
    assert (web["processes"], web["cpu_percent"], web["rss"], web["restarts"]) == (3, 16.0, 1550, 2)
    assert (db["processes"], db["state"]) == (0, "exited")
    assert set(view.annotations) == {100, 101, 205}
    assert view.annotations[101] == {
        "plugin": "devctl",
        "label": "web",
        "category": "dev",
        "ai_state": None,
    }
