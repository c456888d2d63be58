from pathlib import Path
from typing import get_args

import pytest

from devctl.errors import ConfigError
from devctl.pipeline.services import (
    RESTART_POLICIES,
    HealthCheck,
    RestartPolicy,
    ServiceSpec,
    check_dependencies,
    normalize_service,
)

ROOT = Path("/repo")


def norm(raw, plugin="plug"):
    return normalize_service(raw, plugin, ROOT)


def test_minimal_service_gets_every_default():
    assert norm({"name": "web", "command": ["make", "run"]}) == {
        "name": "web",
        "command": ["make", "run"],
        "cwd": "/repo",
        "env": {},
        "health": None,
        "depends_on": [],
        "restart": "on-failure",
        "max_restarts": 5,
        "stop_signal": "SIGTERM",
        "stop_timeout_ms": 10000,
        "plugin": "plug",
        "user": None,
        "logs": None,
        "watch": None,
    }


def test_the_typed_spec_matches_what_the_validator_returns():
    """ServiceSpec is the contract the supervisor is typed against: same keys, all required."""
    service = norm({"name": "a", "command": ["x"], "health": {"type": "tcp", "address": "h:1"}})
    assert set(service) == ServiceSpec.__required_keys__ and not ServiceSpec.__optional_keys__
    # (NotRequired is not visible at runtime under postponed annotations: compare the names only)
    assert set(service["health"]) <= set(HealthCheck.__annotations__)
    assert set(RESTART_POLICIES) == set(get_args(RestartPolicy))


def test_cwd_resolves_against_repo_root():
    assert norm({"name": "a", "command": ["x"], "cwd": "backend/../api"})["cwd"] == "/repo/api"
    assert norm({"name": "a", "command": ["x"], "cwd": "/abs/dir"})["cwd"] == "/abs/dir"


def test_health_defaults_timeout():
    tcp = norm({"name": "a", "command": ["x"], "health": {"type": "tcp", "address": "127.0.0.1:80"}})
    assert tcp["health"].items() >= {"type": "tcp", "address": "127.0.0.1:80", "timeout_ms": 30000}.items()
    http = norm({"name": "a", "command": ["x"],
                 "health": {"type": "http", "url": "http://127.0.0.1:1/h", "timeout_ms": 500}})
    assert http["health"].items() >= {"type": "http", "url": "http://127.0.0.1:1/h",
                                      "timeout_ms": 500}.items()


def test_stop_signal_short_names_are_normalized():
    assert norm({"name": "a", "command": ["x"], "stop_signal": "int"})["stop_signal"] == "SIGINT"


@pytest.mark.parametrize(
    "raw, fragment",
    [
        ({"name": "a"}, "'command' must be a non-empty list"),
        ({"name": "a", "command": []}, "'command' must be a non-empty list"),
        ({"name": "a", "command": "make run"}, "'command' must be a non-empty list"),
        ({"name": "a", "command": ["x", 1]}, "only strings"),
        ({"name": "a", "command": ["x"], "env": {"PORT": 8080}}, "env['PORT'] must be a string"),
        ({"name": "a", "command": ["x"], "health": {"type": "udp"}}, "health.type must be one of tcp, http"),
        ({"name": "a", "command": ["x"], "health": {"type": "tcp", "address": "nohost"}}, "host:port"),
        ({"name": "a", "command": ["x"], "health": {"type": "http", "url": "ftp://x"}}, "http:// or https://"),
        # malformed input the parsers raise ValueError on: a ConfigError, not a crash
        ({"name": "a", "command": ["x"], "health": {"type": "http", "url": "http://[::1"}}, "http:// or https://"),
        ({"name": "a", "command": ["x"], "health": {"type": "tcp", "address": "h:\u00b2"}}, "host:port"),
        ({"name": "a", "command": ["x"], "health": {"type": "tcp", "address": "h:1", "timeout_ms": "5"}},
         "timeout_ms' must be an integer"),
        ({"name": "a", "command": ["x"], "restart": "sometimes"}, "'restart' must be one of"),
        ({"name": "a", "command": ["x"], "max_restarts": -1}, "at least 0"),
        ({"name": "a", "command": ["x"], "stop_signal": "SIGNOPE"}, "signal name"),
        ({"name": "a", "command": ["x"], "depends_on": "db"}, "list of service names"),
        ({"name": "a", "command": ["x"], "cwd": 3}, "'cwd' must be a string"),
    ],
)
def test_bad_fields_name_plugin_and_service(raw, fragment):
    with pytest.raises(ConfigError) as info:
        norm(raw, plugin="planner")
    msg = info.value.message
    assert fragment in msg
    assert "plugin 'planner'" in msg and "service 'a'" in msg


def test_name_is_required_and_checked():
    with pytest.raises(ConfigError, match="'name' is required"):
        norm({"command": ["x"]})
    with pytest.raises(ConfigError, match="invalid service name"):
        norm({"name": "../etc", "command": ["x"]})


def test_dependencies_must_exist_and_not_cycle():
    a = norm({"name": "a", "command": ["x"], "depends_on": ["b"]})
    b = norm({"name": "b", "command": ["x"]})
    check_dependencies([a, b])
    with pytest.raises(ConfigError, match="no plugin planned"):
        check_dependencies([a])
    b_cyc = norm({"name": "b", "command": ["x"], "depends_on": ["a"]})
    with pytest.raises(ConfigError, match="cycle: a -> b -> a"):
        check_dependencies([a, b_cyc])
