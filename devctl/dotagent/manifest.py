"""Agent manifest (`agent.toml`, TOML 1.1) → `Manifest`, in upstream dotagent's format.

Upstream's own manifests run as they are; devctl's additions are optional:

```toml
[agent]
name = "nightly-report"          # required
description = "…"                # optional, shown nowhere
monitor = true                   # upstream daemon: included in `tick`; devctl: accepted, unused
timeout_seconds = 1800           # default 1800, as upstream
schedule = "nightly"             # devctl: schedule id when the manifest has no [[schedules]]

[run]
command = "python3"
args = ["report.py"]             # a schedule's `args` are appended
working_dir = "."                # relative to the manifest's directory

[env]
inherit = true                   # false: the job starts from an empty environment
extra = { LEVEL = "full" }       # added on top
REPORT = "x"                     # devctl: a plain string here is added too

[defaults]
max_retries = 3                  # attempts per run (upstream counts attempts against it)
retry_backoff_minutes = [5, 15]  # pause before attempt 2, 3, … (last value repeats)
retry_backoff_seconds = 0.5      # devctl: one fixed pause instead
stale_after_minutes = 120        # the upstream daemon's; accepted, unused

[[schedules]]                    # `devctl dotagent run --schedule ID` picks one
id = "daily"
type = "cron"                    # cron | interval | expression
weekdays = [1, 2, 3, 4, 5]
hours = [8]
args = ["--period", "yesterday"]

[[preflight]] / [[on_success]] / [[on_failure]]     # plugin, config, events, timeout_seconds
[[notifiers]]                    # upstream: driver = "plugin", name = "…"; or a built-in
                                 # driver (desktop, slack, …) devctl does not send; devctl: plugin = "…"
[security]                       # upstream's declared intent; accepted, unused
```
An `events` list that is absent or empty means every event the table can receive, as
upstream. Upstream ignores keys it does not know; devctl warns, naming the rule
(`unknown-key`), and `--strict` makes that an error. Every error names the file, the
table and the key.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devctl.dotagent import tomlread
from devctl.dotagent.events import FAILURE_EVENTS, MANIFEST_EVENTS, SUCCESS, check_events
from devctl.errors import ConfigError

#: Tables of plugin uses: (kinds the plugin may have, in order of preference; default events).
#: `[[on_failure]]` takes a sink or a notify plugin: upstream calls it with kind `notify`, and
#: documents it for sinks.
USE_TABLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "preflight": (("preflight",), ()),
    "on_success": (("sink",), (SUCCESS,)),
    "on_failure": (("sink", "notify"), FAILURE_EVENTS),
    "notifiers": (("notify",), MANIFEST_EVENTS),
}
#: The built-in notifier drivers of upstream's daemon (sent in-process there; not by devctl).
BUILTIN_DRIVERS = ("desktop", "slack", "ntfy", "pushover", "telegram", "imessage")
#: Upstream's pause schedule when `max_retries` is set and no backoff is.
DEFAULT_BACKOFF_MINUTES = (5.0, 15.0, 30.0)
DEFAULT_BACKOFF_MINUTES_S = tuple(m * 60 for m in DEFAULT_BACKOFF_MINUTES)
DEFAULT_TIMEOUT_S = 1800.0
SCHEDULE_TYPES = {
    "cron": {"weekdays", "hours", "minute"},
    "interval": {"interval_minutes"},
    "expression": {"expression"},
}
_RETRY_KEYS = {"max_retries", "retry_backoff_minutes", "stale_after_minutes"}
_KNOWN = {
    "agent": {"name", "timeout_seconds", "schedule", "description", "monitor", "version"},
    "run": {"command", "args", "working_dir"},
    "defaults": {*_RETRY_KEYS, "retry_backoff_seconds"},
}
_USE_KEYS = {"plugin", "config", "events", "timeout_seconds"}
#: Top-level tables upstream's daemon uses and devctl accepts without using.
_UPSTREAM_ONLY = {"security"}
UNKNOWN_KEY_RULE = "unknown-key"


@dataclass(frozen=True)
class PluginUse:
    """One `[[preflight]]` / `[[on_success]]` / `[[on_failure]]` / `[[notifiers]]` entry."""

    table: str
    index: int
    plugin: str
    config: dict[str, Any]
    events: tuple[str, ...]
    timeout_s: float | None
    kinds: tuple[str, ...]

    @property
    def kind(self) -> str:
        """The preferred kind (the one sent when the plugin has it)."""
        return self.kinds[0]

    @property
    def where(self) -> str:
        return f"[[{self.table}]] #{self.index + 1} ({self.plugin})"


@dataclass(frozen=True)
class Schedule:
    """One `[[schedules]]` entry: its id, the args it appends, its retry overrides."""

    id: str
    args: tuple[str, ...] = ()
    max_retries: int | None = None
    backoff_s: tuple[float, ...] | None = None


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
    #: Upstream's `max_retries`: the attempts a run gets (None: absent, one attempt).
    max_retries: int | None = None
    #: Pauses before attempt 2, 3, …, the last one repeating (None: not set).
    backoff_s: tuple[float, ...] | None = None
    inherit_env: bool = True
    schedules: tuple[Schedule, ...] = ()
    preflight: tuple[PluginUse, ...] = ()
    on_success: tuple[PluginUse, ...] = ()
    on_failure: tuple[PluginUse, ...] = ()
    notifiers: tuple[PluginUse, ...] = ()
    warnings: tuple[str, ...] = field(default=())
    #: Warnings for devctl's own strictness (unknown keys): errors under `--strict`.
    strict_warnings: tuple[str, ...] = field(default=())
    #: Upstream settings devctl accepts and does not use (listed at `-v`).
    ignored: tuple[str, ...] = field(default=())

    def uses(self) -> list[PluginUse]:
        return [*self.preflight, *self.on_success, *self.on_failure, *self.notifiers]

    def pick_schedule(self, schedule_id: str | None) -> Schedule:
        """The schedule a run uses: `--schedule ID`, else the only one, else `[agent].schedule`."""
        ids = [s.id for s in self.schedules]
        if schedule_id is not None:
            for s in self.schedules:
                if s.id == schedule_id:
                    return s
            if self.schedules:
                raise ConfigError(f"{self.path}: no [[schedules]] entry with id {schedule_id!r}; ids: {ids}")
            return Schedule(schedule_id)
        if len(self.schedules) == 1:
            return self.schedules[0]
        if self.schedules:
            for s in self.schedules:
                if s.id == self.schedule:
                    return s
            raise ConfigError(
                f"{self.path}: {len(ids)} [[schedules]]; pick one with --schedule ID (ids: {ids})")
        return Schedule(self.schedule)

    def attempts_for(self, schedule: Schedule) -> int:
        """Attempts a run makes: the schedule's `max_retries`, else `[defaults]`', else 1.
        Upstream gives up once the attempts reach `max_retries`, so 3 means three attempts."""
        retries = schedule.max_retries if schedule.max_retries is not None else self.max_retries
        return max(1, retries if retries is not None else 1)

    def backoff_for(self, schedule: Schedule) -> tuple[float, ...]:
        """Pauses in seconds before attempt 2, 3, … (the last repeats): the schedule's, else
        `[defaults]`', else upstream's 5, 15, 30 minutes when retries were asked for."""
        if schedule.backoff_s is not None:
            return schedule.backoff_s
        if self.backoff_s is not None:
            return self.backoff_s
        asked = schedule.max_retries is not None or self.max_retries is not None
        return DEFAULT_BACKOFF_MINUTES_S if asked else ()


def load_manifest(path: Path, *, strict: bool = False) -> Manifest:
    """Read and check a manifest file. Raises ConfigError (exit 2) naming file, table and key;
    under `strict`, devctl's own rules (unknown keys) are errors too."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read agent manifest: {exc.strerror or exc}") from None
    try:
        data = tomlread.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except tomlread.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    m = parse_manifest(data, path, text=raw.decode("utf-8"))
    if strict and m.strict_warnings:
        first, *rest = m.strict_warnings
        raise ConfigError(first, details=rest)
    return m


