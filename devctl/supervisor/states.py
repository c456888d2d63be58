"""The service state machine: one pure `transition()` that owns restart, backoff and health policy.

Why pure: every rule the issue lists (restart only after a first ready, backoff 1-2-4-8-16-30 s,
reset after 60 s healthy, give up after `max_restarts`, `failure_threshold` failed probes →
unhealthy, `success_threshold` passing probes → ready or recovered, and the opt-in restart of an
unhealthy service) lives here and nowhere else, so it is tested with scripted inputs and an
injected clock, no processes.
The daemon feeds it what happened (an `Input`) and performs the `Action`s it returns; every
state change comes back as an event dict, ready for `.devctl/events.ndjson`.

No imports beyond the standard library and devctl's stdlib-only `util.backoff` and
`service_states` (the states and the named sets of them, which live there).

Why no dataclasses: the supervisor imports this module between its fork and its first spawn,
and 14 `@dataclass(frozen=True)` classes cost 10-50 ms there (each class `exec`s the source of
its `__init__`, `__eq__`, `__hash__`, `__repr__`, `__setattr__`...: issue 17, P6 in
docs/performance.md). The records below are small `__slots__` classes with the same behaviour
(`devctl.util.records.Record`: keyword or positional fields with defaults, equal by class and
fields, hashable, immutable, `replace()`), written out once instead of generated at every start.
"""

from __future__ import annotations

from collections.abc import Mapping

from devctl.supervisor.service_states import FINAL_STATES, LIVE_STATES
from devctl.util.backoff import backoff_delay
from devctl.util.records import Record, replace

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: imported while `up` plans (docs/performance.md, "T2")
if TYPE_CHECKING:
    from typing import Any

#: A service ready (and not unhealthy) this long gets its restart count reset.
RESET_AFTER_S = 60.0
#: Consecutive failed probes, after ready, that make a service `unhealthy` (the default of
#: `health.failure_threshold`; the plan's value is in `Policy`).
UNHEALTHY_AFTER = 3

_set = object.__setattr__


class Policy(Record):
    """The per-service knobs from the plan (defaults as documented in docs/supervisor.md)."""

    __slots__ = ("restart", "max_restarts", "has_health", "failure_threshold", "success_threshold",
                 "restart_on_unhealthy")
    restart: str  # "no" | "on-failure" | "always"
    max_restarts: int
    has_health: bool
    failure_threshold: int  # health.failure_threshold
    success_threshold: int  # health.success_threshold
    restart_on_unhealthy: bool  # health.restart_on_unhealthy (liveness)

    def __init__(self, restart: str = "on-failure", max_restarts: int = 5, has_health: bool = False,
                 failure_threshold: int = UNHEALTHY_AFTER, success_threshold: int = 1,
                 restart_on_unhealthy: bool = False) -> None:
        _set(self, "restart", restart)
        _set(self, "max_restarts", max_restarts)
        _set(self, "has_health", has_health)
        _set(self, "failure_threshold", failure_threshold)
        _set(self, "success_threshold", success_threshold)
        _set(self, "restart_on_unhealthy", restart_on_unhealthy)


def policy_of(spec: Mapping[str, Any]) -> Policy:
    """The policy of one checked service (a `ServiceSpec`: its restart and health fields)."""
    health = spec.get("health")
    knobs: dict[str, Any] = {}
    if health:
        keys = ("failure_threshold", "success_threshold", "restart_on_unhealthy")
        knobs = {key: health[key] for key in keys if key in health}
    return Policy(spec["restart"], spec["max_restarts"], bool(health), **knobs)


