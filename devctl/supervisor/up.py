"""`devctl up`: may it start, what to clear first, check the plan, wait for readiness.

The CLI command stays a thin layer (parse, call these, render); the decisions live here:
whether `up` starts a supervisor, applies the new plan to the one that runs (compose semantics:
`supervisor/plan_diff.py` decides what is recreated, the supervisor's `apply` op does it), or
first clears what runs (`--force`) or what a dead one left behind; what comes after the
pipeline (nothing to start, a dry-run listing, a start), which checks run before anything is
stopped or started, what "ready" and "failed" mean while waiting, and what a failure report
contains (the service, the reason, the last 20 lines of its stdout and stderr).
"""

from __future__ import annotations

import enum
import os
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from devctl.errors import EXIT_USAGE, DevctlError
from devctl.supervisor import client
from devctl.supervisor.paths import Paths
from devctl.supervisor.service_states import FINAL_STATES as ENDED
from devctl.supervisor.service_states import READY_STATES as READY
from devctl.supervisor.state_store import read_state

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: `up` loads this module (docs/performance.md, "T2")
if TYPE_CHECKING:
    from typing import Any, NamedTuple

    from devctl.pipeline.services import ServiceSpec

# `up` imports this module before its pipeline, to decide whether to run one (`preflight`),
# and the plugins start only with the pipeline: what is needed after the pipeline only (the
# plan checks with socket and shutil, the log readers with logging, the service specs) is
# imported where it is used, so it loads while the plugins start instead of before.

STDERR_TAIL = 20


if TYPE_CHECKING:
    class _PreflightFields(NamedTuple):
        #: Dry run: show what would start, start nothing, touch nothing.
        dry: bool
        #: Run `down` before starting: it stops the running supervisor (`--force`), or the
        #: services a dead one left behind (`--force`), or clears the state files it left (always).
        clear_first: bool
        #: A supervisor runs (and no `--force`, or a dry run): hand it the new plan; it recreates
        #: only what changed (the `apply` op).
        apply: bool = False
else:  # the same fields without `typing` (tests/unit/test_runtime_shapes.py keeps them equal)
    _PreflightFields = namedtuple("Preflight", "dry clear_first apply", defaults=(False,))


class Preflight(_PreflightFields):
    """What `up` decided before running the pipeline.

    A named tuple, not a frozen dataclass: `up` imports this module first thing, and
    `dataclasses` (with `inspect`) was 10-18 ms of its start-up for this one record."""

    __slots__ = ()


class Next(enum.Enum):
    """What `up` does once the pipeline produced its services."""

    NOTHING = "nothing"  # the plan has no services
    SHOW = "show"  # dry run: list what would start
    START = "start"


def decide(*, dry: bool, force: bool, running: bool, orphans: list[str] | None) -> Preflight:
    """The go / no-go of `up`, from what is found in `.devctl/`.

    `running`: a live supervisor holds the lock; `up` then applies the new plan to it (a dry
    run asks it what would change), unless `--force` stops everything first. `orphans`: after a
    supervisor died, its services still alive (None: it left no state at all); without
    `--force` they stop `up` with a message saying what to do; with it, they are stopped first.
    A dry run clears nothing. Raises DevctlError (exit 1) for a no-go.
    """
    if running and (dry or not force):
        return Preflight(dry=dry, clear_first=False, apply=True)
    if dry:
        return Preflight(dry=True, clear_first=False)
    if orphans and not force:
        raise DevctlError(
            f"services from an earlier run are still running without their supervisor "
            f"({', '.join(orphans)}): `devctl down` stops them; `devctl up --force` restarts everything"
        )
    return Preflight(dry=False, clear_first=running or orphans is not None)


def preflight(paths: Paths, *, dry: bool, force: bool) -> Preflight:
    """`decide` on what `.devctl/` holds now (orphans are looked for only when it matters)."""
    running = client.is_running(paths)
    orphans = None if dry or running else client.orphaned_services(paths)
    return decide(dry=dry, force=force, running=running, orphans=orphans)


#: How long `up` waits for a supervisor that holds the lock to answer on its socket.
ANSWER_TIMEOUT_S = 15.0


def await_supervisor(paths: Paths, timeout: float = ANSWER_TIMEOUT_S) -> None:
    """Until the running supervisor answers a ping: one that another `up` just launched holds
    the lock a moment before it listens. DevctlError if it dies or stays silent."""
    import time

    from devctl.supervisor import control

    deadline = time.monotonic() + timeout
    while True:
        try:
            control.call(paths.sock, "ping", timeout=2.0)
            return
        except DevctlError:
            if not client.is_running(paths):
                raise DevctlError("the supervisor stopped before it answered; run `devctl up` again"
                                  ) from None
            if time.monotonic() > deadline:
                raise DevctlError(f"the supervisor does not answer on {paths.sock.name}",
                                  details=_tail(paths.daemon_log, STDERR_TAIL)) from None
        time.sleep(0.02)


