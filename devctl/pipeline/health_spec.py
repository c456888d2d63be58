"""A service's `health` check, checked and filled in: the probe kinds and the probe knobs.

Three kinds, as process-compose and Kubernetes users know them: `tcp` (connect to `address`),
`http` (GET `url`, ready on an expected status range, optional headers) and `exec` (run a
command, ready on exit 0 — `pg_isready`, `redis-cli ping` — never through a shell). Every kind
takes the same knobs: `period_ms`, `probe_timeout_ms`, `initial_delay_ms`, `failure_threshold`,
`success_threshold`, `restart_on_unhealthy`.

Why `probe_timeout_ms` and not Kubernetes' `timeoutSeconds` name: protocol v1 already gives
`health.timeout_ms` a meaning — how long a starting service may take to become ready — and
plugins written for it must keep working. So `timeout_ms` keeps that meaning and the per-probe
deadline has its own name.

Every value is checked here, at plan time, with a message that names the field and its
documented range (`normalize_service` adds the plugin and the service). The type-specific
basics of tcp and http (`address`, `url`, `timeout_ms`) stay in `devctl.pipeline.services`;
this module handles `exec` itself and adds the knobs on top. Pure; standard library only.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from devctl.errors import ConfigError

# Not `typing.TYPE_CHECKING`: `up` loads this module, and `typing` with a TypedDict class built
# from it is ~10 ms of the CLI's CPU on the way to the first spawn (docs/performance.md, "T2").
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Literal, NotRequired, TypedDict

    HealthType = Literal["tcp", "http", "exec"]

HEALTH_TYPES: tuple[HealthType, ...] = ("tcp", "http", "exec")

#: `timeout_ms`: how long a starting service may take to become ready (protocol v1).
DEFAULT_HEALTH_TIMEOUT_MS = 30_000
#: Gap between probes once the service is ready.
DEFAULT_PERIOD_MS = 2_000
#: Hard deadline of one probe, per kind (tcp and http: the Go devctl's; exec: Kubernetes').
DEFAULT_PROBE_TIMEOUT_MS: dict[str, int] = {"tcp": 200, "http": 500, "exec": 1_000}
DEFAULT_INITIAL_DELAY_MS = 0
#: Consecutive failed probes, after ready, that make a service `unhealthy`.
DEFAULT_FAILURE_THRESHOLD = 3
#: Consecutive passing probes that make a starting service ready (and an unhealthy one healthy).
DEFAULT_SUCCESS_THRESHOLD = 1
#: HTTP statuses that pass, inclusive: 2xx and 3xx (redirects are not followed).
DEFAULT_STATUS = (200, 399)

#: How long a starting service may take to become ready (`health.timeout_ms`), inclusive, for
#: every kind of check: one hour is already far past what a dev service needs, and a bound keeps a
#: typo from overflowing a timer (pipeline/services.py NUMBER_RANGES holds the same pair).
TIMEOUT_RANGE = (1, 3_600_000)
#: The documented range of every numeric knob, inclusive (docs/supervisor.md, `devctl schema`).
RANGES: dict[str, tuple[int, int]] = {
    "period_ms": (10, 3_600_000),
    "probe_timeout_ms": (1, 600_000),
    "initial_delay_ms": (0, 3_600_000),
    "failure_threshold": (1, 1_000),
    "success_threshold": (1, 1_000),
}
STATUS_RANGE = (100, 599)
#: Keys every kind takes, and the keys only one kind takes.
COMMON_KEYS = ("type", "timeout_ms", *RANGES, "restart_on_unhealthy")
KIND_KEYS: dict[str, tuple[str, ...]] = {"tcp": ("address",), "http": ("url", "status", "headers"),
                                         "exec": ("command",)}

_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # an HTTP header name (RFC 9110 token)


if TYPE_CHECKING:
    class HealthCheck(TypedDict):
        """A checked health check, every knob present. `address` for tcp; `url`, `status` and
        `headers` for http; `command` for exec.

        One TypedDict with the kind-specific keys optional, rather than a union of three: callers
        read it with `.get()` whatever the type, and a union would make them narrow first.
        """

        type: HealthType
        timeout_ms: int  # ready within this long after the start, or the start failed
        period_ms: int
        probe_timeout_ms: int
        initial_delay_ms: int
        failure_threshold: int
        success_threshold: int
        restart_on_unhealthy: bool
        address: NotRequired[str]  # tcp only
        url: NotRequired[str]  # http only
        status: NotRequired[list[int]]  # http only: [lowest, highest] passing status, inclusive
        headers: NotRequired[dict[str, str]]  # http only
        command: NotRequired[list[str]]  # exec only: an argv, no shell
else:  # at run time a checked health check is a plain dict
    HealthCheck = dict


class _Bad(ConfigError):
    """One bad field. `normalize_service` prefixes the plugin and the service."""


Basics = Callable[[object], "Mapping[str, Any] | None"]


def normalize_health(value: object, basics: Basics) -> HealthCheck | None:
    """The checked `health` of a service, or None when it has none.

    `basics` is the tcp/http check of `devctl.pipeline.services` (type, address/url,
    timeout_ms); it is passed in, not imported, so the two modules do not import each other.
    """
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _Bad(f"'health' must be an object, got {type(value).__name__}")
    kind = value.get("type")
    if kind not in HEALTH_TYPES:
        raise _Bad(f"health.type must be one of {', '.join(HEALTH_TYPES)}, got {kind!r}")
    _typos(value)
    for key in value:
        for other, keys in KIND_KEYS.items():
            if key in keys and other != kind:
                article = "an" if other[0] in "aeiouh" else "a"
                raise _Bad(f"health.{key} applies only to {article} {other} check, not to {kind}")
    if kind == "exec":
        base: dict[str, Any] = {"type": "exec", "command": _command(value.get("command")),
                                "timeout_ms": _number(value, "timeout_ms", DEFAULT_HEALTH_TIMEOUT_MS,
                                                      TIMEOUT_RANGE)}
    else:
        base = dict(basics(value) or {})
    knobs = {key: _number(value, key, _default(key, kind), bounds) for key, bounds in RANGES.items()}
    if knobs["initial_delay_ms"] >= base["timeout_ms"]:
        raise _Bad(f"health.initial_delay_ms ({knobs['initial_delay_ms']}) must be less than "
                   f"health.timeout_ms ({base['timeout_ms']}), the time the service has to become ready")
    restart = value.get("restart_on_unhealthy", False)
    if not isinstance(restart, bool):
        raise _Bad(f"health.restart_on_unhealthy must be true or false, got {restart!r}")
    check: dict[str, Any] = {**base, **knobs, "restart_on_unhealthy": restart}
    if kind == "http":
        check["status"] = _status(value.get("status", list(DEFAULT_STATUS)))
        check["headers"] = _headers(value.get("headers"))
    return check  # type: ignore[return-value]  # every key of HealthCheck is set above


def _typos(value: dict[str, Any]) -> None:
    """A key that is almost one of ours (`perod_ms`, `restart_on_unhealty`) is a mistake that
    would silently keep a default: refused, naming the key meant. Other unknown keys are left
    alone, as protocol v1 asks (another host's extension)."""
    known = (*COMMON_KEYS, *(key for keys in KIND_KEYS.values() for key in keys))
    for key in value:
        if isinstance(key, str) and key not in known:
            import difflib  # only for a key we do not know (3-5 ms of import on every plan)

            close = difflib.get_close_matches(key, known, n=1, cutoff=0.85)
            if close:
                raise _Bad(f"health.{key}: unknown field (did you mean {close[0]!r}?)")


def _default(key: str, kind: str) -> int:
    if key == "probe_timeout_ms":
        return DEFAULT_PROBE_TIMEOUT_MS[kind]
    return {"period_ms": DEFAULT_PERIOD_MS, "initial_delay_ms": DEFAULT_INITIAL_DELAY_MS,
            "failure_threshold": DEFAULT_FAILURE_THRESHOLD,
            "success_threshold": DEFAULT_SUCCESS_THRESHOLD}[key]


def _number(value: dict[str, Any], key: str, default: int, bounds: tuple[int, int | None]) -> int:
    item = value.get(key, default)
    low, high = bounds
    where = f"{low} to {high}" if high is not None else f"at least {low}"
    if isinstance(item, bool) or not isinstance(item, int):
        raise _Bad(f"health.{key} must be a whole number ({where}), got {item!r}")
    if item < low or (high is not None and item > high):
        raise _Bad(f"health.{key} must be {where}, got {item}")
    return item


def _command(value: object) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(arg, str) for arg in value):
        raise _Bad(f"health.command must be a non-empty list of strings (an argv, run without a shell) "
                   f"for an exec check, got {value!r}")
    if not value[0]:
        raise _Bad("health.command[0] (the program) must not be empty")
    return list(value)


