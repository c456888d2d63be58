"""The states a service can be in, and the named sets of them: declared here and nowhere else.

Every module that asks "is it up?", "is it ready?", "may it have a process?" or "is it done?"
imports the set from here (the state machine in `states.py` too). A module of its own, plain
constants only, because `devctl status` needs the sets on every call and the state machine's
dataclasses cost it ~12 ms to import.
"""

from __future__ import annotations

#: States a service shows in `status`. `waiting` = planned, its dependencies are not ready yet;
#: `stopping` is transient (stop signal sent, group not empty yet).
STATES = (
    "waiting", "starting", "running", "healthy", "unhealthy",
    "backoff", "stopping", "exited", "failed", "stopped",
)
#: The process is up and fully usable: `up` is done, and `status` exits 0, only when every
#: service is in one of these.
UP_STATES = frozenset({"running", "healthy"})
#: Ready: the process came up (a probe may have failed since). Dependents may start, and `up`
#: stops waiting for the service.
READY_STATES = frozenset({"running", "healthy", "unhealthy"})
#: A process (may) exist and must be stopped.
LIVE_STATES = frozenset({"starting", "running", "healthy", "unhealthy", "stopping"})
#: The supervisor runs a process for the service or is about to start one (waiting on its
#: dependencies, or in restart backoff): a supervisor that died in one of these may have left it.
ACTIVE_STATES = LIVE_STATES | frozenset({"waiting", "backoff"})
#: Nothing will happen without a command (start/restart).
FINAL_STATES = frozenset({"exited", "failed", "stopped"})
#: A `start`/`restart` request is settled: ready, or ended for a reason shown.
SETTLED_STATES = READY_STATES | FINAL_STATES