def parse_manifest(data: dict[str, Any], path: Path, *, text: str | None = None) -> Manifest:
    """Pure: a parsed TOML document → Manifest (paths resolved against `path`'s directory).
    With the document's `text`, each problem names its line (`agent.toml:7: [agent].x: …`)."""
    p = _Problems(path, text)
    for key in data:
        if key in _UPSTREAM_ONLY:
            p.ignore(f"[{key}]", "upstream's daemon setting; devctl does not use it")
        elif key not in _TOP:
            p.unknown(f"[{key}]")
    for table, keys in _KNOWN.items():
        section = data.get(table, {})
        if not isinstance(section, dict):
            p.fail(f"[{table}]", "must be a table")
            continue
        for key in section:
            if key not in keys:
                p.unknown(f"[{table}].{key}", keys)
    agent, run, defaults = (_table(data, t) for t in ("agent", "run", "defaults"))
    name = p.string(agent, "[agent]", "name", required=True)
    schedule = p.string(agent, "[agent]", "schedule") or "manual"
    p.string(agent, "[agent]", "description", allow_empty=True)
    p.string(agent, "[agent]", "version", allow_empty=True)
    if p.boolean(agent, "[agent]", "monitor") is not None:
        p.ignore("[agent].monitor", "the upstream daemon's; devctl runs a job when asked")
    timeout = p.number(agent, "[agent]", "timeout_seconds", positive=True)
    command = p.string(run, "[run]", "command", required=True)
    args = p.str_list(run, "[run]", "args")
    wd = p.string(run, "[run]", "working_dir") or "."
    working_dir = (path.parent / Path(wd).expanduser()).resolve()
    env, inherit = _env(p, data.get("env", {}))
    retries, backoff = _retry_policy(p, defaults, "[defaults]")
    if "stale_after_minutes" in defaults:
        p.number(defaults, "[defaults]", "stale_after_minutes", integer=True)
        p.ignore("[defaults].stale_after_minutes",
                 "the upstream daemon's; devctl does not skip stale windows")
    schedules = _schedules(p, data.get("schedules", []))
    uses = {t: tuple(_uses(p, data, t)) for t in USE_TABLES if t != "notifiers"}
    notifiers = tuple(_notifiers(p, data.get("notifiers", [])))
    p.raise_if_any()
    return Manifest(
        path=path, name=name or "", timeout_s=timeout if timeout is not None else DEFAULT_TIMEOUT_S,
        schedule=schedule, command=command or "", args=tuple(args), working_dir=working_dir, env=env,
        max_retries=retries, backoff_s=backoff, inherit_env=inherit,
        schedules=tuple(schedules), notifiers=notifiers, warnings=tuple(p.warnings),
        strict_warnings=tuple(p.strict), ignored=tuple(p.ignored), **uses,
    )


