"""`devctl.supervisor.plan_diff`: what `up` on a running environment recreates, starts, removes."""

from __future__ import annotations

from typing import Any

import pytest

from devctl.pipeline.services import ServiceSpec
from devctl.supervisor.plan_diff import changed_fields, diff_plans


def spec(name: str, *deps: str, **extra: Any) -> ServiceSpec:
    base: dict[str, Any] = {
        "name": name, "command": ["run", name], "cwd": "/repo", "env": {}, "health": None,
        "depends_on": list(deps), "restart": "on-failure", "max_restarts": 5,
        "stop_signal": "SIGTERM", "stop_timeout_ms": 10_000, "plugin": "p",
    }
    base.update(extra)
    return base  # type: ignore[return-value]


def actions(diff) -> dict[str, str]:
    return {c.service: c.action for c in diff.changes}


RUNNING = [spec("db"), spec("cache"), spec("api", "db", "cache"), spec("web", "api"), spec("worker", "db")]


def test_same_plan_changes_nothing_and_keeps_order():
    diff = diff_plans(RUNNING, [dict(s) for s in RUNNING])  # type: ignore[misc]
    assert set(actions(diff).values()) == {"unchanged"}
    assert diff.noop and diff.to_stop == [] and diff.to_start == []
    assert [s["name"] for s in diff.plan] == ["db", "cache", "api", "web", "worker"]


@pytest.mark.parametrize("key,value", [
    ("command", ["run", "other"]), ("cwd", "/elsewhere"), ("env", {"A": "1"}),
    ("health", {"type": "tcp", "address": "127.0.0.1:1", "timeout_ms": 1000}),
    ("restart", "always"), ("stop_signal", "SIGINT"), ("stop_timeout_ms", 1),
    ("user", "postgres"),  # a field this module never heard of counts as well
])
def test_any_field_change_recreates_the_service_and_its_dependents(key, value):
    new = [spec("db", **{key: value}), *RUNNING[1:]]
    diff = diff_plans(RUNNING, new)
    assert actions(diff) == {"db": "recreated", "cache": "unchanged", "api": "recreated",
                             "web": "recreated", "worker": "recreated"}
    by = {c.service: c for c in diff.changes}
    assert by["db"].changed == (key,)
    assert by["api"].because == ("db",) and by["web"].because == ("api",)
    assert diff.to_stop == ["db", "api", "web", "worker"]


def test_plugin_and_dependency_order_are_not_changes():
    new = [spec("db", plugin="other"), spec("cache"), spec("api", "cache", "db"), *RUNNING[3:]]
    assert diff_plans(RUNNING, new).noop


def test_a_leaf_change_touches_only_the_leaf():
    new = [*RUNNING[:3], spec("web", "api", env={"PORT": "1"}), RUNNING[4]]
    assert actions(diff_plans(RUNNING, new)) == {
        "db": "unchanged", "cache": "unchanged", "api": "unchanged", "web": "recreated",
        "worker": "unchanged"}


def test_new_services_start_and_missing_ones_are_removed():
    new = [spec("db"), spec("api", "db"), spec("queue"), spec("web", "api")]
    diff = diff_plans(RUNNING, new)
    # api lost its dependency on cache: a change of api, which carries web along.
    assert actions(diff) == {"db": "unchanged", "api": "recreated", "queue": "started",
                             "web": "recreated", "cache": "removed", "worker": "removed"}
    assert diff.changes[-2:][0].action == "removed"
    assert [s["name"] for s in diff.plan] == ["db", "api", "queue", "web"]
    assert diff.to_start == ["api", "queue", "web"]


def test_a_new_dependency_of_an_unchanged_service_is_a_change():
    new = [spec("db"), spec("cache", "db"), *RUNNING[2:]]
    assert actions(diff_plans(RUNNING, new))["cache"] == "recreated"


def test_force_recreates_everything_running():
    new = [*RUNNING, spec("extra")]
    diff = diff_plans(RUNNING, new, force=True)
    assert actions(diff) == {**dict.fromkeys(["db", "cache", "api", "web", "worker"], "recreated"),
                             "extra": "started"}
    assert all(c.changed == () for c in diff.changes)


def test_only_narrows_to_the_services_and_their_dependencies():
    new = [spec("db", env={"X": "1"}), spec("cache", env={"Y": "1"}), spec("api", "db", "cache"),
           spec("web", "api", env={"Z": "1"}), spec("worker", "db", env={"W": "1"})]
    diff = diff_plans(RUNNING, new, only=["api"])
    # api and its dependencies take the new plan; web and worker keep their running spec
    # (their own change is not applied), even though db, which worker needs, is recreated.
    assert actions(diff) == {"db": "recreated", "cache": "recreated", "api": "recreated",
                             "web": "unchanged", "worker": "unchanged"}
    plan = {s["name"]: s for s in diff.plan}
    assert plan["web"]["env"] == {} and plan["db"]["env"] == {"X": "1"}
    assert diff.scope == {"api", "db", "cache"}


def test_only_never_removes_and_starts_a_new_named_service():
    new = [spec("db"), spec("fresh", "db")]
    diff = diff_plans(RUNNING, new, only=["fresh"])
    assert actions(diff) == {"db": "unchanged", "cache": "unchanged", "api": "unchanged",
                             "fresh": "started", "web": "unchanged", "worker": "unchanged"}
    assert {s["name"] for s in diff.plan} == {"db", "cache", "api", "web", "worker", "fresh"}


def test_only_names_a_service_the_plan_lacks():
    with pytest.raises(KeyError, match="ghost"):
        diff_plans(RUNNING, RUNNING, only=["ghost"])


def test_changed_fields_sees_missing_keys():
    assert changed_fields({"a": 1, "plugin": "x"}, {"a": 1, "b": None, "plugin": "y"}) == ()
    assert changed_fields({"a": 1}, {"a": 1, "b": 2}) == ("b",)


def test_to_json_says_why():
    new = [spec("db", env={"A": "1"}), *RUNNING[1:]]
    rows = diff_plans(RUNNING, new).to_json()
    assert rows[0] == {"service": "db", "action": "recreated", "changed": ["env"]}
    assert {"service": "api", "action": "recreated", "because": ["db"]} in rows
