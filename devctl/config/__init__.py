"""`.devctl.yaml`: where it is and what it says.

This module is imported by cheap commands (`status`, `down`) just to find the repo root, so it
holds only the root search (the data types are in `devctl.config.model`, loaded on first use:
`dataclasses` is an import `status` need not pay); `load_config`'s steps are in
`devctl.config.locate`, and parsing (which needs PyYAML) in `devctl.config.loader`, imported
only when the file changed since it was last parsed (`devctl.config.cache`).
"""

from __future__ import annotations

from pathlib import Path

#: The file devctl looks for, like git looks for `.git` (named with devctl's other file names).
from devctl.layout import CONFIG_NAME as CONFIG_NAME

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: `typing` is an import this module avoids
if TYPE_CHECKING:
    from devctl.config.model import Config as Config
    from devctl.config.model import PluginSpec as PluginSpec

#: A plugin `path` meaning "the Python interpreter devctl itself runs on" (the one that can
#: import devctl.sdk, wherever devctl is installed: a venv, pipx, uv tool). `plugins new` writes
#: it, so a committed .devctl.yaml names no machine's interpreter path.
DEVCTL_PYTHON = "devctl:python"
#: Executables `plugins/devctl-<id>` under the repo root are plugins without any config.
DISCOVERY_DIR = "plugins"
DISCOVERY_PREFIX = "devctl-"
#: Discovered plugins run after configured ones unless those say otherwise.
DISCOVERED_PRIORITY = 1000


def searched_dirs(start: Path) -> list[Path]:
    """The directories `find_repo_root` checks, nearest first (for "where did devctl look")."""
    start = start.resolve()
    return [start, *start.parents]


def find_repo_root(start: Path) -> Path | None:
    """The nearest directory at or above `start` that holds `.devctl.yaml`, or None (the search
    is `devctl.layout.find_root`'s, which `down` runs before pathlib is even imported)."""
    from devctl.layout import find_root

    found = find_root(str(start))
    return None if found is None else Path(found)


def load_config(repo_root: Path | None = None, config_file: Path | None = None) -> Config:
    """Find, parse and check the config. Raises ConfigError ("file:line: key.path: message")."""
    from devctl.config.locate import load

    return load(repo_root, config_file)


def __getattr__(name: str) -> object:
    """`Config` and `PluginSpec` from `devctl.config.model`, imported when first asked for."""
    if name in ("Config", "PluginSpec"):
        from devctl.config import model

        return getattr(model, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