_TOP = {"agent", "run", "env", "defaults", "schedules", *USE_TABLES}


def _table(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key, {})
    return value if isinstance(value, dict) else {}


def _env(p: _Problems, raw: Any) -> tuple[dict[str, str], bool]:
    """`[env]`: upstream's `inherit` and `extra`, plus devctl's plain `NAME = "value"` entries."""
    env: dict[str, str] = {}
    if not isinstance(raw, dict):
        p.fail("[env]", "must be a table: inherit = true|false, extra = { NAME = \"value\" }")
        return env, True
    inherit = p.boolean(raw, "[env]", "inherit")
    extra = raw.get("extra", {})
    if not isinstance(extra, dict):
        p.fail("[env].extra", "must be a table of NAME = \"value\"")
        extra = {}
    plain = {k: v for k, v in raw.items() if k not in ("inherit", "extra")}
    for where, table in (("[env]", plain), ("[env].extra", extra)):
        for k, v in table.items():
            if isinstance(v, bool) or not isinstance(v, (str, int, float)):
                p.fail(f"{where}.{k}", f"must be a string (or number), got {type(v).__name__}")
            else:
                env[k] = str(v)
    return env, inherit if inherit is not None else True


def _retry_policy(
    p: _Problems, table: dict[str, Any], where: str
) -> tuple[int | None, tuple[float, ...] | None]:
    """`max_retries` and the pauses (seconds) from `retry_backoff_minutes` or `retry_backoff_seconds`."""
    retries = p.number(table, where, "max_retries", integer=True)
    minutes = table.get("retry_backoff_minutes")
    seconds = p.number(table, where, "retry_backoff_seconds")
    backoff: tuple[float, ...] | None = None
    if minutes is not None:
        if (not isinstance(minutes, list)
                or not all(isinstance(m, int) and not isinstance(m, bool) and m >= 0 for m in minutes)):
            p.fail(f"{where}.retry_backoff_minutes",
                   f"must be an array of whole minutes >= 0, got {minutes!r}")
        else:
            backoff = tuple(float(m * 60) for m in minutes)
    if seconds is not None:
        if minutes is not None:
            p.fail(f"{where}.retry_backoff_seconds",
                   "use either retry_backoff_minutes or retry_backoff_seconds")
        backoff = (float(seconds),)
    return (int(retries) if retries is not None else None), backoff


