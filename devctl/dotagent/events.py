"""The dotagent event names: the one list every part of devctl takes them from.

A notifier or sink subscribes to events by name (`events = [...]` in a manifest, `events:` in
`.devctl.yaml`); the manifest reader, the config schema, `doctor`, the supervisor bridge and
`dotagent invoke --help` all need the same list, so it is declared here and nowhere else.
Pure and stdlib-only: the config schema imports it.
"""

from __future__ import annotations

from typing import Any

ATTEMPT_FAILED = "attempt_failed"
TIMED_OUT = "timed_out"
GIVEN_UP = "given_up"
RECOVERED = "recovered"
SUCCESS = "success"
#: Events a notifier or sink can subscribe to, in the spec's order.
NOTIFY_EVENTS = (ATTEMPT_FAILED, TIMED_OUT, GIVEN_UP, RECOVERED, SUCCESS)
#: The event an `invoke` of a preflight carries; only ever sent to preflights, never subscribed to.
PREFLIGHT_EVENT = "preflight"
#: Every event an `invoke` may carry (the spec's list).
INVOKE_EVENTS = (*NOTIFY_EVENTS, PREFLIGHT_EVENT)
#: Events an agent manifest's `events = [...]` may name: all of them, as upstream dotagent
#: fires a failed preflight to `[[on_failure]]` and `[[notifiers]]` too.
MANIFEST_EVENTS = INVOKE_EVENTS
#: What an `[[on_failure]]` with no `events` gets: every event upstream sends through its
#: failure hooks (a preflight that blocked the job, each failed or timed-out attempt, the
#: give-up, and the recovery after failures).
FAILURE_EVENTS = (PREFLIGHT_EVENT, ATTEMPT_FAILED, TIMED_OUT, GIVEN_UP, RECOVERED)


def check_events(events: Any, *, allowed: tuple[str, ...] = NOTIFY_EVENTS) -> list[str]:
    """Problems with an `events` filter list (pure; used by manifests and `.devctl.yaml`)."""
    if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
        return ["must be a list of event names"]
    unknown = [e for e in events if e not in allowed]
    return [f"unknown event(s) {unknown}; allowed: {list(allowed)}"] if unknown else []
