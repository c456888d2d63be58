"""`dofek.toml`: where it is looked for, what it may contain, and errors that point at the line.

The file format is upstream Dofek's: a user's existing `dofek.toml` (the one its README tells
them to copy into their config dir) works as it is.
- `[general] refresh_ms`, `history_len` and `[[plugins]]` are used. A top-level `refresh_ms`
  (devctl's first spelling) is still read.
- The sections Dofek uses for its own system panels (`display`, `ai`, `lhm`, `categories`,
  `telemetry`) are accepted and ignored: `DofekConfig.ignored` lists them for `-v`.
- Unknown keys are warnings (`DofekConfig.warnings`), never errors: Dofek ignores them, so a
  config written for a newer Dofek must not stop devctl. Wrong types stay errors, as in Dofek.

Lookup order (`locate`): `--config FILE` alone when given; else `./dofek.toml`, then
`<repo root>/dofek.toml`, then Dofek's per-user file `<user config dir>/dofek/dofek.toml`.
Like Dofek, the managed `<user config dir>/dofek/plugins.toml` (written by
`dofek-tui plugins add`) is merged in whichever file was used, and a bare command name is
looked up in `<user config dir>/dofek/plugins/` before PATH. The user config dir is Dofek's
(the `dirs` crate's): `$XDG_CONFIG_HOME` when absolute, else `~/.config`; on macOS
`~/Library/Application Support`.

Every problem becomes one `ConfigError` naming the file, the line when it can be found, the
table (`[[plugins]] #2 'name'`) and the key, so a user never has to guess which entry is
wrong. tomllib gives no positions for keys, so `_KeyLines` finds them with a small text scan.
"""

from __future__ import annotations

import os
import re
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from devctl.errors import ConfigError, display_path
from devctl.procs.which import NotExecutable, has_dir, resolve_executable
from devctl.util.suggest import unknown_key

CONFIG_NAME = "dofek.toml"
#: Dofek's managed plugin list and binaries, next to its per-user dofek.toml.
MANAGED_NAME = "plugins.toml"
PLUGINS_DIR_NAME = "plugins"
DEFAULT_REFRESH_MS = 1000
DEFAULT_TIMEOUT_MS = 2000
DEFAULT_HISTORY_LEN = 60
MIN_REFRESH_MS = 50
MIN_TIMEOUT_MS = 10
MAX_MS = 3_600_000
MAX_HISTORY_LEN = 10_000
_TOP_KEYS = ("general", "plugins", "refresh_ms")
#: Upstream Dofek sections for its own panels: read by Dofek, not by devctl.
UPSTREAM_SECTIONS = ("display", "ai", "lhm", "categories", "telemetry")
_GENERAL_KEYS = ("refresh_ms", "history_len")
_PLUGIN_KEYS = ("name", "command", "args", "enabled", "timeout_ms")
#: plugins.toml entries also record the probed manifest.
_MANAGED_KEYS = (*_PLUGIN_KEYS, "description", "version", "author")
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_+@-]{0,63}$")

#: `DofekConfig.source` values: how the file was found.
FROM_OPTION, FROM_CWD, FROM_REPO, FROM_USER, FROM_DEFAULTS = (
    "--config", "current directory", "repo root", "user config dir", "defaults")


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
    #: The file this entry came from (dofek.toml, or Dofek's managed plugins.toml).
    origin: str = ""

    def argv(self) -> list[str]:
        return [self.executable or self.command, *self.args]


@dataclass(frozen=True)
class DofekConfig:
    path: Path | None
    refresh_ms: int = DEFAULT_REFRESH_MS
    plugins: tuple[PluginConf, ...] = ()
    #: Samples of each metric kept for its sparkline (upstream's `[general] history_len`).
    history_len: int = DEFAULT_HISTORY_LEN
    #: Things Dofek ignores silently (unknown keys, a broken plugins.toml): shown as warnings.
    warnings: tuple[str, ...] = ()
    #: Upstream sections present in the file that devctl does not use (listed at `-v`).
    ignored: tuple[str, ...] = ()
    #: How the file was found (one of the `FROM_*` values).
    source: str = ""
    #: Dofek's managed plugins.toml, when one was merged in.
    managed: Path | None = None

    @property
    def enabled(self) -> list[PluginConf]:
        return [p for p in self.plugins if p.enabled]