def _array_of_tables(
    p: _Problems, entries: Any, table: str
) -> Iterator[tuple[int, str, dict[str, Any]]]:
    """`(index, "[[table]] #N", entry)` for each entry of a `[[table]]` array; what is not an
    array of tables (or not a table) is reported once and skipped, so each reader handles keys only."""
    if not isinstance(entries, list):
        p.fail(f"[{table}]", f"must be an array of tables: write [[{table}]]")
        return
    for i, entry in enumerate(entries):
        where = f"[[{table}]] #{i + 1}"
        if isinstance(entry, dict):
            yield i, where, entry
        else:
            p.fail(where, "must be a table")


def _schedules(p: _Problems, entries: Any) -> list[Schedule]:
    out: list[Schedule] = []
    seen: set[str] = set()
    for _i, where, entry in _array_of_tables(p, entries, "schedules"):
        sid = p.string(entry, where, "id", required=True)
        kind = p.string(entry, where, "type", required=True)
        if kind is not None and kind not in SCHEDULE_TYPES:
            p.fail(f"{where}.type", f"must be one of {sorted(SCHEDULE_TYPES)}, got {kind!r}")
        elif kind is not None:
            for key in sorted(SCHEDULE_TYPES[kind] - {"minute"}):
                if key not in entry:
                    p.fail(f"{where}.{key}", f"is required for type {kind!r}")
            known = {"id", "type", "args", *_RETRY_KEYS, *SCHEDULE_TYPES[kind]}
            for key in entry:
                if key not in known:
                    p.unknown(f"{where}.{key}", known)
        if sid is not None and sid in seen:
            p.fail(f"{where}.id", f"duplicate schedule id {sid!r}")
        args = p.str_list(entry, where, "args")
        retries, backoff = _retry_policy(p, entry, where)
        if sid is not None:
            seen.add(sid)
            out.append(Schedule(sid, tuple(args), retries, backoff))
    if out:
        p.ignore("[[schedules]]", "the upstream daemon's timing; devctl uses a schedule's id, args and "
                                  "retry settings (dotagent run --schedule ID)")
    return out


def _uses(p: _Problems, data: dict[str, Any], table: str) -> list[PluginUse]:
    out = []
    for i, where, entry in _array_of_tables(p, data.get(table, []), table):
        for key in entry:
            if key not in _USE_KEYS:
                p.unknown(f"{where}.{key}", _USE_KEYS)
        use = _use(p, entry, table, i, where, "plugin")
        if use is not None:
            out.append(use)
    return out


def _use(
    p: _Problems, entry: dict[str, Any], table: str, i: int, where: str, name_key: str
) -> PluginUse | None:
    kinds, default_events = USE_TABLES[table]
    plugin = p.string(entry, where, name_key, required=True)
    config = entry.get("config", {})
    if not isinstance(config, dict):
        p.fail(f"{where}.config", "must be a table (the plugin's config object)")
        config = {}
    events = entry.get("events", [])
    # Preflights run before every attempt whatever `events` says; it is checked only
    # so a typo there still surfaces.
    for problem in check_events(events, allowed=MANIFEST_EVENTS):
        p.fail(f"{where}.events", problem)
    timeout = p.number(entry, where, "timeout_seconds", positive=True)
    if not plugin:
        return None
    return PluginUse(table, i, plugin, config, tuple(events or default_events), timeout, kinds)


