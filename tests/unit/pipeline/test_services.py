from pathlib import Path

import pytest

from devctl.errors import ConfigError
from devctl.pipeline.services import (
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
        ({"name": "a", "command": ["x"], "max_restarts": -1}, "from 0 to 1000000"),
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


# ---- issue 12: what the OS cannot take, numbers out of range, URLs a probe would crash on -------


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ({"name": "a", "command": ["x"], "env": {"A": "x\0y"}}, "env['A'] contains a NUL byte"),
        ({"name": "a", "command": ["x", "a\0b"]}, "command[1] contains a NUL byte"),
        ({"name": "a", "command": ["x\0"]}, "command[0] contains a NUL byte"),
        ({"name": "a", "command": ["x"], "cwd": "sub\0dir"}, "'cwd' contains a NUL byte"),
        ({"name": "a", "command": ["x"], "env": {"A": "\ud800"}}, "env['A'] is not valid text"),
        ({"name": "a", "command": ["x"], "env": {"\udc80\ud800": "v"}}, "env name is not valid text"),
        ({"name": "a", "command": ["x", "\udfff"]}, "command[1] is not valid text"),
        ({"name": "a", "command": ["x"], "env": {"A": "\udcff"}}, "env['A'] is not valid text"),
        ({"name": "a", "command": ["x"], "stop_timeout_ms": 10000000000000}, "from 1 to 3600000"),
        ({"name": "a", "command": ["x"], "stop_timeout_ms": 0}, "from 1 to 3600000"),
        ({"name": "a", "command": ["x"], "stop_timeout_ms": 1.5}, "must be an integer"),
        ({"name": "a", "command": ["x"], "max_restarts": 10**30}, "from 0 to 1000000"),
        ({"name": "a", "command": ["x"], "health": {"type": "tcp", "address": "h:1", "timeout_ms": 10**20}},
         "'health.timeout_ms' must be from 1 to 3600000"),
        ({"name": "a", "command": ["x"], "health": {"type": "http", "url": "http://[::1/"}}, "health.url"),
        ({"name": "a", "command": ["x"], "health": {"type": "http", "url": "http://h:99999/"}}, "health.url"),
        ({"name": "a", "command": ["x"], "health": {"type": "http", "url": "http://h:x/"}}, "health.url"),
        ({"name": "a", "command": ["x"], "health": {"type": "http", "url": "http://h /"}}, "health.url"),
        ({"name": "a", "command": ["x"], "health": {"type": "http", "url": "http://h/\0"}}, "health.url"),
        ({"name": "a", "command": ["x"], "cwd": "~"}, "'~' is not expanded"),
        ({"name": "a", "command": ["x"], "cwd": "~/src"}, "'~' is not expanded"),
        ({"name": "web\n", "command": ["x"]}, "invalid service name"),
        ({"name": "a", "command": ["x"], "depends_on": ["web\n"]}, "invalid service name in depends_on"),
    ],
)
def test_values_the_supervisor_could_not_run_are_refused_at_plan_time(raw, fragment):
    """Each of these passed `plan` before and then crashed the supervisor or `down` (issue 12,
    items 2, 9, 15, 16); now each is a ConfigError naming plugin, service and value."""
    with pytest.raises(ConfigError) as info:
        norm(raw, plugin="planner")
    assert fragment in info.value.message
    assert "plugin 'planner'" in info.value.message


def test_numbers_at_the_ends_of_their_ranges_are_accepted():
    svc = norm({"name": "a", "command": ["x"], "max_restarts": 1_000_000, "stop_timeout_ms": 3_600_000,
                "health": {"type": "http", "url": "http://[::1]:65535/h", "timeout_ms": 3_600_000}})
    assert (svc["max_restarts"], svc["stop_timeout_ms"]) == (1_000_000, 3_600_000)
    assert norm({"name": "a", "command": ["x"], "max_restarts": 0, "stop_timeout_ms": 1})["max_restarts"] == 0


def test_a_tilde_inside_a_path_is_kept_literally():
    """Only a leading `~` would look like a home directory; elsewhere it is an ordinary character."""
    assert norm({"name": "a", "command": ["x"], "cwd": "sub/~cache"})["cwd"] == "/repo/sub/~cache"
