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
from urllib.parse import urlsplit

from devctl.errors import ConfigError
from devctl.pipeline import log_spec, service_options
from devctl.pipeline.health_spec import (
    DEFAULT_HEALTH_TIMEOUT_MS,
    TIMEOUT_RANGE,
    HealthCheck,
    normalize_health,
)
from devctl.statedir import check_name

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: `up` loads this module (docs/performance.md, "T2")
if TYPE_CHECKING:
    from typing import Literal, TypedDict

    #: A service's `restart` policy (the values of RESTART_POLICIES).
    RestartPolicy = Literal["no", "on-failure", "always"]

DEFAULT_RESTART = "on-failure"
RESTART_POLICIES: tuple[RestartPolicy, ...] = ("no", "on-failure", "always")
DEFAULT_MAX_RESTARTS = 5
DEFAULT_STOP_SIGNAL = "SIGTERM"
DEFAULT_STOP_TIMEOUT_MS = 10_000

#: The documented range (inclusive) of every number in a plan (docs/supervisor.md, "Ranges"). A
#: bound keeps a typo like `stop_timeout_ms: 10000000000000` from passing here and then
#: overflowing a timer in the supervisor or in `down`. One hour of grace or of start-up time is
#: already far past anything a dev service needs.
NUMBER_RANGES: dict[str, tuple[int, int]] = {
    "max_restarts": (0, 1_000_000),  # "practically forever" fits; what no counter can reach does not
    "stop_timeout_ms": (1, 3_600_000),
    "health.timeout_ms": TIMEOUT_RANGE,  # every kind of check: one pair, in health_spec
}


if TYPE_CHECKING:
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
else:  # at run time a checked service is a plain dict
    ServiceSpec = dict

#: The keys of a ServiceSpec, in its order: what a declared service may set (pipeline/declared.py)
#: is read from here at run time, where ServiceSpec is a plain dict (a test keeps the two equal).
SERVICE_KEYS = ("name", "command", "cwd", "env", "health", "depends_on", "restart", "max_restarts",
                "stop_signal", "stop_timeout_ms", "plugin", "user", "logs", "watch")


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
            # env_file is read now, the plan's env over it (pipeline/service_options.py); the
            # merged result is checked again, so a NUL byte from a file is refused as from a plan.
            "env": _env({**service_options.env_files(raw.get("env_file"), repo_root),
                         **_env(raw.get("env"))}),
            "health": normalize_health(raw.get("health"), _health),  # knobs, exec: health_spec
            "depends_on": _depends_on(raw.get("depends_on")),
            "restart": _restart(raw.get("restart", DEFAULT_RESTART)),
            "max_restarts": _int(raw.get("max_restarts", DEFAULT_MAX_RESTARTS), "max_restarts"),
            "stop_signal": _signal(raw.get("stop_signal", DEFAULT_STOP_SIGNAL)),
            "stop_timeout_ms": _int(raw.get("stop_timeout_ms", DEFAULT_STOP_TIMEOUT_MS), "stop_timeout_ms"),
            "plugin": plugin,
            "user": service_options.user(raw.get("user")),
            **log_spec.extras(raw),
        }
    except (_Bad, ConfigError) as exc:
        message = exc.message if isinstance(exc, ConfigError) else str(exc)
        raise ConfigError(f"plugin {plugin!r}: service {name!r}: {message}") from None


def os_string(value: str, where: str) -> str:
    """`value` if the OS can take it as an argv item, env entry or path, else `_Bad`.

    Two things JSON allows and `exec` does not: a NUL byte (C strings end there; Popen raises
    ValueError) and a lone surrogate such as `"\\ud800"` (not encodable, not even with
    surrogateescape unless it came from undecodable bytes). Found here, they are a bad plan
    naming the service; found at spawn, they killed the supervisor.
    """
    if "\0" in value:
        raise _Bad(f"{where} contains a NUL byte, which no program can receive: {value!r}")
    try:
        # Strict UTF-8, not os.fsencode: "\\udcff" would pass surrogateescape, then fail every
        # UTF-8 writer after it (state.json, plan --json, the events file).
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise _Bad(f"{where} is not valid text (a lone surrogate): {value!r}") from None
    return value