def _notifiers(p: _Problems, entries: Any) -> list[PluginUse]:
    """`[[notifiers]]`: upstream's `driver = …` entries, or devctl's `plugin = …` ones."""
    out = []
    for i, where, entry in _array_of_tables(p, entries, "notifiers"):
        driver = entry.get("driver")
        if driver is None:
            for key in entry:
                if key not in _USE_KEYS:
                    p.unknown(f"{where}.{key}", _USE_KEYS)
            use = _use(p, entry, "notifiers", i, where, "plugin")
        elif driver == "plugin":
            if "plugin" in entry:
                p.fail(f"{where}.plugin", 'with driver = "plugin" the plugin is named by `name`')
            known = {"driver", "name", *_USE_KEYS} - {"plugin"}
            for key in entry:
                if key not in known:
                    p.unknown(f"{where}.{key}", known)
            use = _use(p, entry, "notifiers", i, where, "name")
        elif driver in BUILTIN_DRIVERS:
            for problem in check_events(entry.get("events", []), allowed=MANIFEST_EVENTS):
                p.fail(f"{where}.events", problem)
            p.warn(f"{where}.driver: {driver!r} is built into upstream's daemon; devctl does not send "
                   f"it (use driver = \"plugin\" for a notify plugin)")
            continue
        else:
            p.fail(f"{where}.driver", f"unknown driver {driver!r}; drivers: {[*BUILTIN_DRIVERS, 'plugin']}")
            continue
        if use is not None:
            out.append(use)
    return out


class _Problems:
    """Collects every problem, so one run of `load_manifest` reports them all."""

    def __init__(self, path: Path, text: str | None = None):
        self.path = path
        self.lines = text.splitlines() if text is not None else None
        self.items: list[str] = []
        self.warnings: list[str] = []
        self.strict: list[str] = []
        self.ignored: list[str] = []

    def at(self, where: str) -> str:
        """`path:line` for a `[table].key` / `[[table]] #n.key` place, when the line is found."""
        line = _locate(self.lines, where) if self.lines is not None else None
        return f"{self.path}:{line}" if line else str(self.path)

    def fail(self, where: str, message: str) -> None:
        self.items.append(f"{self.at(where)}: {where}: {message}")

    def warn(self, message: str) -> None:
        self.warnings.append(f"{self.path}: {message}")

    def unknown(self, where: str, known: set[str] | None = None) -> None:
        """A key upstream would ignore: a warning naming the rule (an error under --strict)."""
        hint = f"; known keys: {', '.join(sorted(known))}" if known else ""
        self.strict.append(f"{self.at(where)}: {where}: unknown key, ignored{hint} "
                           f"(rule {UNKNOWN_KEY_RULE}: an error under --strict)")

    def ignore(self, where: str, why: str) -> None:
        self.ignored.append(f"{self.path}: {where}: accepted, not used: {why}")

    def raise_if_any(self) -> None:
        if self.items:
            first, *rest = self.items
            raise ConfigError(first, details=rest)

    def string(self, table: Any, where: str, key: str, *, required: bool = False,
               allow_empty: bool = False) -> str | None:
        if not isinstance(table, dict) or key not in table:
            if required:
                self.fail(f"{where}.{key}", "is required")
            return None
        value = table[key]
        if not isinstance(value, str) or (not value and not allow_empty):
            what = "a string" if allow_empty else "a non-empty string"
            self.fail(f"{where}.{key}", f"must be {what}, got {value!r}")
            return None
        return value

    def boolean(self, table: Any, where: str, key: str) -> bool | None:
        if not isinstance(table, dict) or key not in table:
            return None
        value = table[key]
        if not isinstance(value, bool):
            self.fail(f"{where}.{key}", f"must be true or false, got {value!r}")
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


_PLACE = re.compile(r"^\[(\[?)([A-Za-z0-9_.-]+)\]?\](?: #(\d+))?(?:\.([A-Za-z0-9_-]+))?$")


def _locate(lines: list[str], where: str) -> int | None:
    """The 1-based line of a place such as `[agent].name` or `[[notifiers]] #2.events` (the
    key's line, else its table's header line); None when it cannot be found by a plain scan
    (tomllib gives no positions)."""
    m = _PLACE.match(where)
    if m is None:
        return None
    array, table, nth, key = bool(m.group(1)), m.group(2), int(m.group(3) or 1), m.group(4)
    header = re.compile(r"^\s*\[\[\s*" + re.escape(table) + r"\s*\]\]" if array
                        else r"^\s*\[\s*" + re.escape(table) + r"\s*\]")
    starts = [i for i, ln in enumerate(lines) if header.match(ln)]
    if len(starts) < nth:
        return None
    start = starts[nth - 1]
    if key is None:
        return start + 1
    pattern = re.compile(r"^\s*" + re.escape(key) + r"\s*=")
    for i in range(start + 1, len(lines)):
        if re.match(r"^\s*\[", lines[i]):
            break
        if pattern.match(lines[i]):
            return i + 1
    return start + 1
