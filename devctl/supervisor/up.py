"""`devctl up` after the pipeline: check the plan, launch the supervisor, wait for readiness.

The CLI command stays a thin layer; the decisions live here: which checks run before
anything starts, what "ready" and "failed" mean while waiting, and what a failure report
contains (the service, the reason, the last 20 lines of its stderr).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from devctl.errors import DevctlError
from devctl.pipeline.services import ServiceSpec
from devctl.supervisor import client, plan
from devctl.supervisor.logs import tail_lines
from devctl.supervisor.paths import Paths
from devctl.supervisor.state_store import read_state

READY = frozenset({"running", "healthy", "unhealthy"})
ENDED = frozenset({"failed", "exited", "stopped"})
STDERR_TAIL = 20


def prepare(services: Sequence[Mapping[str, Any]], repo_root: Path) -> list[ServiceSpec]:
    """Normalize and check everything that can be checked before a single process starts."""
    ordered = plan.normalize(services, repo_root)
    plan.check_commands(ordered)
    plan.check_ports(ordered)
    return ordered


def wait(
    paths: Paths,
    names: list[str],
    on_update: Callable[[dict[str, dict[str, Any]]], None],
    *,
    started_only: bool = False,
) -> dict[str, Any] | None:
    """Follow the supervisor's events until every service is ready (or, with `started_only`,
    every service without dependencies has been spawned). Returns the record of the first
    service that failed, or None on success."""
    roots = None
    for msg in client.watch(paths):
        state = msg.get("state") if "state" in msg else read_state(paths.state)
        if state is None:
            break
        records = {s["name"]: s for s in state["services"]}
        on_update(records)
        if roots is None:
            roots = [n for n in names if not records[n].get("depends_on")]
        for name in names:
            svc = records[name]
            if svc["state"] in ENDED:
                return svc
        if started_only:
            if all(records[n].get("pid") for n in roots):
                return None
        elif all(records[n]["state"] in READY for n in names):
            return None
    raise DevctlError("the supervisor stopped while services were starting",
                      details=_tail(paths.daemon_log, STDERR_TAIL))


def failure(paths: Paths, svc: dict[str, Any]) -> tuple[str, list[str]]:
    """The message and detail lines for a service that failed during `up`."""
    reason = svc.get("error") or svc["state"]
    health = svc.get("health") or {}
    if health.get("error") and "not ready" in reason:
        reason += f" (last {health['type']} check of {health['target']}: {health['error']})"
    log = paths.log(svc["name"], "stderr")
    lines = _tail(log, STDERR_TAIL)
    rel = log.relative_to(paths.root) if log.is_relative_to(paths.root) else log
    details = [f"last {len(lines)} lines of {rel}:", *lines] if lines else [f"{rel} is empty"]
    return f"service {svc['name']!r} failed to start: {reason}", details


def _tail(path: Path, n: int) -> list[str]:
    return tail_lines(path, n)