def next_step(pre: Preflight, services: Sequence[Mapping[str, Any]]) -> Next:
    """After the pipeline. With `--force` the new plan was built and checked before anything
    was stopped, so a broken plan leaves the running services alone."""
    if not services:
        return Next.NOTHING
    return Next.SHOW if pre.dry else Next.START


def select(services: list[ServiceSpec], names: Sequence[str]) -> list[ServiceSpec]:
    """`devctl up SERVICE...` with nothing running: those services and what they depend on
    (transitively), in plan order. An unknown name is a usage error (exit 2) listing the plan."""
    if not names:
        return services
    from devctl.supervisor.plan_diff import closure

    by_name = {s["name"]: s for s in services}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise DevctlError(f"no such service in the plan: {', '.join(unknown)} "
                          f"(planned: {', '.join(by_name) or 'none'})", exit_code=EXIT_USAGE)
    chosen = closure(names, {n: s["depends_on"] for n, s in by_name.items()})
    return [s for s in services if s["name"] in chosen]


def check_before_stopping(services: list[ServiceSpec]) -> None:
    """What `--force` checks before it stops what runs: every cwd exists and every command
    resolves (a typo must not leave nothing running). Ports wait until the old services are
    down, since they may hold the very ports the new ones need."""
    from devctl.supervisor import plan

    plan.check_commands(services)


def prepare(services: Sequence[Mapping[str, Any]], repo_root: Path) -> list[ServiceSpec]:
    """Normalize and check everything that can be checked before a single process starts."""
    from devctl.supervisor import plan

    return check_before_start(plan.normalize(services, repo_root))


def check_before_start(ordered: list[ServiceSpec]) -> list[ServiceSpec]:
    """`prepare` for a plan that is normalized already (the pipeline's, in `up`): normalizing
    it again cost 3 ms of `up` with 50 services for nothing. Returns `ordered`."""
    from devctl.supervisor import plan

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
    service that failed, or None on success.

    The records come with the events (`watch` with `records`): the snapshot first, then each
    event's service as it is now. Reading state.json after every event instead cost the CLI
    about 1 ms per event with 50 services (some 85 events for an `up` of 50), and checking
    every service after every event made the wait quadratic; only the service an event names
    is looked at again. A supervisor that sends no records is followed through the file."""
    wanted = set(names)
    records: dict[str, dict[str, Any]] = {}
    targets: set[str] | None = None  # what must be ready (or spawned)
    left: set[str] = set()  # the targets that are not, yet
    for msg in client.watch(paths, records=True):
        record = msg.get("record")
        changed: list[str] = names
        if isinstance(record, dict):
            records[record["name"]] = record
            changed = [record["name"]]
        else:
            event = msg.get("event")
            if "state" in msg:
                state = msg["state"]
            elif isinstance(event, dict) and not event.get("service"):
                continue  # the supervisor's own events (`up_done`) change no service
            else:
                state = read_state(paths.state)
            if state is None:
                break
            records = {s["name"]: s for s in state["services"]}
        on_update(records)
        if targets is None:
            targets = {n for n in names if not records[n].get("depends_on")} if started_only else set(names)
            changed = names
        for name in changed:
            if name not in wanted:
                continue  # a service this `up` does not wait for
            svc = records[name]
            if svc["state"] in ENDED:
                return svc
            if name not in targets:
                continue
            if svc.get("pid") if started_only else svc["state"] in READY:
                left.discard(name)
            else:
                left.add(name)
        if not left:
            return None
    raise DevctlError("the supervisor stopped while services were starting",
                      details=_tail(paths.daemon_log, STDERR_TAIL))


def failure(paths: Paths, svc: dict[str, Any]) -> tuple[str, list[str]]:
    """The message and detail lines for a service that failed during `up`."""
    from devctl.supervisor.render import display_log

    reason = svc.get("error") or svc["state"]
    health = svc.get("health") or {}
    if health.get("error") and "not ready" in reason:
        reason += f" (last {health['type']} check of {health['target']}: {health['error']})"
    # Both streams, labelled: many services (and most test fixtures) say why they fail on
    # stdout, so the stderr tail alone often read "is empty" next to the useful lines.
    details: list[str] = []
    for stream in ("stdout", "stderr"):
        log = paths.log(svc["name"], stream)
        lines = _tail(log, STDERR_TAIL)
        rel = display_log(str(log), str(paths.root), os.getcwd())  # openable from where you are
        details += [f"last {len(lines)} lines of {rel}:", *lines] if lines else [f"{rel} is empty"]
    return f"service {svc['name']!r} failed to start: {reason}", details


def _tail(path: Path, n: int) -> list[str]:
    from devctl.supervisor.logs import tail_lines

    return tail_lines(path, n)