def _status(value: object) -> list[int]:
    low, high = STATUS_RANGE
    shape = f"[lowest, highest], whole numbers from {low} to {high}, e.g. [200, 399]"
    if (not isinstance(value, list) or len(value) != 2
            or not all(isinstance(n, int) and not isinstance(n, bool) for n in value)):
        raise _Bad(f"health.status must be {shape}, got {value!r}")
    if not (low <= value[0] <= value[1] <= high):
        raise _Bad(f"health.status must be {shape} (lowest first), got {value!r}")
    return list(value)


def _headers(value: object) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _Bad(f"health.headers must be an object of header name to text, got {type(value).__name__}")
    for name, text in value.items():
        if not isinstance(name, str) or not _TOKEN.fullmatch(name):
            raise _Bad(f"health.headers: {name!r} is not a valid HTTP header name")
        if not isinstance(text, str) or any(c in text for c in "\r\n\0"):
            raise _Bad(f"health.headers[{name!r}] must be text on one line, got {text!r}")
    return dict(value)


def target_text(health: Mapping[str, Any]) -> str:
    """What a check probes, for people: the address, the URL, or the command line."""
    if health.get("type") == "exec":
        import shlex

        return shlex.join(health.get("command") or [])
    return str(health.get("url") or health.get("address") or "")