def user_config_dir(env: Mapping[str, str] | None = None, platform: str | None = None) -> Path:
    """Dofek's per-user config dir (`dirs::config_dir()`), without the `dofek` part."""
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    try:
        home = Path(env["HOME"]) if env.get("HOME") else Path.home()
    except (RuntimeError, KeyError):  # no HOME and no passwd entry (a bare container)
        home = Path("/nonexistent")
    if platform == "darwin":
        return home / "Library" / "Application Support"
    xdg = env.get("XDG_CONFIG_HOME", "")
    if xdg and os.path.isabs(xdg):
        return Path(xdg)
    return home / ".config"


def user_dofek_dir(env: Mapping[str, str] | None = None, platform: str | None = None) -> Path:
    return user_config_dir(env, platform) / "dofek"


def locate(explicit: Path | None, cwd: Path, repo_root: Path | None,
           env: Mapping[str, str] | None = None) -> tuple[Path | None, str]:
    """(config file, how it was found). (None, FROM_DEFAULTS) when there is no dofek.toml but
    Dofek's managed plugins.toml exists: Dofek then runs on defaults plus those plugins.
    Otherwise ConfigError saying where we looked."""
    if explicit is not None:
        path = explicit if explicit.is_absolute() else cwd / explicit
        if not path.is_file():
            raise ConfigError(f"{explicit}: no such config file (given with --config)")
        return path, FROM_OPTION
    user = user_dofek_dir(env)
    looked = [(cwd / CONFIG_NAME, FROM_CWD)]
    if repo_root is not None and repo_root.resolve() != cwd.resolve():
        looked.append((repo_root / CONFIG_NAME, FROM_REPO))
    looked.append((user / CONFIG_NAME, FROM_USER))
    for path, source in looked:
        if path.is_file():
            return path, source
    if (user / MANAGED_NAME).is_file():
        return None, FROM_DEFAULTS
    raise ConfigError(
        f"no {CONFIG_NAME} found",
        details=[f"looked for {p}" for p, _ in looked]
        + ["create one (see docs/dofek.md), or pass --config FILE",
           "`devctl dofek new NAME` writes a starter plugin and prints its [[plugins]] entry"],
    )


def find_config(explicit: Path | None, cwd: Path, repo_root: Path | None,
                env: Mapping[str, str] | None = None) -> Path:
    """The config file to use (see `locate`), or ConfigError saying where we looked."""
    path, _ = locate(explicit, cwd, repo_root, env)
    if path is None:
        raise ConfigError(f"no {CONFIG_NAME} found")
    return path


def load_found(explicit: Path | None, cwd: Path, repo_root: Path | None,
               env: Mapping[str, str] | None = None) -> DofekConfig:
    """Locate, load and merge Dofek's managed plugins: what `devctl dofek run/poll` use."""
    path, source = locate(explicit, cwd, repo_root, env)
    user = user_dofek_dir(env)
    plugins_dir = user / PLUGINS_DIR_NAME
    cfg = DofekConfig(path=None) if path is None else load(path, plugins_dir=plugins_dir)
    return merge_managed(replace(cfg, source=source), user / MANAGED_NAME, plugins_dir)


def load(path: Path, *, plugins_dir: Path | None = None) -> DofekConfig:
    """Read and check a dofek.toml. Raises ConfigError naming file, line, table and key."""
    display = display_path(path)
    return replace(parse(_read(path, display), display=display, base=path.parent,
                         plugins_dir=plugins_dir), path=path)