class SvcState(Record):
    __slots__ = ("state", "restarts", "total_restarts", "ever_ready", "ready_since", "probe_failures",
                 "probe_successes", "unhealthy_kill", "stop_requested", "error")
    state: str
    restarts: int  # attempts since the last reset (drives backoff and give-up)
    total_restarts: int  # shown in status; never reset by the 60 s rule
    ever_ready: bool  # restart policy applies only once the service was ready
    ready_since: float | None  # monotonic; None while not ready/healthy
    probe_failures: int  # consecutive failed probes since the last pass
    probe_successes: int  # consecutive passing probes (towards success_threshold)
    unhealthy_kill: bool  # killed for being unhealthy: its exit restarts it
    stop_requested: bool
    error: str  # why it failed / gave up, for status and `up`

    def __init__(self, state: str = "waiting", restarts: int = 0, total_restarts: int = 0,
                 ever_ready: bool = False, ready_since: float | None = None, probe_failures: int = 0,
                 probe_successes: int = 0, unhealthy_kill: bool = False, stop_requested: bool = False,
                 error: str = "") -> None:
        _set(self, "state", state)
        _set(self, "restarts", restarts)
        _set(self, "total_restarts", total_restarts)
        _set(self, "ever_ready", ever_ready)
        _set(self, "ready_since", ready_since)
        _set(self, "probe_failures", probe_failures)
        _set(self, "probe_successes", probe_successes)
        _set(self, "unhealthy_kill", unhealthy_kill)
        _set(self, "stop_requested", stop_requested)
        _set(self, "error", error)


# ---- inputs -------------------------------------------------------------------------------


class Start(Record):
    """Start (or restart) on request: clears stop and the failure history."""

    __slots__ = ()


class Enqueue(Record):
    """Wanted again after it ended (exited, failed, stopped, backoff): wait for dependencies."""

    __slots__ = ()


class Spawned(Record):
    __slots__ = ("pid",)
    pid: int

    def __init__(self, pid: int) -> None:
        _set(self, "pid", pid)


class SpawnFailed(Record):
    __slots__ = ("error",)
    error: str

    def __init__(self, error: str) -> None:
        _set(self, "error", error)


class Ready(Record):
    """The settle time passed (a service without health). With health, `Probe`s decide."""

    __slots__ = ()


class Probe(Record):
    """One probe's result, while starting (towards ready) or after (liveness)."""

    __slots__ = ("ok", "error")
    ok: bool
    error: str

    def __init__(self, ok: bool, error: str = "") -> None:
        _set(self, "ok", ok)
        _set(self, "error", error)


class NotReadyInTime(Record):
    __slots__ = ("timeout_s",)
    timeout_s: float

    def __init__(self, timeout_s: float) -> None:
        _set(self, "timeout_s", timeout_s)


class Exited(Record):
    __slots__ = ("pid", "code", "signal")
    pid: int
    code: int | None
    signal: str | None

    def __init__(self, pid: int, code: int | None = None, signal: str | None = None) -> None:
        _set(self, "pid", pid)
        _set(self, "code", code)
        _set(self, "signal", signal)


class BackoffElapsed(Record):
    __slots__ = ()


class Stop(Record):
    __slots__ = ()


class StopDone(Record):
    """The process group is empty after a requested stop."""

    __slots__ = ()


Input = (
    Start | Enqueue | Spawned | SpawnFailed | Ready | Probe | NotReadyInTime | Exited | BackoffElapsed
    | Stop | StopDone
)

# ---- actions ------------------------------------------------------------------------------


class Action(Record):
    __slots__ = ("kind", "delay_s")
    kind: str  # "spawn" | "kill" | "schedule_restart" | "cancel_restart" | "cleanup_group"
    delay_s: float

    def __init__(self, kind: str, delay_s: float = 0.0) -> None:
        _set(self, "kind", kind)
        _set(self, "delay_s", delay_s)


SPAWN = Action("spawn")
KILL = Action("kill")
CANCEL_RESTART = Action("cancel_restart")
CLEANUP_GROUP = Action("cleanup_group")


