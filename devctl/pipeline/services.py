"""One service from a launch plan, checked and normalized so the supervisor never guesses.

A plugin's `launch.plan` output is untrusted input. `normalize_service` either returns a dict
with every key present (defaults filled in, `cwd` absolute) or raises a ConfigError naming the
plugin and the service. devctl's extensions to the spec's service fields — `depends_on`,
`restart`, `max_restarts`, `stop_signal`, `stop_timeout_ms` — are checked here too.

The checked shape is `ServiceSpec` (a TypedDict, defined here and nowhere else): the plan stays
plain JSON-able data — it goes through the exec-mode plan file, `--json` output and the state
file unchanged — while a type checker sees every key the supervisor reads.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Literal, TypedDict, cast
from urllib.parse import urlsplit

from devctl.errors import ConfigError
from devctl.pipeline import log_spec, service_options
from devctl.pipeline.health_spec import DEFAULT_HEALTH_TIMEOUT_MS, HealthCheck, normalize_health
from devctl.statedir import check_name

#: A service's `restart` policy (the values of RESTART_POLICIES).
RestartPolicy = Literal["no", "on-failure", "always"]

DEFAULT_RESTART = "on-failure"
RESTART_POLICIES: tuple[RestartPolicy, ...] = ("no", "on-failure", "always")
DEFAULT_MAX_RESTARTS = 5
DEFAULT_STOP_SIGNAL = "SIGTERM"
DEFAULT_STOP_TIMEOUT_MS = 10_000


class ServiceSpec(TypedDict):
    """One service after `normalize_service`: every key present, defaults filled in.

    This is what the supervisor runs (`devctl.supervisor.plan`, `runtime`, `spawn`, `health`)
    and what `devctl plan --json` prints; see docs/dev/contracts.md.
    """

    name: str
    command: list[str]  # an argv, non-empty, no shell
    cwd: str  # absolute
    env: dict[str, str]  # laid over the supervisor's environment
    health: HealthCheck | None
    depends_on: list[str]  # names of other planned services
    restart: RestartPolicy
    max_restarts: int
    stop_signal: str  # "SIGTERM" form, a real signal name
    stop_timeout_ms: int
    plugin: str  # id of the plugin that planned it ("plan" when built without one)
    user: str | None  # run as this user (devctl as root; see pipeline/service_options.py)
    logs: log_spec.LogOptions | None  # None: plain `cmd > file` logs (pipeline/log_spec.py)
    watch: log_spec.WatchSpec | None  # None: no file watching


class _Bad(Exception):
    """A problem with one field; turned into a ConfigError naming plugin and service."""


def normalize_service(raw: object, plugin: str, repo_root: Path, *, index: int = 0) -> ServiceSpec:
    """The checked, fully-populated form of one planned service (see docs/dev/contracts.md)."""
    if not isinstance(raw, dict):
        raise ConfigError(f"plugin {plugin!r}: launch.plan services[{index}]: expected an object, "
                          f"got {type(raw).__name__}")
    name = raw.get("name")
    if name is None:
        raise ConfigError(f"plugin {plugin!r}: launch.plan services[{index}]: 'name' is required")
    try:
        check_name(name, what="service name")
        return {
            "name": name,
            "command": _command(raw.get("command")),
            "cwd": _cwd(raw.get("cwd"), repo_root),
            # env_file is read now, the plan's env over it (pipeline/service_options.py).
            "env": {**service_options.env_files(raw.get("env_file"), repo_root), **_env(raw.get("env"))},
            "health": normalize_health(raw.get("health"), _health),  # knobs, exec: health_spec
            "depends_on": _depends_on(raw.get("depends_on")),
            "restart": cast(RestartPolicy, _choice(raw.get("restart", DEFAULT_RESTART), "restart",
                                                   RESTART_POLICIES)),
            "max_restarts": _int(raw.get("max_restarts", DEFAULT_MAX_RESTARTS), "max_restarts", minimum=0),
            "stop_signal": _signal(raw.get("stop_signal", DEFAULT_STOP_SIGNAL)),
            "stop_timeout_ms": _int(raw.get("stop_timeout_ms", DEFAULT_STOP_TIMEOUT_MS), "stop_timeout_ms",
                                    minimum=1),
            "plugin": plugin,
            "user": service_options.user(raw.get("user")),
            **log_spec.extras(raw),
        }
    except (_Bad, ConfigError) as exc:
        message = exc.message if isinstance(exc, ConfigError) else str(exc)
        raise ConfigError(f"plugin {plugin!r}: service {name!r}: {message}") from None


def _command(value: object) -> list[str]:
    if not isinstance(value, list) or not value:
        raise _Bad(f"'command' must be a non-empty list of strings (an argv), got {value!r}")
    if not all(isinstance(arg, str) for arg in value):
        raise _Bad(f"'command' must contain only strings, got {value!r}")
    if not value[0]:
        raise _Bad("'command[0]' (the program) must not be empty")
    return list(value)


def _cwd(value: object, repo_root: Path) -> str:
    if value is None or value == "":
        return str(repo_root)
    if not isinstance(value, str):
        raise _Bad(f"'cwd' must be a string, got {value!r}")
    return os.path.normpath(os.path.join(repo_root, os.path.expanduser(value)))


def _env(value: object) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _Bad(f"'env' must be an object of strings, got {type(value).__name__}")
    for key, item in value.items():
        if not isinstance(item, str):
            raise _Bad(f"env[{key!r}] must be a string, got {item!r} (quote it in the plan)")
        if not key or "=" in key or "\0" in key:
            raise _Bad(f"env: invalid variable name {key!r}")
    return dict(value)


def _health(value: object) -> dict[str, object] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _Bad(f"'health' must be an object, got {type(value).__name__}")
    kind = value.get("type")
    timeout_ms = _int(value.get("timeout_ms", DEFAULT_HEALTH_TIMEOUT_MS), "health.timeout_ms", minimum=1)
    if kind == "tcp":
        address = value.get("address")
        if not isinstance(address, str) or not _host_port(address):
            raise _Bad(f"health.address must be 'host:port' for a tcp check, got {address!r}")
        return {"type": "tcp", "address": address, "timeout_ms": timeout_ms}
    if kind == "http":
        url = value.get("url")
        if not isinstance(url, str) or not _web_url(url):
            raise _Bad(f"health.url must be an http:// or https:// URL for an http check, got {url!r}")
        return {"type": "http", "url": url, "timeout_ms": timeout_ms}
    raise _Bad(f"health.type must be 'tcp' or 'http', got {kind!r}")


def _host_port(address: str) -> bool:
    host, sep, port = address.rpartition(":")
    # isdigit() alone lets "²" through, which int() refuses: ASCII digits only.
    return bool(sep and host and port.isascii() and port.isdigit() and 0 < int(port) < 65536)


def _web_url(url: str) -> bool:
    """An http(s) URL with a host. urlsplit raises ValueError on some malformed URLs
    (`http://[::1`): those are a bad plan, not a crash."""
    try:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        return False


def _depends_on(value: object) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _Bad(f"'depends_on' must be a list of service names, got {value!r}")
    return [check_name(item, what="service name in depends_on") for item in value]


def _choice(value: object, key: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise _Bad(f"{key!r} must be one of {', '.join(allowed)}, got {value!r}")
    return str(value)


def _int(value: object, key: str, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Bad(f"{key!r} must be an integer, got {value!r}")
    if value < minimum:
        raise _Bad(f"{key!r} must be at least {minimum}, got {value}")
    return value


def _signal(value: object) -> str:
    """A real signal name, normalized to the `SIGxxx` form (`TERM` and `sigterm` are accepted)."""
    if not isinstance(value, str):
        raise _Bad(f"'stop_signal' must be a signal name such as SIGTERM, got {value!r}")
    name = value.upper()
    if not name.startswith("SIG"):
        name = "SIG" + name
    if name not in signal.Signals.__members__:
        raise _Bad(f"'stop_signal' must be a signal name such as SIGTERM or SIGINT, got {value!r}")
    return name


def check_dependencies(services: list[ServiceSpec]) -> None:
    """Every `depends_on` names a planned service, and there is no cycle."""
    by_name = {s["name"]: s for s in services}
    for service in services:
        for dep in service["depends_on"]:
            if dep not in by_name:
                raise ConfigError(f"plugin {service['plugin']!r}: service {service['name']!r}: depends on "
                                  f"{dep!r}, which no plugin planned")
    start_order(services)



def start_order(services: list[ServiceSpec]) -> list[str]:
    """Names in an order where every service comes after its dependencies (plan order breaks
    ties). A cycle is a ConfigError that spells the cycle out."""
    deps = {s["name"]: list(s["depends_on"]) for s in services}
    order: list[str] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(name: str, trail: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            cycle = " -> ".join([*trail[trail.index(name):], name])
            raise ConfigError(f"services depend on each other in a cycle: {cycle}")
        state[name] = 1
        for dep in deps[name]:
            visit(dep, [*trail, name])
        state[name] = 2
        order.append(name)

    for service in services:
        visit(service["name"], [])
    return order
