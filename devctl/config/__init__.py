"""`.devctl.yaml`: where it is and what it says.

This module is imported by cheap commands (`status`, `down`) just to find the repo root, so it
holds only the data types and the root search; `load_config`'s steps are in
`devctl.config.locate`, and parsing (which needs PyYAML) in `devctl.config.loader`, imported
only when the file changed since it was last parsed (`devctl.config.cache`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # a type only: this module must stay cheap to import
    from devctl.config.services_section import DeclaredService

#: The file devctl looks for, like git looks for `.git`.
CONFIG_NAME = ".devctl.yaml"
#: A plugin `path` meaning "the Python interpreter devctl itself runs on" (the one that can
#: import devctl.sdk, wherever devctl is installed: a venv, pipx, uv tool). `plugins new` writes
#: it, so a committed .devctl.yaml names no machine's interpreter path.
DEVCTL_PYTHON = "devctl:python"
#: Executables `plugins/devctl-<id>` under the repo root are plugins without any config.
DISCOVERY_DIR = "plugins"
DISCOVERY_PREFIX = "devctl-"
#: Discovered plugins run after configured ones unless those say otherwise.
DISCOVERED_PRIORITY = 1000


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


def searched_dirs(start: Path) -> list[Path]:
    """The directories `find_repo_root` checks, nearest first (for "where did devctl look")."""
    start = start.resolve()
    return [start, *start.parents]


def find_repo_root(start: Path) -> Path | None:
    """The nearest directory at or above `start` that holds `.devctl.yaml`, or None."""
    for directory in searched_dirs(start):
        try:
            if (directory / CONFIG_NAME).is_file():
                return directory
        except OSError:  # ENAMETOOLONG near PATH_MAX: no config can be read from there either
            continue
    return None


def load_config(repo_root: Path | None = None, config_file: Path | None = None) -> Config:
    """Find, parse and check the config. Raises ConfigError ("file:line: key.path: message")."""
    from devctl.config.locate import load

    return load(repo_root, config_file)