def _command(value: object) -> list[str]:
    if not isinstance(value, list) or not value:
        raise _Bad(f"'command' must be a non-empty list of strings (an argv), got {value!r}")
    if not all(isinstance(arg, str) for arg in value):
        raise _Bad(f"'command' must contain only strings, got {value!r}")
    if not value[0]:
        raise _Bad("'command[0]' (the program) must not be empty")
    return [os_string(arg, f"command[{i}]") for i, arg in enumerate(value)]


def _cwd(value: object, repo_root: Path) -> str:
    """Absolute: relative paths are taken from the repo root. Nothing is expanded (no `~`, no
    `$VAR`: docs/security.md); a leading `~` is refused rather than read as a directory named
    `~` in the repo, which is never what was meant."""
    if value is None or value == "":
        return str(repo_root)
    if not isinstance(value, str):
        raise _Bad(f"'cwd' must be a string, got {value!r}")
    os_string(value, "'cwd'")
    if value.startswith("~"):
        raise _Bad(f"'cwd' {value!r}: '~' is not expanded; use a path relative to the repo root "
                   "or an absolute one")
    return os.path.normpath(os.path.join(repo_root, value))


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
        os_string(key, "an env name")
        os_string(item, f"env[{key!r}]")
    return dict(value)


def _health(value: object) -> dict[str, object] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _Bad(f"'health' must be an object, got {type(value).__name__}")
    kind = value.get("type")
    timeout_ms = _int(value.get("timeout_ms", DEFAULT_HEALTH_TIMEOUT_MS), "health.timeout_ms")
    if kind == "tcp":
        address = value.get("address")
        if not isinstance(address, str) or not _host_port(address):
            raise _Bad(f"health.address must be 'host:port' for a tcp check, got {address!r}")
        return {"type": "tcp", "address": address, "timeout_ms": timeout_ms}
    if kind == "http":
        url = check_web_url(value.get("url"), "health.url")
        return {"type": "http", "url": url, "timeout_ms": timeout_ms}
    raise _Bad(f"health.type must be 'tcp' or 'http', got {kind!r}")


def _host_port(address: str) -> bool:
    host, sep, port = address.rpartition(":")
    # isdigit() alone lets "²" through, which int() refuses: ASCII digits only.
    return bool(sep and host and port.isascii() and port.isdigit() and 0 < int(port) < 65536)


def check_web_url(url: object, key: str) -> str:
    """`url` if it is an http(s) URL a probe can connect to, else `_Bad` naming `key`.

    One helper for every URL in a plan (health checks now, more later): checked at plan time,
    so a probe never meets a URL that `urlsplit` or `.port` raises on (`http://[::1/`,
    `http://h:99999/`), nor one with whitespace or control characters an HTTP client refuses.
    """
    problem = f"{key} must be an http:// or https:// URL with a host"
    if not isinstance(url, str):
        raise _Bad(f"{problem}, got {url!r}")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise _Bad(f"{problem} (no spaces or control characters), got {url!r}")
    try:
        os_string(url, key)
        parts = urlsplit(url)
        port = parts.port  # raises ValueError when out of range or not a number
        ok = parts.scheme in ("http", "https") and bool(parts.hostname) and port != 0
    except (ValueError, _Bad):
        ok = False
    if not ok:
        raise _Bad(f"{problem}, got {url!r}")
    return url


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


def _restart(value: object) -> RestartPolicy:
    """One of RESTART_POLICIES (typed as the policy itself, without `typing.cast`)."""
    chosen = _choice(value, "restart", RESTART_POLICIES)
    return next(policy for policy in RESTART_POLICIES if policy == chosen)


def _int(value: object, key: str) -> int:
    """An integer within `NUMBER_RANGES[key]` (floats, even `5.0`, and booleans are refused)."""
    low, high = NUMBER_RANGES[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Bad(f"{key!r} must be an integer from {low} to {high}, got {value!r}")
    if not low <= value <= high:
        raise _Bad(f"{key!r} must be from {low} to {high}, got {value}")
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
