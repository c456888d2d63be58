"""Agent manifest (TOML) → `Manifest`. Every error names the file, the table and the key.

```toml
[agent]
name = "nightly-report"
timeout_seconds = 600
schedule = "nightly"            # optional, passed to plugins as `schedule` (default "manual")

[run]
command = "python3"
args = ["report.py", "--since", "1d"]
working_dir = "."               # relative to the manifest's directory

[env]
REPORT_LEVEL = "full"

[defaults]
max_retries = 2                 # extra attempts after the first
retry_backoff_seconds = 5       # pause between attempts

[[preflight]]                   # kind preflight: all must pass before an attempt
plugin = "preflight-cmd"
config = { command = ["git", "diff", "--quiet"] }

[[on_success]]                  # kind sink: gets stdout after a success
plugin = "sink-file"
config = { path = "out/report.txt" }

[[on_failure]]                  # kind sink: gets stdout+stderr tail once the job gives up
plugin = "sink-file"
config = { path = "out/failures.log" }

[[notifiers]]                   # kind notify: gets the events it lists
plugin = "notify-log"
config = { path = "out/events.log" }
events = ["attempt_failed", "given_up", "recovered"]
```
Unknown keys in known tables are errors (a typo must not be silently ignored); unknown
top-level tables are kept as warnings, since dotagent manifests may carry more than this
host runs.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devctl.dotagent.events import GIVEN_UP, NOTIFY_EVENTS, SUCCESS, check_events
from devctl.errors import ConfigError

#: Tables of plugin uses: (kind the plugin must have, default events).
USE_TABLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "preflight": ("preflight", ()),
    "on_success": ("sink", (SUCCESS,)),
    "on_failure": ("sink", (GIVEN_UP,)),
    "notifiers": ("notify", NOTIFY_EVENTS),
}
_KNOWN = {
    "agent": {"name", "timeout_seconds", "schedule", "description"},
    "run": {"command", "args", "working_dir"},
    "defaults": {"max_retries", "retry_backoff_seconds"},
}
_USE_KEYS = {"plugin", "config", "events", "timeout_seconds"}


@dataclass(frozen=True)
class PluginUse:
    """One `[[preflight]]` / `[[on_success]]` / `[[on_failure]]` / `[[notifiers]]` entry."""

    table: str
    index: int
    plugin: str
    config: dict[str, Any]
    events: tuple[str, ...]
    timeout_s: float | None
    kind: str

    @property
    def where(self) -> str:
        return f"[[{self.table}]] #{self.index + 1} ({self.plugin})"


@dataclass(frozen=True)
class Manifest:
    path: Path
    name: str
    timeout_s: float | None
    schedule: str
    command: str
    args: tuple[str, ...]
    working_dir: Path
    env: dict[str, str]
    max_retries: int
    retry_backoff_s: float
    preflight: tuple[PluginUse, ...] = ()
    on_success: tuple[PluginUse, ...] = ()
    on_failure: tuple[PluginUse, ...] = ()
    notifiers: tuple[PluginUse, ...] = ()
    warnings: tuple[str, ...] = field(default=())

    def uses(self) -> list[PluginUse]:
        return [*self.preflight, *self.on_success, *self.on_failure, *self.notifiers]


def load_manifest(path: Path) -> Manifest:
    """Read and check a manifest file. Raises ConfigError (exit 2) naming file, table and key."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read agent manifest: {exc.strerror or exc}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    return parse_manifest(data, path)