def health_schema(number: Callable[[dict[str, Any]], dict[str, Any]] | None = None) -> dict[str, Any]:
    """The JSON Schema of a `health` object (for `devctl schema`: `#/definitions/health`).

    `number` wraps the schema of each whole-number field: `.devctl.yaml` lets a declared
    service write `${config.KEY}` where a number goes, which the schema must accept too."""
    wrap = number or (lambda schema: schema)

    def ms(key: str, text: str) -> dict[str, Any]:
        low, high = RANGES[key]
        return wrap({"type": "integer", "minimum": low, "maximum": high, "description": text})

    low, high = STATUS_RANGE
    props: dict[str, Any] = {
        "type": {"enum": list(HEALTH_TYPES), "description": "tcp: connect to `address`; http: GET `url`; "
                 "exec: run `command`, ready on exit 0."},
        "timeout_ms": wrap({"type": "integer", "minimum": TIMEOUT_RANGE[0], "maximum": TIMEOUT_RANGE[1],
                            "default": DEFAULT_HEALTH_TIMEOUT_MS,
                            "description": "How long a starting service may take to become ready."}),
        "period_ms": ms("period_ms", f"Gap between probes once ready (default {DEFAULT_PERIOD_MS})."),
        "probe_timeout_ms": ms("probe_timeout_ms", "Deadline of one probe (default: tcp 200, http 500, "
                               "exec 1000); an exec probe past it is killed with its process group."),
        "initial_delay_ms": ms("initial_delay_ms", "Wait this long after the start before the first "
                               "probe (default 0); less than timeout_ms."),
        "failure_threshold": ms("failure_threshold", "Consecutive failed probes, after ready, that make "
                                f"the service unhealthy (default {DEFAULT_FAILURE_THRESHOLD})."),
        "success_threshold": ms("success_threshold", "Consecutive passing probes that make it ready, or "
                                f"healthy again (default {DEFAULT_SUCCESS_THRESHOLD})."),
        "restart_on_unhealthy": {"type": "boolean", "default": False,
                                 "description": "Restart the service when it becomes unhealthy "
                                 "(default: report it, do not restart)."},
        "address": {"type": "string", "description": "tcp: host:port."},
        "url": {"type": "string", "description": "http: an http:// or https:// URL."},
        "status": {"type": "array", "items": wrap({"type": "integer", "minimum": low, "maximum": high}),
                   "minItems": 2, "maxItems": 2, "default": list(DEFAULT_STATUS),
                   "description": "http: the passing statuses, [lowest, highest] inclusive."},
        "headers": {"type": "object", "additionalProperties": {"type": "string"},
                    "description": "http: extra request headers."},
        "command": {"type": "array", "items": {"type": "string"}, "minItems": 1,
                    "description": "exec: the argv (no shell), run in the service's cwd and env."},
    }
    return {"type": "object", "required": ["type"], "properties": props,
            "description": "How devctl knows the service is ready (and stays healthy)."}
