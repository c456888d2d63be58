""""One with devctl": the services of this repo's running supervisor, without any plugin.

The supervisor owns `.devctl/state.json`; we read it through its own reader
(`devctl.supervisor.state_store.read_state`) and ask its liveness test (the flock on
`.devctl/supervisor.lock`) whether anyone is home, so a stale file from a dead supervisor
shows nothing. The file is re-read only when its mtime changes, which keeps a tick at one
`stat()` when nothing happened.

Each service's CPU and RSS are the sums over its process group (services start in their own
session) plus any descendants the supervisor recorded outside it. Its processes get the
annotation `{category: "dev", label: <service>}` in the watchlist.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devctl.dofek.scan import ProcInfo

PLUGIN_NAME = "devctl"


@dataclass
class ServiceView:
    supervisor_pid: int | None
    services: list[dict[str, Any]]
    annotations: dict[int, dict[str, Any]]


class ServiceWatch:
    """Reads the supervisor's state for one repo, cheaply, once per tick."""

    def __init__(self, repo_root: Path):
        from devctl.supervisor.paths import Paths

        self.paths = Paths(repo_root)
        self._mtime: float | None = None
        self._state: dict[str, Any] | None = None

    def read(self) -> dict[str, Any] | None:
        """The state of a live supervisor, or None (none running, or no state yet)."""
        from devctl.errors import DevctlError
        from devctl.supervisor.paths import supervisor_alive
        from devctl.supervisor.state_store import read_state

        try:
            if not supervisor_alive(self.paths.lock):
                self._mtime, self._state = None, None
                return None
            mtime = self.paths.state.stat().st_mtime
        except OSError:
            return None
        if mtime != self._mtime:
            try:
                self._state = read_state(self.paths.state)
            except DevctlError:
                self._state = None  # another version's file: show nothing rather than guess
            self._mtime = mtime
        return self._state

    def view(self, procs: list[ProcInfo]) -> ServiceView | None:
        state = self.read()
        return service_view(state, procs) if state is not None else None


def service_view(state: dict[str, Any], procs: list[ProcInfo]) -> ServiceView:
    """Pure: state.json content + one process scan -> service rows and annotations."""
    by_group: dict[int, list[ProcInfo]] = {}
    by_pid: dict[int, ProcInfo] = {}
    for proc in procs:
        by_pid[proc.pid] = proc
        if proc.pgid is not None:
            by_group.setdefault(proc.pgid, []).append(proc)
    rows: list[dict[str, Any]] = []
    annotations: dict[int, dict[str, Any]] = {}
    for svc in state.get("services") or []:
        if not isinstance(svc, dict) or not isinstance(svc.get("name"), str):
            continue
        members: dict[int, ProcInfo] = {}
        pgid = svc.get("pgid") or svc.get("pid")
        if isinstance(pgid, int):
            members.update((p.pid, p) for p in by_group.get(pgid, []))
        for item in svc.get("descendants") or []:
            pid = item[0] if isinstance(item, list | tuple) and item else item
            if isinstance(pid, int) and pid in by_pid:
                members[pid] = by_pid[pid]
        for pid in members:
            annotations[pid] = {"plugin": PLUGIN_NAME, "label": svc["name"], "category": "dev",
                                "ai_state": None}
        rows.append({
            "name": svc["name"],
            "state": str(svc.get("state") or "unknown"),
            "restarts": svc.get("restarts") if isinstance(svc.get("restarts"), int) else 0,
            "pid": svc.get("pid"),
            "processes": len(members),
            "cpu_percent": round(sum(p.cpu_percent for p in members.values()), 1),
            "rss": sum(p.rss for p in members.values()),
        })
    sup = state.get("supervisor") or {}
    return ServiceView(sup.get("pid") if isinstance(sup, dict) else None, rows, annotations)
