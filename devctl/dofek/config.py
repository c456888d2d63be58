"""`dofek.toml`: where it is looked for, what it may contain, and errors that point at the line.

Lookup order: `--config FILE`, then `./dofek.toml`, then `<repo root>/dofek.toml`. Every
problem becomes one `ConfigError` naming the file, the line when it can be found, the table
(`[[plugins]] #2 'name'`) and the key, so a user never has to guess which entry is wrong.
tomllib gives no positions for keys, so `_KeyLines` finds them with a small text scan.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from devctl.errors import ConfigError, display_path
from devctl.procs.which import NotExecutable, resolve_executable
from devctl.util.suggest import unknown_key

CONFIG_NAME = "dofek.toml"
DEFAULT_REFRESH_MS = 1000
DEFAULT_TIMEOUT_MS = 2000
MIN_REFRESH_MS = 50
MIN_TIMEOUT_MS = 10
MAX_MS = 3_600_000
_TOP_KEYS = ("refresh_ms", "plugins")
_PLUGIN_KEYS = ("name", "command", "args", "enabled", "timeout_ms")
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_+@-]{0,63}$")


@dataclass(frozen=True)
class PluginConf:
    """One `[[plugins]]` entry, checked. `argv()` is what the host spawns."""

    name: str
    command: str
    args: tuple[str, ...] = ()
    enabled: bool = True
    timeout_ms: int = DEFAULT_TIMEOUT_MS
    #: Directory the plugin runs in (the config file's directory).
    cwd: Path = field(default_factory=Path.cwd)
    #: Resolved executable, or the command as written when it cannot be found (the host
    #: then reports "cannot start" and retries with backoff: it may be installed later).
    executable: str = ""

    def argv(self) -> list[str]:
        return [self.executable or self.command, *self.args]


@dataclass(frozen=True)
class DofekConfig:
    path: Path | None
    refresh_ms: int = DEFAULT_REFRESH_MS
    plugins: tuple[PluginConf, ...] = ()

    @property
    def enabled(self) -> list[PluginConf]:
        return [p for p in self.plugins if p.enabled]


def find_config(explicit: Path | None, cwd: Path, repo_root: Path | None) -> Path:
    """The config file to use, or ConfigError saying where we looked."""
    if explicit is not None:
        path = explicit if explicit.is_absolute() else cwd / explicit
        if not path.is_file():
            raise ConfigError(f"{explicit}: no such config file (given with --config)")
        return path
    looked = [cwd / CONFIG_NAME]
    if repo_root is not None and repo_root.resolve() != cwd.resolve():
        looked.append(repo_root / CONFIG_NAME)
    for path in looked:
        if path.is_file():
            return path
    raise ConfigError(
        f"no {CONFIG_NAME} found",
        details=[f"looked for {p}" for p in looked]
        + ["create one (see docs/dofek.md), or pass --config FILE",
           "`devctl dofek new NAME` writes a starter plugin and prints its [[plugins]] entry"],
    )


def load(path: Path) -> DofekConfig:
    """Read and check a dofek.toml. Raises ConfigError naming file, line, table and key."""
    display = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{display}: cannot read: {exc}") from None
    return replace(parse(text, display=display, base=path.parent), path=path)


def parse(text: str, *, display: str = CONFIG_NAME, base: Path | None = None) -> DofekConfig:
    """Check TOML text (pure apart from the PATH lookup of commands)."""
    base = (base or Path.cwd()).resolve()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message already ends in "(at line N, column M)".
        raise ConfigError(f"{display}: not valid TOML: {exc}") from None
    lines = _KeyLines(text)

    def fail(message: str, *, key: str, table: str = "", index: int | None = None) -> ConfigError:
        line = lines.find(key, index)
        where = f"{display}:{line}" if line else display
        prefix = f"{table}: " if table else ""
        return ConfigError(f"{where}: {prefix}{key}: {message}")

    for key in data:
        if key not in _TOP_KEYS:
            raise fail(unknown_key(key, _TOP_KEYS), key=key)
    refresh = _int_ms(data.get("refresh_ms", DEFAULT_REFRESH_MS), MIN_REFRESH_MS,
                      lambda m: fail(m, key="refresh_ms"))
    raw_plugins = data.get("plugins", [])
    if not isinstance(raw_plugins, list) or not all(isinstance(p, dict) for p in raw_plugins):
        raise fail("must be an array of tables: write each plugin as a [[plugins]] section", key="plugins")
    plugins: list[PluginConf] = []
    seen: dict[str, int] = {}
    for i, entry in enumerate(raw_plugins):
        plugin = _plugin(entry, i, base, fail)
        if plugin.name in seen:
            raise fail(f"duplicate name {plugin.name!r} (also used by [[plugins]] #{seen[plugin.name] + 1})",
                       key="name", table=_table(i, plugin.name), index=i)
        seen[plugin.name] = i
        plugins.append(plugin)
    return DofekConfig(path=None, refresh_ms=refresh, plugins=tuple(plugins))


def _plugin(entry: dict[str, Any], i: int, base: Path, fail: Any) -> PluginConf:
    raw_name = entry.get("name")
    table = _table(i, raw_name if isinstance(raw_name, str) else None)

    def bad(key: str, message: str) -> ConfigError:
        return fail(message, key=key, table=table, index=i)

    for key in entry:
        if key not in _PLUGIN_KEYS:
            raise bad(key, unknown_key(key, _PLUGIN_KEYS))
    if "name" not in entry:
        raise bad("name", "missing: every plugin needs a name (used for its log file and in the dock)")
    if not isinstance(raw_name, str) or not _NAME.match(raw_name):
        raise bad("name", f"invalid name {raw_name!r}: use letters, digits and _ - + @ "
                          "(at most 64 characters)")
    command = entry.get("command")
    if command is None:
        raise bad("command", "missing: the plugin's executable (a name on PATH, or a path)")
    if not isinstance(command, str) or not command.strip():
        raise bad("command", f"must be a non-empty string, got {_describe(command)}")
    args = entry.get("args", [])
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        raise bad("args", f"must be an array of strings, got {_describe(args)}")
    enabled = entry.get("enabled", True)
    if not isinstance(enabled, bool):
        raise bad("enabled", f"must be true or false, got {_describe(enabled)}")
    timeout = _int_ms(entry.get("timeout_ms", DEFAULT_TIMEOUT_MS), MIN_TIMEOUT_MS,
                      lambda m: bad("timeout_ms", m))
    return PluginConf(name=raw_name, command=command, args=tuple(args), enabled=enabled,
                      timeout_ms=timeout, cwd=base, executable=resolve_command(command, base))


def resolve_command(command: str, base: Path) -> str:
    """A bare name is looked up on PATH; a path is taken relative to the config's directory
    (`procs.which`). Never fails here: what cannot run fails at spawn, as a plugin that exited."""
    try:
        return resolve_executable(command, base)
    except NotExecutable as exc:
        return exc.path or command


def _int_ms(value: Any, minimum: int, fail: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise fail(f"must be a whole number of milliseconds, got {_describe(value)}")
    if not minimum <= value <= MAX_MS:
        raise fail(f"must be between {minimum} and {MAX_MS} ms, got {value}")
    return value


def _table(index: int, name: str | None) -> str:
    return f"[[plugins]] #{index + 1}" + (f" {name!r}" if name else "")


def _describe(value: Any) -> str:
    kind = {bool: "boolean", int: "integer", float: "float", str: "string", list: "array",
            dict: "table"}.get(type(value), type(value).__name__)
    text = repr(value)
    return f"{kind} {text if len(text) <= 40 else text[:40] + '…'}"


class _KeyLines:
    """Best-effort line numbers for keys: top level, or inside the Nth `[[plugins]]` section."""

    _HEADER = re.compile(r"^\s*\[\[\s*plugins\s*\]\]")
    _ANY_TABLE = re.compile(r"^\s*\[")

    def __init__(self, text: str):
        self.lines = text.splitlines()

    def find(self, key: str, index: int | None) -> int | None:
        pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
        start, end = 0, len(self.lines)
        if index is not None:
            headers = [n for n, line in enumerate(self.lines) if self._HEADER.match(line)]
            if index >= len(headers):
                return None
            start = headers[index]
            end = next((n for n in range(start + 1, len(self.lines))
                        if self._ANY_TABLE.match(self.lines[n])), len(self.lines))
            for n in range(start + 1, end):
                if pattern.match(self.lines[n]):
                    return n + 1
            return start + 1  # a missing key: point at the section header
        for n, line in enumerate(self.lines):
            if self._ANY_TABLE.match(line):
                break
            if pattern.match(line):
                return n + 1
        return None
