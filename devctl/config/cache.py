"""`.devctl/cache/config.json`: the parsed `.devctl.yaml`, reused while nothing it rests on changed.

Reading the file is cheap; importing PyYAML is not (15–20 ms on the development box, most of it
regular expressions PyYAML compiles at import), and `plan`, `up`, `build` and every plugin
command read the config. So a config that parsed *without a problem* is kept here as plain
JSON, and used again only while all of these are the same as when it was parsed:

- the config file (its path, mtime and ctime in ns, size) and the repo root;
- `PATH`, which plugin paths resolve against;
- each plugin's resolved executable (resolved again now: still the same file?) and workdir.

A plugin whose path is `devctl:python` runs on devctl's own interpreter, whichever runs now: the
parse would give `sys.executable`, so the cached spec gets it too. The interpreter is not part
of the key: the `devctl` script runs as `.venv/bin/python3`, `python -m devctl` often as
`.venv/bin/python`, and a key on it made every switch between the two parse again (the plan
bench alternated them: every run paid PyYAML).

Anything else — a missing, unreadable, corrupt or foreign cache, any change — means the file is
parsed again, so every problem is still reported by the parser with its file and line, and
nothing invalid is ever served from here (an invalid config is never stored). The file names in
messages (`DeclaredService.file`) are recomputed for the current directory. Writing is best
effort: a read-only `.devctl/` only costs the next run the parse.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from devctl.config import DEVCTL_PYTHON, Config, PluginSpec

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: the config is read before the plugins start
if TYPE_CHECKING:
    from typing import Any

#: Bumped whenever what is stored (or how it is checked) changes.
VERSION = 2
CACHE_FILE = "config.json"
_PLUGIN_FIELDS = ("id", "path", "args", "env", "priority", "enabled", "source", "line", "executable")


def cache_path(repo_root: Path) -> Path:
    return repo_root / ".devctl" / "cache" / CACHE_FILE


def _stamp(path: Path) -> list[int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino]


def key(path: Path, root: Path) -> dict[str, Any]:
    """What a parse of `path` rests on, taken *before* the file is read (an edit made while it is
    parsed then changes the stamp, and the next run parses again)."""
    return {"version": VERSION, "config": str(path.resolve()), "root": str(root), "stamp": _stamp(path),
            "PATH": os.environ.get("PATH")}


def _resolves_the_same(spec: PluginSpec, root: Path) -> bool:
    """The plugin's workdir is still a directory and its `path` still resolves to the same file."""
    if not spec.workdir.is_dir():
        return False
    if not spec.enabled:
        return True
    if spec.path == DEVCTL_PYTHON:
        return True  # `load` gave it the interpreter running now, as the parse would
    from devctl.procs.which import NotExecutable, resolve_executable

    try:
        found = resolve_executable(spec.path, root, spec.env.get("PATH", os.environ.get("PATH", os.defpath)))
    except NotExecutable:
        return False
    return found == spec.executable


def load(path: Path, root: Path, expected: dict[str, Any]) -> Config | None:
    """The config parsed from `path` last time, if still valid (see the module docstring);
    `expected` is `key(path, root)` now."""
    if expected["stamp"] is None:
        return None
    try:
        data = json.loads(cache_path(root).read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("key") != expected:
            return None
        body = data["config"]
        plugins = [PluginSpec(**{k: item[k] for k in _PLUGIN_FIELDS if k != "executable"},
                              executable=_executable(item), workdir=Path(item["workdir"]))
                   for item in body["plugins"]]
        services = _services(body["services"], path)
        cfg = Config(path=path.resolve(), repo_root=root, plugins=[p for p in plugins if p.enabled],
                     all_plugins=plugins, strictness=body["strictness"], preflight=body["preflight"],
                     notifiers=body["notifiers"], services=services)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if not all(_resolves_the_same(spec, root) for spec in plugins):
        return None
    return cfg


def _executable(item: dict[str, Any]) -> str:
    """The stored executable; `devctl:python` (enabled) is the interpreter running now."""
    if item["path"] == DEVCTL_PYTHON and item["enabled"]:
        return sys.executable
    return str(item["executable"])


def _services(items: list[dict[str, Any]], path: Path) -> list[Any]:
    if not items:
        return []
    from devctl.config.services_section import DeclaredService
    from devctl.errors import display_path

    display = display_path(path)
    return [DeclaredService(name=item["name"], raw=item["raw"], file=display, line=item["line"],
                            lines=item["lines"]) for item in items]


def store(cfg: Config, taken: dict[str, Any]) -> None:
    """Keep `cfg` (parsed without a problem from the file `taken` describes: `key()` before the
    parse) for the next run; never raises."""
    body = {
        "plugins": [{**{k: getattr(spec, k) for k in _PLUGIN_FIELDS}, "workdir": str(spec.workdir)}
                    for spec in cfg.all_plugins],
        "strictness": cfg.strictness, "preflight": cfg.preflight, "notifiers": cfg.notifiers,
        "services": [{"name": s.name, "raw": s.raw, "line": s.line, "lines": s.lines} for s in cfg.services],
    }
    try:
        text = json.dumps({"key": taken, "config": body}, ensure_ascii=False)
        if json.loads(text)["config"] != body:
            return  # YAML data JSON cannot carry as it is (a date, an integer key): parse each time
        from devctl.statedir import ensure_subdir
        from devctl.util.atomic import write_atomic

        write_atomic(ensure_subdir(cfg.repo_root, "cache") / CACHE_FILE, text, mode=0o600, durable=False)
    except Exception:  # a cache must never fail a command (an unusable .devctl/, a full disk, ...)
        return
