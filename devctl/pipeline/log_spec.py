"""A service's `logs:` and `watch:` options, checked at plan time (issue 14).

```yaml
logs:  {timestamps: true, max_size: 10MiB, keep: 3}
watch: {paths: [src, "config/*.toml"], ignore: ["*.tmp"], debounce_ms: 300}
watch: [src]                       # shorthand for {paths: [src]}
```

Both are optional and None by default: a service without `logs:` keeps "`cmd > file`" logging
(its fds 1 and 2 are the log files, nothing of devctl on the path). When given, the checked
form goes into the `ServiceSpec` (`logs` → `LogOptions`, `watch` → `WatchSpec`), every
sub-key filled in. Errors are
ConfigErrors whose message `normalize_service` prefixes with the plugin and the service.

Pure and stdlib only; the JSON Schema of both options (`SCHEMA`) lives here too, next to the
rules it must agree with.
"""

from __future__ import annotations

import re

from devctl.errors import ConfigError

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: `up` loads this module (docs/performance.md, "T2")
if TYPE_CHECKING:
    from typing import Any, TypedDict

#: Old generations kept by default: the previous run's file, as before these options existed.
DEFAULT_KEEP = 1
#: At most this many old generations (`devctl logs` reads no further back).
MAX_KEEP = 100
#: Smallest and largest `max_size`: below 1 KiB a file would rotate on almost every line.
MIN_SIZE = 1024
MAX_SIZE = 1 << 40
DEFAULT_DEBOUNCE_MS = 300
MIN_DEBOUNCE_MS = 10
MAX_DEBOUNCE_MS = 60_000
#: At most this many watch paths or ignore patterns per service.
MAX_PATTERNS = 256

_UNITS = {"": 1, "b": 1, "k": 1 << 10, "kb": 1 << 10, "kib": 1 << 10, "m": 1 << 20, "mb": 1 << 20,
          "mib": 1 << 20, "g": 1 << 30, "gb": 1 << 30, "gib": 1 << 30}
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*")
_LOG_KEYS = ("timestamps", "max_size", "keep")
_WATCH_KEYS = ("paths", "ignore", "debounce_ms")


if TYPE_CHECKING:
    class LogOptions(TypedDict):
        """How a service's output is written: a log writer sits on the path only when
        `timestamps` is true or `max_size` is set (see devctl/supervisor/logwriter.py)."""

        timestamps: bool  # each line starts with its UTC time (supervisor/logfiles.py: format_ts)
        max_size: int | None  # bytes; the file rotates past it. None: only a restart rotates
        keep: int  # old generations kept (`.log.1` … `.log.<keep>`), for restarts and size rotation


    class WatchSpec(TypedDict):
        """Files whose change restarts the service (devctl/supervisor/watch.py)."""

        paths: list[str]  # paths or globs, relative to the service's cwd
        ignore: list[str]  # globs; a pattern without '/' matches any path component
        debounce_ms: int  # a burst of changes closer together than this is one restart


    class Extras(TypedDict):
        """The keys this module adds to a ServiceSpec (`normalize_service` unpacks it)."""

        logs: LogOptions | None
        watch: WatchSpec | None
else:  # at run time each is a plain dict
    LogOptions = WatchSpec = Extras = dict


def extras(raw: dict[str, Any]) -> Extras:
    """The checked `logs` and `watch` of one planned service (None where the plan has none)."""
    logs, watch = raw.get("logs"), raw.get("watch")
    return {"logs": None if logs is None else log_options(logs),
            "watch": None if watch is None else watch_spec(watch)}


def log_options(value: object) -> LogOptions:
    if not isinstance(value, dict):
        raise ConfigError(f"'logs' must be an object with {', '.join(_LOG_KEYS)}, got {value!r}")
    _known_keys(value, _LOG_KEYS, "logs")
    timestamps = value.get("timestamps", False)
    if not isinstance(timestamps, bool):
        raise ConfigError(f"logs.timestamps must be true or false, got {timestamps!r}")
    size = value.get("max_size")
    keep = value.get("keep", DEFAULT_KEEP)
    if isinstance(keep, bool) or not isinstance(keep, int) or not 1 <= keep <= MAX_KEEP:
        raise ConfigError(f"logs.keep must be an integer from 1 to {MAX_KEEP} (old files kept), got {keep!r}")
    return {"timestamps": timestamps, "max_size": None if size is None else parse_size(size), "keep": keep}


