"""`.devctl/cache/commands.json`: what each plugin's `commands.list` said, and when it holds.

Asking plugins costs a process start per plugin, so the answers are kept until one of the
files that could change them changes: the config file, the `plugins/` directory (a new
`plugins/devctl-*` appears there), and each plugin's files — its executable and every
argument that names an existing file (`path: python3, args: [plugins/x.py]` → both).
A file is "unchanged" when its path, mtime (ns) and size match.

Checking freshness needs no YAML parsing: the cache records the file list it was built from,
so `devctl --help` only stats a handful of files.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from devctl.plugin_commands.names import Listing
from devctl.util.filestamp import stat_entry
from devctl.util.records import Fields

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: a plugin command imports this before its spawn
if TYPE_CHECKING:
    from typing import Any

    from devctl.config import Config, PluginSpec

#: 3: a listing also holds the commands the handshake declares (capabilities.commands).
CACHE_VERSION = 3
CACHE_FILE = "commands.json"
STATE_DIR = ".devctl"


class CommandCache(Fields):
    """The cache file's content. A plain record (`devctl.util.records`), not a dataclass: every
    plugin command reads it, and `dataclasses` is 10-25 ms of import (with `inspect`)."""

    __slots__ = ("config", "strictness", "files", "listings", "created")
    config: str | None  # the config file it was built from (absolute), None for discovery only
    strictness: str
    files: list[list[Any]]  # [[path, mtime_ns, size], ...]
    listings: list[Listing]
    created: float

    def __init__(self, config: str | None, strictness: str, files: list[list[Any]],
                 listings: list[Listing] | None = None, created: float = 0.0) -> None:
        self.config = config
        self.strictness = strictness
        self.files = files
        self.listings = [] if listings is None else listings
        self.created = created

    def to_json(self) -> dict[str, Any]:
        return {"version": CACHE_VERSION, "config": self.config, "strictness": self.strictness,
                "files": self.files, "listings": [item.to_json() for item in self.listings],
                "created": self.created}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CommandCache:
        if data.get("version") != CACHE_VERSION:
            raise ValueError("cache version mismatch")
        return cls(config=data.get("config"), strictness=str(data.get("strictness", "warn")),
                   files=[list(f) for f in data["files"]],
                   listings=[Listing.from_json(item) for item in data["listings"]],
                   created=float(data.get("created", 0.0)))

    def has_failures(self) -> bool:
        return any(item.error for item in self.listings)


def cache_path(repo_root: Path) -> Path:
    return repo_root / STATE_DIR / "cache" / CACHE_FILE


def expected_config(repo_root: Path, config_opt: Path | None) -> Path | None:
    """The config file `load_config` would use (same rules, no parsing), for the freshness check."""
    from devctl.config import CONFIG_NAME

    if config_opt is not None:
        path = config_opt.expanduser()
        return (path if path.is_absolute() else repo_root / path).resolve()
    path = repo_root / CONFIG_NAME
    return path.resolve() if path.is_file() else None


def plugin_files(spec: PluginSpec) -> list[Path]:
    """The files whose change may change what `spec` declares."""
    files = [Path(spec.executable)] if spec.executable else []
    for arg in spec.args:
        if arg.startswith("-"):
            continue
        candidate = Path(arg) if os.path.isabs(arg) else spec.workdir / arg
        if candidate.is_file():
            files.append(candidate)
    return files


def watched_files(cfg: Config) -> list[Path]:
    from devctl.config import DISCOVERY_DIR

    paths: list[Path] = []
    if cfg.path is not None:
        paths.append(cfg.path)
    paths.append(cfg.repo_root / DISCOVERY_DIR)
    for spec in cfg.plugins:
        paths.extend(plugin_files(spec))
    unique = dict.fromkeys(str(p) for p in paths)
    return [Path(p) for p in unique]


def build(cfg: Config, listings: list[Listing]) -> CommandCache:
    return CommandCache(
        config=str(cfg.path) if cfg.path is not None else None,
        strictness=cfg.strictness,
        files=[stat_entry(p) for p in watched_files(cfg)],
        listings=listings,
        created=time.time(),
    )


def read(repo_root: Path) -> CommandCache | None:
    """The cache as stored, fresh or not; None when missing or unreadable (then: rebuild)."""
    try:
        data = json.loads(cache_path(repo_root).read_text(encoding="utf-8"))
        return CommandCache.from_json(data)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def is_fresh(cache: CommandCache, config_file: Path | None) -> bool:
    """True when the cache was built from `config_file` and none of its files changed."""
    if (str(config_file) if config_file is not None else None) != cache.config:
        return False
    return all(stat_entry(entry[0]) == entry for entry in cache.files)


def write(repo_root: Path, cache: CommandCache) -> Path:
    """Store atomically (temp file + rename), so a reader never sees half a cache."""
    from devctl.statedir import ensure_subdir
    from devctl.util.atomic import write_atomic

    target = ensure_subdir(repo_root, "cache") / CACHE_FILE
    write_atomic(target, json.dumps(cache.to_json(), indent=1), mode=0o600)
    return target
