"""Where the config is, what `plugins/devctl-*` adds, and the parse cache: `load_config`'s steps.

No PyYAML here: with an unchanged `.devctl.yaml` the parse comes from `devctl.config.cache`,
and `devctl.config.loader` (the parser) is imported only when the file must be read again.
"""

from __future__ import annotations

import os
from pathlib import Path

from devctl.config import (
    CONFIG_NAME,
    DISCOVERED_PRIORITY,
    DISCOVERY_DIR,
    DISCOVERY_PREFIX,
    Config,
    PluginSpec,
    find_repo_root,
    searched_dirs,
)
from devctl.errors import ConfigError


def load(repo_root: Path | None, config_file: Path | None) -> Config:
    root, path, looked_in = _locate(repo_root, config_file)
    if path is not None:
        cfg = _parsed(path, root)
    else:
        cfg = Config(path=None, repo_root=root, plugins=[], all_plugins=[])
    found = discover(root, {p.id for p in cfg.all_plugins})
    if path is None and not found:
        raise _not_found(root, looked_in, explicit_root=repo_root is not None)
    every = sorted([*cfg.all_plugins, *found], key=PluginSpec.sort_key)
    cfg.all_plugins = every
    cfg.plugins = [p for p in every if p.enabled]
    return cfg


def _locate(repo_root: Path | None, config_file: Path | None) -> tuple[Path, Path | None, list[Path]]:
    """(repo root, config file or None, directories searched)."""
    if repo_root is not None:
        root = repo_root.expanduser().resolve()
        if not root.is_dir():
            raise ConfigError(f"-C/--repo-root {repo_root}: not a directory")
        looked_in = [root]
    else:
        cwd = Path.cwd()
        root = find_repo_root(cwd) or cwd.resolve()
        looked_in = searched_dirs(cwd)
    if config_file is not None:
        path = config_file.expanduser()
        if not path.is_absolute():
            path = root / path
        if not path.is_file():
            raise ConfigError(
                f"--config {config_file}: no such file ({path}; a relative --config is relative "
                f"to the repo root {root})"
            )
        return root, path, looked_in
    path = root / CONFIG_NAME
    return root, (path if path.is_file() else None), looked_in


def _not_found(root: Path, looked_in: list[Path], *, explicit_root: bool) -> ConfigError:
    where = f"in {root}" if explicit_root else f"in {looked_in[0]} or any parent directory"
    details = [f"looked for {d / CONFIG_NAME}" for d in looked_in]
    details.append(f"and for executables {root / DISCOVERY_DIR / (DISCOVERY_PREFIX + '*')}")
    details.append("create .devctl.yaml at your repo root (see docs/configuration.md), "
                   "or point devctl at one with -C DIR or --config FILE")
    return ConfigError(f"no {CONFIG_NAME} found {where}", details=details)


def _parsed(path: Path, root: Path) -> Config:
    """The parsed config file: from the cache while the file (and what it resolved) is unchanged,
    else parsed — which raises every problem with its file and line — and then cached."""
    from devctl.config import cache

    taken = cache.key(path, root)
    cfg = cache.load(path, root, taken)
    if cfg is None:
        from devctl.config.loader import parse_file

        cfg = parse_file(path, root)
        cache.store(cfg, taken)
    return cfg


def discover(root: Path, configured: set[str]) -> list[PluginSpec]:
    """Executables `plugins/devctl-<id>` under the root, unless `<id>` is configured already."""
    directory = root / DISCOVERY_DIR
    if not directory.is_dir():
        return []
    found: list[PluginSpec] = []
    for entry in sorted(directory.iterdir()):
        name = entry.name
        if not name.startswith(DISCOVERY_PREFIX) or not entry.is_file() or not os.access(entry, os.X_OK):
            continue
        plugin_id = name[len(DISCOVERY_PREFIX) :]
        if plugin_id in configured:
            continue
        from devctl.statedir import check_name

        try:
            check_name(plugin_id, what="plugin id")
        except ConfigError:
            continue  # e.g. a bare `devctl-`: not a usable id, so not a plugin
        found.append(
            PluginSpec(
                id=plugin_id,
                path=f"{DISCOVERY_DIR}/{name}",
                workdir=root,
                priority=DISCOVERED_PRIORITY,
                source="discovered",
                executable=str(entry),
            )
        )
    return found