def merge_managed(cfg: DofekConfig, managed: Path, plugins_dir: Path | None) -> DofekConfig:
    """Append the entries of Dofek's plugins.toml, as Dofek does. A broken file, or an entry
    whose name is taken, is a warning and skipped (Dofek logs and skips it too)."""
    if not managed.is_file():
        return cfg
    display = display_path(managed)
    warnings = list(cfg.warnings)
    try:
        extra = parse(_read(managed, display), display=display, base=managed.parent,
                      plugins_dir=plugins_dir, managed=True)
    except ConfigError as exc:
        warnings.append(f"{exc.message}; its plugins are skipped, as Dofek does")
        return replace(cfg, warnings=tuple(warnings), managed=managed)
    warnings += extra.warnings
    names = {p.name for p in cfg.plugins}
    plugins = list(cfg.plugins)
    for plugin in extra.plugins:
        if plugin.name in names:
            warnings.append(f"{display}: [[plugins]] {plugin.name!r}: a plugin of that name is already "
                            f"in {display_path(cfg.path) if cfg.path else CONFIG_NAME}; skipped")
            continue
        names.add(plugin.name)
        plugins.append(plugin)
    return replace(cfg, plugins=tuple(plugins), warnings=tuple(warnings), managed=managed)


def _read(path: Path, display: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{display}: cannot read: {exc}") from None


def parse(text: str, *, display: str = CONFIG_NAME, base: Path | None = None,
          plugins_dir: Path | None = None, managed: bool = False) -> DofekConfig:
    """Check TOML text (pure apart from the PATH lookup of commands). `managed`: Dofek's
    plugins.toml (only `[[plugins]]`, with the manifest fields it records)."""
    base = (base or Path.cwd()).resolve()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message already ends in "(at line N, column M)".
        raise ConfigError(f"{display}: not valid TOML: {exc}") from None
    lines = _KeyLines(text)
    warnings: list[str] = []

    def where(key: str, index: int | None = None, table: str | None = None) -> str:
        line = lines.find(key, index, table)
        return f"{display}:{line}" if line else display

    def fail(message: str, *, key: str, table: str = "", index: int | None = None,
             section: str | None = None) -> ConfigError:
        prefix = f"{table}: " if table else ""
        return ConfigError(f"{where(key, index, section)}: {prefix}{key}: {message}")

    def unknown(key: str, known: tuple[str, ...], *, table: str = "", index: int | None = None,
                section: str | None = None) -> None:
        prefix = f"{table}: " if table else ""
        warnings.append(f"{where(key, index, section)}: {prefix}{key}: {unknown_key(key, known)}; "
                        "ignored (Dofek ignores it too)")

    ignored: list[str] = []
    for key in data:
        if managed and key != "plugins":
            unknown(key, ("plugins",))
        elif key in UPSTREAM_SECTIONS:
            ignored.append(key)
        elif key not in _TOP_KEYS:
            unknown(key, (*_TOP_KEYS, *UPSTREAM_SECTIONS))
    general = {} if managed else data.get("general", {})
    if not isinstance(general, dict):
        raise fail("must be a table: write it as a [general] section", key="general")
    for key in general:
        if key not in _GENERAL_KEYS:
            unknown(key, _GENERAL_KEYS, table="[general]", section="general")
    refresh = DEFAULT_REFRESH_MS
    if "refresh_ms" in general:
        refresh = _int_ms(general["refresh_ms"], MIN_REFRESH_MS, MAX_MS,
                          lambda m: fail(m, key="refresh_ms", table="[general]", section="general"))
        if "refresh_ms" in data and data["refresh_ms"] != general["refresh_ms"]:
            raise fail(f"set twice with different values ({data['refresh_ms']!r} here, "
                       f"{general['refresh_ms']!r} in [general]); keep [general] refresh_ms",
                       key="refresh_ms")
    elif "refresh_ms" in data and not managed:
        refresh = _int_ms(data["refresh_ms"], MIN_REFRESH_MS, MAX_MS, lambda m: fail(m, key="refresh_ms"))
    history = _int_ms(general.get("history_len", DEFAULT_HISTORY_LEN), 1, MAX_HISTORY_LEN,
                      lambda m: fail(m, key="history_len", table="[general]", section="general"),
                      unit="samples")
    raw_plugins = data.get("plugins", [])
    if not isinstance(raw_plugins, list) or not all(isinstance(p, dict) for p in raw_plugins):
        raise fail("must be an array of tables: write each plugin as a [[plugins]] section", key="plugins")
    plugins: list[PluginConf] = []
    seen: dict[str, int] = {}
    for i, entry in enumerate(raw_plugins):
        plugin = _plugin(entry, i, base, fail, unknown, plugins_dir, managed)
        plugin = replace(plugin, origin=display)
        if plugin.name in seen:
            raise fail(f"duplicate name {plugin.name!r} (also used by [[plugins]] #{seen[plugin.name] + 1})",
                       key="name", table=_table(i, plugin.name), index=i)
        seen[plugin.name] = i
        plugins.append(plugin)
    return DofekConfig(path=None, refresh_ms=refresh, plugins=tuple(plugins), history_len=history,
                       warnings=tuple(warnings), ignored=tuple(ignored))


def _plugin(entry: dict[str, Any], i: int, base: Path, fail: Any, unknown: Any,
            plugins_dir: Path | None, managed: bool) -> PluginConf:
    raw_name = entry.get("name")
    table = _table(i, raw_name if isinstance(raw_name, str) else None)

    def bad(key: str, message: str) -> ConfigError:
        return fail(message, key=key, table=table, index=i)

    known = _MANAGED_KEYS if managed else _PLUGIN_KEYS
    for key in entry:
        if key not in known:
            unknown(key, known, table=table, index=i)
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
    timeout = _int_ms(entry.get("timeout_ms", DEFAULT_TIMEOUT_MS), MIN_TIMEOUT_MS, MAX_MS,
                      lambda m: bad("timeout_ms", m))
    return PluginConf(name=raw_name, command=command, args=tuple(args), enabled=enabled,
                      timeout_ms=timeout, cwd=base,
                      executable=resolve_command(command, base, plugins_dir))


def resolve_command(command: str, base: Path, plugins_dir: Path | None = None) -> str:
    """A bare name is looked up in Dofek's managed plugins dir (when given), then on PATH; a
    path is taken relative to the config's directory (`procs.which`). Never fails here: what
    cannot run fails at spawn, as a plugin that exited."""
    if plugins_dir is not None and not has_dir(command):
        candidate = plugins_dir / command
        if candidate.is_file():
            return str(candidate)
    try:
        return resolve_executable(command, base)
    except NotExecutable as exc:
        return exc.path or command


def _int_ms(value: Any, minimum: int, maximum: int, fail: Any, unit: str = "ms") -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        what = "milliseconds" if unit == "ms" else unit
        raise fail(f"must be a whole number of {what}, got {_describe(value)}")
    if not minimum <= value <= maximum:
        raise fail(f"must be between {minimum} and {maximum} {unit}, got {value}")
    return value


def _table(index: int, name: str | None) -> str:
    return f"[[plugins]] #{index + 1}" + (f" {name!r}" if name else "")


def _describe(value: Any) -> str:
    kind = {bool: "boolean", int: "integer", float: "float", str: "string", list: "array",
            dict: "table"}.get(type(value), type(value).__name__)
    text = repr(value)
    return f"{kind} {text if len(text) <= 40 else text[:40] + '…'}"


class _KeyLines:
    """Best-effort line numbers for keys: top level, in a named `[table]`, or inside the Nth
    `[[plugins]]` section."""

    _HEADER = re.compile(r"^\s*\[\[\s*plugins\s*\]\]")
    _ANY_TABLE = re.compile(r"^\s*\[")

    def __init__(self, text: str):
        self.lines = text.splitlines()

    def _section_end(self, start: int) -> int:
        return next((n for n in range(start + 1, len(self.lines))
                     if self._ANY_TABLE.match(self.lines[n])), len(self.lines))

    def find(self, key: str, index: int | None = None, table: str | None = None) -> int | None:
        pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
        if index is not None or table is not None:
            if index is not None:
                headers = [n for n, line in enumerate(self.lines) if self._HEADER.match(line)]
            else:
                header = re.compile(rf"^\s*\[\s*{re.escape(str(table))}\s*\]")
                headers = [n for n, line in enumerate(self.lines) if header.match(line)]
            n_index = index or 0
            if n_index >= len(headers):
                return None
            start = headers[n_index]
            for n in range(start + 1, self._section_end(start)):
                if pattern.match(self.lines[n]):
                    return n + 1
            return start + 1  # a missing key: point at the section header
        for n, line in enumerate(self.lines):
            if self._ANY_TABLE.match(line):
                break
            if pattern.match(line):
                return n + 1
        return None
