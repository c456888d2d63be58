"""The health check of a planned service: kinds, knobs, defaults and plan-time errors."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest

from devctl.errors import ConfigError
from devctl.pipeline.health_spec import (
    COMMON_KEYS,
    KIND_KEYS,
    RANGES,
    TIMEOUT_RANGE,
    health_schema,
    target_text,
)
from devctl.pipeline.services import normalize_service


def health(**fields):
    """The checked health of a service planned with these health fields."""
    raw = {"name": "db", "command": ["x"], "health": fields}
    return normalize_service(raw, "plug", Path("/repo"))["health"]


def error(**fields) -> str:
    with pytest.raises(ConfigError) as info:
        health(**fields)
    return info.value.message


def test_defaults_keep_todays_behaviour_for_every_kind():
    knobs = {"timeout_ms": 30000, "period_ms": 2000, "initial_delay_ms": 0, "failure_threshold": 3,
             "success_threshold": 1, "restart_on_unhealthy": False}
    assert health(type="tcp", address="127.0.0.1:5432") == {
        "type": "tcp", "address": "127.0.0.1:5432", "probe_timeout_ms": 200, **knobs}
    assert health(type="http", url="http://127.0.0.1:8080/h") == {
        "type": "http", "url": "http://127.0.0.1:8080/h", "probe_timeout_ms": 500,
        "status": [200, 399], "headers": {}, **knobs}
    assert health(type="exec", command=["pg_isready", "-q"]) == {
        "type": "exec", "command": ["pg_isready", "-q"], "probe_timeout_ms": 1000, **knobs}


def test_every_knob_is_taken_as_given():
    got = health(type="exec", command=["redis-cli", "ping"], timeout_ms=60000, period_ms=500,
                 probe_timeout_ms=3000, initial_delay_ms=250, failure_threshold=5, success_threshold=2,
                 restart_on_unhealthy=True)
    assert {k: got[k] for k in RANGES} == {"period_ms": 500, "probe_timeout_ms": 3000,
                                           "initial_delay_ms": 250, "failure_threshold": 5,
                                           "success_threshold": 2}
    assert got["timeout_ms"] == 60000 and got["restart_on_unhealthy"] is True
    http = health(type="http", url="https://h/x", status=[200, 204], headers={"Host": "api.local"})
    assert http["status"] == [200, 204] and http["headers"] == {"Host": "api.local"}


@pytest.mark.parametrize("key", list(RANGES))
def test_each_knob_outside_its_documented_range_is_refused_with_the_range(key):
    low, high = RANGES[key]
    for bad in (low - 1, high + 1):
        if key == "initial_delay_ms" and bad > low:
            bad_fields = {key: bad, "timeout_ms": TIMEOUT_RANGE[1]}  # keep the cross-field rule out of it
        else:
            bad_fields = {key: bad}
        msg = error(type="tcp", address="h:1", **bad_fields)
        assert msg == f"plugin 'plug': service 'db': health.{key} must be {low} to {high}, got {bad}"
    for wrong in ("5", 1.5, True, None):
        assert f"health.{key} must be a whole number ({low} to {high}), got {wrong!r}" in error(
            type="tcp", address="h:1", **{key: wrong})


@pytest.mark.parametrize(("fields", "fragment"), [
    ({"type": "udp"}, "health.type must be one of tcp, http, exec, got 'udp'"),
    ({"type": "exec"}, "health.command must be a non-empty list of strings (an argv, run without a shell)"),
    ({"type": "exec", "command": "pg_isready -q"}, "health.command must be a non-empty list"),
    ({"type": "exec", "command": ["pg_isready", 5]}, "health.command must be a non-empty list"),
    ({"type": "exec", "command": [""]}, "health.command[0] (the program) must not be empty"),
    ({"type": "exec", "command": ["x"], "timeout_ms": 0}, "health.timeout_ms must be 1 to 3600000, got 0"),
    ({"type": "tcp", "address": "h:1", "initial_delay_ms": 30000},
     "health.initial_delay_ms (30000) must be less than health.timeout_ms (30000)"),
    ({"type": "tcp", "address": "h:1", "restart_on_unhealthy": "yes"},
     "health.restart_on_unhealthy must be true or false, got 'yes'"),
    ({"type": "tcp", "address": "h:1", "status": [200, 299]},
     "health.status applies only to an http check, not to tcp"),
    ({"type": "http", "url": "http://h/", "command": ["x"]}, "health.command applies only to an exec check"),
    ({"type": "exec", "command": ["x"], "address": "h:1"}, "health.address applies only to a tcp check"),
    ({"type": "http", "url": "http://h/", "status": 200}, "health.status must be [lowest, highest], whole "
                                                        "numbers from 100 to 599, e.g. [200, 399], got 200"),
    ({"type": "http", "url": "http://h/", "status": [399, 200]}, "(lowest first), got [399, 200]"),
    ({"type": "http", "url": "http://h/", "status": [200, 600]}, "(lowest first), got [200, 600]"),
    ({"type": "http", "url": "http://h/", "status": [200, True]}, "health.status must be [lowest, highest]"),
    ({"type": "http", "url": "http://h/", "headers": ["Host: x"]}, "health.headers must be an object"),
    ({"type": "http", "url": "http://h/", "headers": {"Bad Name": "x"}},
     "'Bad Name' is not a valid HTTP header"),
    ({"type": "http", "url": "http://h/", "headers": {"X-A": "a\r\nX-B: b"}}, "must be text on one line"),
    ({"type": "http", "url": "http://h/", "headers": {"X-A": 1}}, "health.headers['X-A'] must be text"),
])
def test_bad_health_is_one_clear_message_naming_plugin_service_and_field(fields, fragment):
    msg = error(**fields)
    assert msg.startswith("plugin 'plug': service 'db': health.")
    assert fragment in msg


def test_a_near_miss_of_a_field_name_is_refused_and_other_keys_are_left_alone():
    assert error(type="tcp", address="h:1", restart_on_unhealty=True) == (
        "plugin 'plug': service 'db': health.restart_on_unhealty: unknown field "
        "(did you mean 'restart_on_unhealthy'?)")
    assert "did you mean 'period_ms'" in error(type="tcp", address="h:1", perod_ms=100)
    assert "did you mean 'failure_threshold'" in error(type="tcp", address="h:1", failure_treshold=1)
    # Not ours at all (another host's extension): ignored, as protocol v1 asks.
    assert "interval" not in health(type="tcp", address="h:1", interval="5s", x_vendor=1)


def test_the_checked_shape_is_the_typed_one():
    keys = set(COMMON_KEYS).union(*KIND_KEYS.values())  # = HealthCheck's (tests/unit/test_runtime_shapes.py)
    for fields in ({"type": "tcp", "address": "h:1"}, {"type": "http", "url": "http://h/"},
                   {"type": "exec", "command": ["x"]}):
        got = health(**fields)
        assert set(got) <= keys
        assert set(got) == set(COMMON_KEYS) | set(KIND_KEYS[fields["type"]])


def test_target_text_is_what_a_person_reads():
    assert target_text(health(type="exec", command=["pg_isready", "-h", "a b"])) == "pg_isready -h 'a b'"
    assert target_text(health(type="tcp", address="h:1")) == "h:1"
    assert target_text(health(type="http", url="http://h/x")) == "http://h/x"


def test_the_schema_accepts_what_the_checker_accepts_and_names_every_key():
    validator = jsonschema.Draft7Validator(health_schema())
    assert set(health_schema()["properties"]) == set(COMMON_KEYS).union(*KIND_KEYS.values())
    good = {"type": "http", "url": "http://h/", "status": [200, 204], "headers": {"A": "b"},
            "period_ms": 100, "success_threshold": 2, "restart_on_unhealthy": True}
    health(**good)
    assert list(validator.iter_errors(good)) == []
    for bad in ({"type": "exec", "command": []}, {"type": "tcp", "period_ms": 5},
                {"type": "tcp", "failure_threshold": 0}, {"type": "ftp"},
                {"type": "http", "status": [99, 200]}):
        assert list(validator.iter_errors(bad)), bad