def parse_manifest(data: dict[str, Any], path: Path) -> Manifest:
    """Pure: a parsed TOML document → Manifest (paths resolved against `path`'s directory)."""
    p = _Problems(path)
    warnings = [f"{path}: [{k}] is not used by devctl and is ignored" for k in data if k not in _TOP]
    for table, keys in _KNOWN.items():
        section = data.get(table, {})
        if not isinstance(section, dict):
            p.fail(f"[{table}]", "must be a table")
        for key in section:
            if key not in keys:
                p.fail(f"[{table}].{key}", f"unknown key; known keys: {', '.join(sorted(keys))}")
    agent, run, defaults = data.get("agent", {}), data.get("run", {}), data.get("defaults", {})
    name = p.string(agent, "[agent]", "name", required=True)
    schedule = p.string(agent, "[agent]", "schedule") or "manual"
    timeout = p.number(agent, "[agent]", "timeout_seconds", positive=True)
    command = p.string(run, "[run]", "command", required=True)
    args = p.str_list(run, "[run]", "args")
    wd = p.string(run, "[run]", "working_dir") or "."
    working_dir = (path.parent / Path(wd).expanduser()).resolve()
    env_raw = data.get("env", {})
    env: dict[str, str] = {}
    if not isinstance(env_raw, dict):
        p.fail("[env]", "must be a table of NAME = \"value\"")
    else:
        for k, v in env_raw.items():
            if isinstance(v, bool) or not isinstance(v, (str, int, float)):
                p.fail(f"[env].{k}", f"must be a string (or number), got {type(v).__name__}")
            else:
                env[k] = str(v)
    retries = p.number(defaults, "[defaults]", "max_retries", integer=True) or 0
    backoff = p.number(defaults, "[defaults]", "retry_backoff_seconds")
    uses = {t: tuple(_uses(p, data, t)) for t in USE_TABLES}
    p.raise_if_any()
    return Manifest(
        path=path, name=name or "", timeout_s=timeout, schedule=schedule, command=command or "",
        args=tuple(args), working_dir=working_dir, env=env, max_retries=int(retries),
        retry_backoff_s=float(backoff if backoff is not None else 0.0), warnings=tuple(warnings), **uses,
    )


_TOP = {"agent", "run", "env", "defaults", *USE_TABLES}


def _uses(p: _Problems, data: dict[str, Any], table: str) -> list[PluginUse]:
    entries = data.get(table, [])
    if not isinstance(entries, list):
        p.fail(f"[{table}]", f"must be an array of tables: write [[{table}]]")
        return []
    kind, default_events = USE_TABLES[table]
    out = []
    for i, entry in enumerate(entries):
        where = f"[[{table}]] #{i + 1}"
        if not isinstance(entry, dict):
            p.fail(where, "must be a table")
            continue
        for key in entry:
            if key not in _USE_KEYS:
                p.fail(f"{where}.{key}", f"unknown key; known keys: {', '.join(sorted(_USE_KEYS))}")
        plugin = p.string(entry, where, "plugin", required=True)
        config = entry.get("config", {})
        if not isinstance(config, dict):
            p.fail(f"{where}.config", "must be a table (the plugin's config object)")
            config = {}
        events = entry.get("events", list(default_events))
        # Preflights run before every attempt whatever `events` says; it is checked only
        # so a typo there still surfaces.
        for problem in check_events(events):
            p.fail(f"{where}.events", problem)
        timeout = p.number(entry, where, "timeout_seconds", positive=True)
        if plugin:
            out.append(PluginUse(table, i, plugin, config, tuple(events or ()), timeout, kind))
    return out


class _Problems:
    """Collects every problem, so one run of `load_manifest` reports them all."""

    def __init__(self, path: Path):
        self.path = path
        self.items: list[str] = []

    def fail(self, where: str, message: str) -> None:
        self.items.append(f"{where}: {message}")

    def raise_if_any(self) -> None:
        if self.items:
            first, *rest = self.items
            raise ConfigError(f"{self.path}: {first}", details=[f"{self.path}: {r}" for r in rest])

    def string(self, table: Any, where: str, key: str, *, required: bool = False) -> str | None:
        if not isinstance(table, dict) or key not in table:
            if required:
                self.fail(f"{where}.{key}", "is required")
            return None
        value = table[key]
        if not isinstance(value, str) or not value:
            self.fail(f"{where}.{key}", f"must be a non-empty string, got {value!r}")
            return None
        return value

    def str_list(self, table: Any, where: str, key: str) -> list[str]:
        value = table.get(key, []) if isinstance(table, dict) else []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(f"{where}.{key}", "must be an array of strings")
            return []
        return value

    def number(
        self, table: Any, where: str, key: str, *, integer: bool = False, positive: bool = False
    ) -> float | None:
        if not isinstance(table, dict) or key not in table:
            return None
        value = table[key]
        ok_type = isinstance(value, int) if integer else isinstance(value, (int, float))
        if isinstance(value, bool) or not ok_type:
            self.fail(f"{where}.{key}", f"must be {'an integer' if integer else 'a number'}, got {value!r}")
            return None
        if value < 0 or (positive and value == 0):
            self.fail(f"{where}.{key}", f"must be {'> 0' if positive else '>= 0'}, got {value!r}")
            return None
        return value