def parse_size(value: object) -> int:
    """Bytes from 10485760, "10MiB", "10MB", "10m", "512k", "1.5g" (units are powers of 1024,
    as docker's `max-size`), within MIN_SIZE..MAX_SIZE."""
    n: float
    if isinstance(value, int) and not isinstance(value, bool):
        n = value
    elif isinstance(value, str) and (m := _SIZE.fullmatch(value)) and m.group(2).lower() in _UNITS:
        n = float(m.group(1)) * _UNITS[m.group(2).lower()]
    else:
        raise ConfigError(f"logs.max_size must be a size such as 10MiB, 512KiB or a number of bytes, "
                          f"got {value!r}")
    if not MIN_SIZE <= n <= MAX_SIZE:
        raise ConfigError(f"logs.max_size must be from 1KiB to 1TiB, got {value!r}")
    return int(n)


def watch_spec(value: object) -> WatchSpec:
    if isinstance(value, list):
        value = {"paths": value}
    if not isinstance(value, dict):
        raise ConfigError(f"'watch' must be a list of paths or an object with {', '.join(_WATCH_KEYS)}, "
                          f"got {value!r}")
    _known_keys(value, _WATCH_KEYS, "watch")
    paths = _patterns(value.get("paths"), "watch.paths")
    if not paths:
        raise ConfigError("watch.paths must name at least one path or glob")
    debounce = value.get("debounce_ms", DEFAULT_DEBOUNCE_MS)
    if (isinstance(debounce, bool) or not isinstance(debounce, int)
            or not MIN_DEBOUNCE_MS <= debounce <= MAX_DEBOUNCE_MS):
        raise ConfigError(f"watch.debounce_ms must be an integer from {MIN_DEBOUNCE_MS} to "
                          f"{MAX_DEBOUNCE_MS}, got {debounce!r}")
    return {"paths": paths, "ignore": _patterns(value.get("ignore"), "watch.ignore"), "debounce_ms": debounce}


def _patterns(value: object, key: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_PATTERNS:
        raise ConfigError(f"{key} must be a list of at most {MAX_PATTERNS} paths or globs, got {value!r}")
    for item in value:
        if not isinstance(item, str) or not item.strip() or "\0" in item:
            raise ConfigError(f"{key} must contain non-empty strings (paths or globs), got {item!r}")
    return list(value)


def _known_keys(value: dict[str, Any], keys: tuple[str, ...], what: str) -> None:
    unknown = sorted(str(k) for k in value if k not in keys)
    if unknown:
        raise ConfigError(f"{what}: unknown key {unknown[0]!r} (known: {', '.join(keys)})")


#: `_SIZE` with its units spelled out, for editors.
_SIZE_PATTERN = r"^\s*\d+(\.\d+)?\s*([kKmMgG]([iI]?[bB])?|[bB])?\s*$"
_PATTERN_LIST: dict[str, Any] = {"type": "array", "maxItems": MAX_PATTERNS,
                                 "items": {"type": "string", "pattern": r"\S"}}

#: JSON Schema of the two options, for a service's `properties` (devctl/schema.py publishes it).
SCHEMA: dict[str, Any] = {
    "logs": {
        "type": "object", "additionalProperties": False,
        "description": "How devctl writes this service's output. Without it: the plain file, at `cmd > file` "
                       "speed. With timestamps or max_size a small writer process sits on the path.",
        "properties": {
            "timestamps": {"type": "boolean", "default": False,
                           "description": "Start each line with its UTC time (RFC 3339, microseconds); "
                                          "`devctl logs` then interleaves services by time."},
            "max_size": {"anyOf": [{"type": "integer", "minimum": MIN_SIZE, "maximum": MAX_SIZE},
                                   {"type": "string", "pattern": _SIZE_PATTERN}],
                         "description": "Rotate the file past this size: bytes, or 10MiB, 512KiB, 1GiB "
                                        "(k/m/g are powers of 1024). Default: no size limit."},
            "keep": {"type": "integer", "minimum": 1, "maximum": MAX_KEEP, "default": DEFAULT_KEEP,
                     "description": "Old files kept (.log.1 … .log.N), by size rotation and restarts alike."},
        },
    },
    "watch": {
        "description": "Restart the service when one of these files changes (a burst of changes is one "
                       "restart). A list of paths/globs, or an object.",
        "anyOf": [
            {**_PATTERN_LIST, "minItems": 1},
            {"type": "object", "additionalProperties": False, "required": ["paths"], "properties": {
                "paths": {**_PATTERN_LIST, "minItems": 1,
                          "description": "Paths or globs (`**` crosses directories), relative to the "
                                         "service's cwd."},
                "ignore": {**_PATTERN_LIST, "description": "Globs not to react to; one without '/' "
                           "matches any path component (`*.tmp`, `node_modules`)."},
                "debounce_ms": {"type": "integer", "minimum": MIN_DEBOUNCE_MS, "maximum": MAX_DEBOUNCE_MS,
                                "default": DEFAULT_DEBOUNCE_MS,
                                "description": "Changes closer together than this are one burst."},
            }},
        ],
    },
}