class Transition:
    """What one input did: the new state, the actions to perform, the events to record.

    (Not `Outcome`: that name belongs to a dotagent plugin call's result.) Mutable, unlike
    the records: the runtime only reads it.
    """

    __slots__ = ("state", "actions", "events")

    def __init__(self, state: SvcState, actions: list[Action] | None = None,
                 events: list[dict[str, Any]] | None = None) -> None:
        self.state = state
        self.actions: list[Action] = [] if actions is None else actions
        self.events: list[dict[str, Any]] = [] if events is None else events

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Transition):
            return NotImplemented
        return (self.state, self.actions, self.events) == (other.state, other.actions, other.events)

    __hash__ = None  # type: ignore[assignment]  # mutable, as the dataclass it replaces

    def __repr__(self) -> str:
        return f"Transition(state={self.state!r}, actions={self.actions!r}, events={self.events!r})"


def _ev(event: str, **extra: Any) -> dict[str, Any]:
    return {"event": event, **{k: v for k, v in extra.items() if v is not None}}


def transition(s: SvcState, inp: Input, policy: Policy, now: float) -> Transition:
    """What `inp` does to a service in state `s` at monotonic time `now`. Pure."""
    if isinstance(inp, Start):
        if s.state in LIVE_STATES:
            return Transition(s)  # already up, coming up, or still being stopped
        new = SvcState(state="starting", total_restarts=s.total_restarts)
        return Transition(new, [CANCEL_RESTART, SPAWN])
    if isinstance(inp, Enqueue):
        if s.state not in FINAL_STATES and s.state != "backoff":
            return Transition(s)
        return Transition(SvcState(state="waiting", total_restarts=s.total_restarts), [CANCEL_RESTART])
    if isinstance(inp, Spawned):
        new = replace(s, state="starting", error="", probe_failures=0, probe_successes=0,
                      unhealthy_kill=False)
        return Transition(new, events=[_ev("started", pid=inp.pid)])
    if isinstance(inp, SpawnFailed):
        return _after_exit(s, policy, now, _ev("exited", error=inp.error), inp.error)
    if isinstance(inp, Ready):
        if s.state != "starting" or s.stop_requested:
            return Transition(s)
        return _ready(s, policy, now)
    if isinstance(inp, Probe):
        return _probe(s, inp, policy, now)
    if isinstance(inp, NotReadyInTime):
        if s.state != "starting" or s.stop_requested:
            return Transition(s)
        error = f"not ready within {inp.timeout_s:g} s"
        # Killed now; the exit that follows is judged with this error kept.
        return Transition(replace(s, error=error), [KILL])
    if isinstance(inp, Exited):
        event = _ev("exited", pid=inp.pid, exit_code=inp.code, signal=inp.signal, error=s.error or None)
        if s.stop_requested:
            # Still `stopping` until the whole group is gone (StopDone).
            return Transition(replace(s, ready_since=None), events=[{**event, "stop_requested": True}])
        reason = s.error or _exit_reason(inp)
        clean = inp.code == 0 and not s.error and not s.unhealthy_kill
        return _after_exit(s, policy, now, event, reason, clean=clean)
    if isinstance(inp, BackoffElapsed):
        if s.state != "backoff":
            return Transition(s)
        return Transition(replace(s, state="starting"), [SPAWN])
    if isinstance(inp, Stop):
        if s.state in LIVE_STATES:
            if s.stop_requested:
                return Transition(s)
            return Transition(replace(s, state="stopping", stop_requested=True), [KILL])
        new = replace(s, state="stopped", stop_requested=True, ready_since=None)
        events = [] if s.state == "stopped" else [_ev("stopped")]
        return Transition(new, [CANCEL_RESTART], events)
    if isinstance(inp, StopDone):
        if s.state == "stopped":
            return Transition(s)
        return Transition(replace(s, state="stopped", ready_since=None), events=[_ev("stopped")])
    raise TypeError(f"unknown input {inp!r}")


def _ready(s: SvcState, policy: Policy, now: float) -> Transition:
    state = "healthy" if policy.has_health else "running"
    new = replace(s, state=state, ever_ready=True, ready_since=now, probe_failures=0, probe_successes=0)
    return Transition(new, events=[_ev("ready")])


