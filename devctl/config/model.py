"""The two data types of a loaded config: `PluginSpec` and `Config`.

Apart from `devctl.config` itself so that finding the repo root (`status`, `down`) loads
neither of them; `devctl.config` re-exports both names on first use. They are plain records
(`devctl.util.records`), not dataclasses: `dataclasses` pulls `inspect` (and `ast`, `dis`,
`tokenize`), 10-25 ms on the 2-core box, and `plan`, `up` and every plugin command load these
two before their first plugin request. They behave as the dataclasses did: the same fields,
keyword or positional, with the same defaults; equal by fields; `PluginSpec` immutable.
`devctl.util.records.replace(cfg, ...)` copies a Config with changes.
"""

from __future__ import annotations

from pathlib import Path

from devctl.util.records import Fields, Record

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: see the module docstring of devctl.config
if TYPE_CHECKING:
    from typing import Any

    from devctl.config.services_section import DeclaredService

_set = object.__setattr__


class PluginSpec(Record):
    """One plugin to start: what to run, where, with which extra environment."""

    __slots__ = ("id", "path", "args", "env", "workdir", "priority", "enabled", "source", "line",
                 "executable")
    id: str
    path: str  # as written in the config (or the discovered file, relative to the root)
    args: list[str]
    env: dict[str, str]  # merged over os.environ by the host
    workdir: Path  # absolute once loaded
    priority: int
    enabled: bool
    source: str  # "config" | "discovered"
    line: int | None  # line in .devctl.yaml, for messages
    executable: str  # resolved absolute path of `path` ("" for disabled plugins)

    def __init__(self, id: str, path: str, args: list[str] | None = None,  # noqa: A002 (the field's name)
                 env: dict[str, str] | None = None, workdir: Path = Path("."), priority: int = 0,
                 enabled: bool = True, source: str = "config", line: int | None = None,
                 executable: str = "") -> None:
        _set(self, "id", id)
        _set(self, "path", path)
        _set(self, "args", [] if args is None else args)
        _set(self, "env", {} if env is None else env)
        _set(self, "workdir", workdir)
        _set(self, "priority", priority)
        _set(self, "enabled", enabled)
        _set(self, "source", source)
        _set(self, "line", line)
        _set(self, "executable", executable)

    def argv(self) -> list[str]:
        return [self.executable or self.path, *self.args]

    def sort_key(self) -> tuple[int, str]:
        """Plugins run in (priority, id) order: lower priority first, id breaks ties."""
        return (self.priority, self.id)


class Config(Fields):
    """The loaded `.devctl.yaml` (and the plugins `plugins/devctl-*` adds): see docs/dev/contracts.md."""

    __slots__ = ("path", "repo_root", "plugins", "all_plugins", "strictness", "preflight", "notifiers",
                 "services")
    path: Path | None  # the .devctl.yaml used (None when only discovery found plugins)
    repo_root: Path  # absolute
    plugins: list[PluginSpec]  # enabled only, sorted by (priority, id)
    all_plugins: list[PluginSpec]  # including disabled, same order
    strictness: str  # "warn" | "error"
    preflight: list[dict[str, Any]]  # [{plugin, config, timeout_s?}]
    notifiers: list[dict[str, Any]]  # [{plugin, config, events}]
    services: list[DeclaredService]  # `services:` (pipeline/declared.py)

    def __init__(self, path: Path | None, repo_root: Path, plugins: list[PluginSpec],
                 all_plugins: list[PluginSpec], strictness: str = "warn",
                 preflight: list[dict[str, Any]] | None = None, notifiers: list[dict[str, Any]] | None = None,
                 services: list[DeclaredService] | None = None) -> None:
        self.path = path
        self.repo_root = repo_root
        self.plugins = plugins
        self.all_plugins = all_plugins
        self.strictness = strictness
        self.preflight = [] if preflight is None else preflight
        self.notifiers = [] if notifiers is None else notifiers
        self.services = [] if services is None else services

    def plugin(self, plugin_id: str) -> PluginSpec | None:
        return next((p for p in self.all_plugins if p.id == plugin_id), None)
