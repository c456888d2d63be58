"""The two data types of a loaded config: `PluginSpec` and `Config`.

Apart from `devctl.config` itself so that finding the repo root (`status`, `down`) does not
import `dataclasses`, which pulls `inspect` and with it `ast`, `dis` and `tokenize` (10-25 ms
on the 2-core box); `devctl.config` re-exports both names on first use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # a type only
    from devctl.config.services_section import DeclaredService


@dataclass(frozen=True)
class PluginSpec:
    """One plugin to start: what to run, where, with which extra environment."""

    id: str
    path: str  # as written in the config (or the discovered file, relative to the root)
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)  # merged over os.environ by the host
    workdir: Path = Path(".")  # absolute once loaded
    priority: int = 0
    enabled: bool = True
    source: str = "config"  # "config" | "discovered"
    line: int | None = None  # line in .devctl.yaml, for messages
    executable: str = ""  # resolved absolute path of `path` ("" for disabled plugins)

    def argv(self) -> list[str]:
        return [self.executable or self.path, *self.args]

    def sort_key(self) -> tuple[int, str]:
        """Plugins run in (priority, id) order: lower priority first, id breaks ties."""
        return (self.priority, self.id)


@dataclass
class Config:
    path: Path | None  # the .devctl.yaml used (None when only discovery found plugins)
    repo_root: Path  # absolute
    plugins: list[PluginSpec]  # enabled only, sorted by (priority, id)
    all_plugins: list[PluginSpec]  # including disabled, same order
    strictness: str = "warn"  # "warn" | "error"
    preflight: list[dict[str, Any]] = field(default_factory=list)  # [{plugin, config, timeout_s?}]
    notifiers: list[dict[str, Any]] = field(default_factory=list)  # [{plugin, config, events}]
    services: list[DeclaredService] = field(default_factory=list)  # `services:` (pipeline/declared.py)

    def plugin(self, plugin_id: str) -> PluginSpec | None:
        return next((p for p in self.all_plugins if p.id == plugin_id), None)