def _probe(s: SvcState, inp: Probe, policy: Policy, now: float) -> Transition:
    """Thresholds: `success_threshold` passes in a row → ready (or recovered);
    `failure_threshold` failures in a row after ready → unhealthy, and with
    `restart_on_unhealthy` killed, so that its exit restarts it (backoff and `max_restarts` apply)."""
    live = s.state in ("starting", "healthy", "unhealthy")
    if not live or s.stop_requested or s.unhealthy_kill:
        return Transition(s)
    if inp.ok:
        if s.state == "healthy":
            return Transition(replace(s, probe_failures=0) if s.probe_failures else s)
        successes = s.probe_successes + 1
        if successes < policy.success_threshold:
            return Transition(replace(s, probe_successes=successes))
        if s.state == "starting":
            return _ready(s, policy, now)
        new = replace(s, state="healthy", probe_failures=0, probe_successes=0, ready_since=now)
        return Transition(new, events=[_ev("recovered")])
    if s.state != "healthy":
        # Starting or unhealthy: a failure only breaks a run of passes. (Unchanged state means
        # no state-file write: a starting service is probed every 25 ms.)
        return Transition(replace(s, probe_successes=0) if s.probe_successes else s)
    failures = s.probe_failures + 1
    if failures < policy.failure_threshold:
        return Transition(replace(s, probe_failures=failures))
    error = inp.error or "probe failed"
    new = replace(s, state="unhealthy", probe_failures=failures, probe_successes=0, ready_since=None)
    if not policy.restart_on_unhealthy:
        return Transition(new, events=[_ev("unhealthy", error=error)])
    restarts = s.restarts
    if s.ready_since is not None and now - s.ready_since >= RESET_AFTER_S:
        restarts = 0  # a long healthy spell forgives earlier restarts, as after a crash
    new = replace(new, unhealthy_kill=True, restarts=restarts, error=f"unhealthy: {error}")
    return Transition(new, [KILL], [_ev("unhealthy", error=error, restart=True)])


def _exit_reason(inp: Exited) -> str:
    if inp.signal:
        return f"killed by {inp.signal}"
    return f"exited with code {inp.code}"


def _after_exit(
    s: SvcState, policy: Policy, now: float, event: dict[str, Any], reason: str, *, clean: bool = False
) -> Transition:
    """An unrequested exit (or failed spawn): restart with backoff, finish, or give up."""
    events = [event]
    if not s.ever_ready:
        # Never became ready: a start-up failure. `up` reports it; no restart loop.
        return Transition(_done(s, "failed", reason), [CLEANUP_GROUP], events)
    restarts = s.restarts
    if s.ready_since is not None and now - s.ready_since >= RESET_AFTER_S:
        restarts = 0  # a long healthy spell forgives earlier crashes
    # An unhealthy service killed under `restart_on_unhealthy` is restarted whatever `restart` says:
    # the user asked for exactly that.
    wants = s.unhealthy_kill or policy.restart == "always" or (policy.restart == "on-failure" and not clean)
    if not wants:
        return Transition(_done(s, "exited" if clean else "failed", "" if clean else reason),
                       [CLEANUP_GROUP], events)
    if restarts >= policy.max_restarts:
        msg = f"gave up after {restarts} restarts: {reason}"
        events.append(_ev("gave_up", attempts=restarts, error=reason))
        return Transition(_done(s, "failed", msg, restarts), [CLEANUP_GROUP], events)
    attempt = restarts + 1
    delay = backoff_delay(attempt)
    new = replace(
        s, state="backoff", restarts=attempt, total_restarts=s.total_restarts + 1,
        ready_since=None, probe_failures=0, probe_successes=0, unhealthy_kill=False, error=reason,
    )
    events.append(_ev("restarting", attempt=attempt, delay_s=delay))
    return Transition(new, [CLEANUP_GROUP, Action("schedule_restart", delay)], events)


def _done(s: SvcState, state: str, error: str, restarts: int | None = None) -> SvcState:
    return replace(
        s, state=state, error=error, ready_since=None, probe_failures=0, probe_successes=0,
        unhealthy_kill=False, restarts=s.restarts if restarts is None else restarts,
    )
