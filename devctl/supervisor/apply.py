"""Inside the supervisor: requests that change services, one at a time, and `apply` (a new plan).

Why a gate: `start`, `stop`, `restart` and `apply` each take several steps with waits between
them (stop dependents first, wait for the groups to empty, then start). Run at once on the same
services, one request's start undid another's stop while it waited, and that one then waited
for a `stopped` that never came (issue 12, item 6: 10 concurrent restarts, 9 hung for 660 s).
The gate runs their changing steps one after the other; each then waits for its services to
settle outside the gate, and only counts them settled once no other request is changing them,
so it never reports the `stopped` of a restart still in progress.

`apply` is `devctl up` on a running environment: compare the running plan with the new one
(`plan_diff.diff_plans`), check what the new plan needs before stopping anything, then stop
what is recreated or removed (dependents first), swap the plan, and start what is recreated or
new. Unchanged services keep their process.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from typing import Any

from devctl.errors import DevctlError
from devctl.pipeline.services import ServiceSpec
from devctl.procs import tasks
from devctl.supervisor import plan
from devctl.supervisor.plan_diff import Diff, diff_plans
from devctl.supervisor.runtime import Supervisor
from devctl.supervisor.service_states import FINAL_STATES, SETTLED_STATES


class Gate:
    """One changing request at a time; which services a request is changing right now."""

    def __init__(self) -> None:
        self.lock = tasks.Lock()
        self.busy: Counter[str] = Counter()

    @contextlib.asynccontextmanager
    async def changing(self, sup: Supervisor, names: Sequence[str]) -> AsyncIterator[None]:
        async with self.lock:
            if sup.shutdown_requested.is_set():  # a `down` came first: start nothing more
                raise DevctlError("the supervisor is shutting down")
            self.busy.update(names)
            try:
                yield
            finally:
                self.busy.subtract(names)
                sup.changed()  # a waiter may have been waiting only for this request to end

    def settled(self, sup: Supervisor, names: Sequence[str]) -> bool:
        """Every one of `names` ready or ended, and no request in the middle of changing it."""
        return all(self.busy[n] <= 0 and (n not in sup.services  # removed by an `apply` meanwhile
                                          or sup.services[n].st.state in SETTLED_STATES)
                   for n in names)


def check_new(diff: Diff, running: Sequence[ServiceSpec]) -> None:
    """Before anything is stopped: what the services to start need (cwd, executable), and that
    their health ports are free, except ports that a service about to be stopped holds (its
    replacement will bind them once it is gone). Raises DevctlError naming the service."""
    specs = {s["name"]: s for s in diff.plan}
    starting = [specs[n] for n in diff.to_start]
    plan.check_commands(starting)
    freed = {plan.health_target(s["health"]) for s in running if s["name"] in diff.to_stop}
    plan.check_ports([s for s in starting if plan.health_target(s["health"]) not in freed])


def _names(value: Any, what: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(n, str) for n in value):
        raise DevctlError(f"{what} must be a list of service names")
    return value


async def apply(sup: Supervisor, gate: Gate, request: dict[str, Any]) -> dict[str, Any]:
    """The `apply` op: returns the reply (`changes`, one per service). DevctlError = refused,
    with nothing changed."""
    raw = request.get("services")
    if not isinstance(raw, list):
        raise DevctlError("apply needs `services`: the new plan's services")
    only = _names(request.get("only"), "only")
    force, dry = request.get("force") is True, request.get("dry_run") is True
    new = plan.normalize(raw, sup.paths.root)  # the supervisor's own guard (ConfigError: refused)
    async with gate.changing(sup, []):
        running = list(sup.specs)
        try:
            diff = diff_plans(running, new, force=force, only=only or None)
        except KeyError as exc:
            raise DevctlError(f"no such service in the plan: {exc.args[0]} "
                              f"(planned: {', '.join(s['name'] for s in new) or 'none'})") from None
        if request.get("check", True) is not False:  # `restart` only asks what differs
            await tasks.run_sync_in_thread(check_new, diff, running)
        # `up` means up: an unchanged service that was stopped or ended is started again (as
        # compose starts a stopped container), and reported as `started`, `was` its state.
        revive = {n: sup.services[n].st.state for n in diff.names("unchanged")
                  if n in diff.scope and sup.services[n].st.state in FINAL_STATES}
        changes = [{**c, "action": "started", "was": revive[c["service"]]} if c["service"] in revive else c
                   for c in diff.to_json()]
        if not dry:
            moving = diff.to_stop + diff.to_start + list(revive)
            gate.busy.update(moving)
            try:
                await sup.stop(diff.to_stop)
                if sup.shutdown_requested.is_set():
                    raise DevctlError("the supervisor is shutting down")
                sup.replace_plan(diff.plan, set(diff.to_start))
                sup.start(diff.to_start + list(revive))
            finally:
                gate.busy.subtract(moving)
        sup.flush_state()
    return {"ok": True, "dry_run": dry, "changes": changes}
