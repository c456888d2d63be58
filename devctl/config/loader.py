"""Parse and check `.devctl.yaml`, resolve plugin paths, discover `plugins/devctl-*`.

Policy lives here and only here: which keys exist, their defaults, how a plugin `path` is
resolved, and where devctl looks for a config. Every problem names `file:line: key.path`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, cast

import yaml

from devctl.config import (
    CONFIG_NAME,
    DEVCTL_PYTHON,
    DISCOVERED_PRIORITY,
    DISCOVERY_DIR,
    DISCOVERY_PREFIX,
    Config,
    PluginSpec,
    find_repo_root,
    searched_dirs,
    services_section,
)
from devctl.config import nodes as n
from devctl.errors import ConfigError, display_path
from devctl.procs.which import DIRECTORY, MISSING, NOT_ON_PATH, NotExecutable, resolve_executable
from devctl.statedir import check_name
from devctl.util.suggest import unknown_key

TOP_KEYS = ("plugins", "strictness", "preflight", "notifiers", "services")
PLUGIN_KEYS = ("id", "path", "args", "env", "workdir", "priority", "enabled")
PREFLIGHT_KEYS = ("plugin", "config", "timeout_s")
NOTIFIER_KEYS = ("plugin", "config", "events", "timeout_s")
STRICTNESS = ("warn", "error")


def load(repo_root: Path | None, config_file: Path | None) -> Config:
    root, path, looked_in = _locate(repo_root, config_file)
    if path is not None:
        cfg = _parse_file(path, root)
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


def _parse_file(path: Path, root: Path) -> Config:
    display = display_path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{display}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise ConfigError(f"{display}: cannot read: {exc.strerror}") from None
    problems = n.Problems(display)
    cfg = Config(path=path.resolve(), repo_root=root, plugins=[], all_plugins=[])
    doc = n.compose(text, display)
    if doc is None or n.kind(doc) == "null":
        return cfg  # an empty file: no plugins, defaults everywhere
    top = n.want_mapping(doc, "", problems)
    if top is None:
        problems.raise_if_any()  # want_mapping has just reported why: this raises
        return cfg
    for key, key_node, value in n.mapping_items(top, "", problems):
        if key == "plugins":
            cfg.all_plugins = _plugins(value, root, problems)
        elif key == "strictness":
            text_value = n.want_str(value, key, problems)
            if text_value is not None and text_value not in STRICTNESS:
                problems.add(value, key, f"expected 'warn' or 'error', got {text_value!r}")
            elif text_value is not None:
                cfg.strictness = text_value
        elif key == "preflight":
            cfg.preflight = _entries(value, key, PREFLIGHT_KEYS, problems)
        elif key == "notifiers":
            cfg.notifiers = _entries(value, key, NOTIFIER_KEYS, problems)
        elif key == "services":
            cfg.services = services_section.parse(value, display, problems)
        else:
            problems.add(key_node, key, unknown_key(key, TOP_KEYS))
    problems.raise_if_any()
    return cfg


def _plugins(node: yaml.Node, root: Path, problems: n.Problems) -> list[PluginSpec]:
    if n.kind(node) == "null":
        return []
    items = n.want_list(node, "plugins", problems)
    specs: list[PluginSpec] = []
    first_line: dict[str, int] = {}
    for index, item in enumerate(items or []):
        keypath = f"plugins[{index}]"
        plugin_id, spec = _plugin(item, keypath, root, problems)
        if plugin_id is not None and plugin_id in first_line:
            where = _value_node(item, "id") or item
            problems.add(where, f"{keypath}.id",
                         f"duplicate id {plugin_id!r} (first used on line {first_line[plugin_id]})")
            continue
        if plugin_id is not None:
            first_line[plugin_id] = n.line_of(_value_node(item, "id") or item)
        if spec is not None:
            specs.append(spec)
    return specs


def _value_node(mapping: yaml.Node, key: str) -> yaml.Node | None:
    for key_node, value in getattr(mapping, "value", []):
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            return value
    return None


def _plugin(
    node: yaml.Node, keypath: str, root: Path, problems: n.Problems
) -> tuple[str | None, PluginSpec | None]:
    """(its id if readable, the spec if it is entirely valid)."""
    mapping = n.want_mapping(node, keypath, problems)
    if mapping is None:
        return None, None
    before = len(problems.lines)
    values: dict[str, object] = {}
    nodes: dict[str, yaml.Node] = {}
    for key, key_node, value in n.mapping_items(mapping, keypath, problems):
        child = n.join(keypath, key)
        nodes[key] = value
        if key == "id":
            text = n.want_text(value, child, problems)  # as written: `id: off` is "off", not False
            if text is not None:
                try:
                    values["id"] = check_name(text, what="plugin id")
                except ConfigError as exc:
                    problems.add(value, child, exc.message)
        elif key == "path":
            values["path"] = n.want_str(value, child, problems)
        elif key == "args":
            values["args"] = _text_list(value, child, problems)
        elif key == "env":
            values["env"] = _text_map(value, child, problems)
        elif key == "workdir":
            values["workdir"] = n.want_str(value, child, problems)
        elif key == "priority":
            values["priority"] = n.want_int(value, child, problems)
        elif key == "enabled":
            values["enabled"] = n.want_bool(value, child, problems)
        else:
            problems.add(key_node, child, unknown_key(key, PLUGIN_KEYS))
    for required in ("id", "path"):
        if required not in nodes:
            problems.add(node, keypath, f"missing '{required}'")
    # Each value has the type its `want_*` check gives (None when it failed): the casts say so.
    plugin_id = cast("str | None", values.get("id"))
    if len(problems.lines) > before:
        return plugin_id, None
    workdir = _workdir(values.get("workdir"), nodes.get("workdir"), keypath, root, problems)
    env = cast("dict[str, str]", values.get("env") or {})
    enabled = values.get("enabled", True)
    path = str(values["path"])
    executable = ""
    if enabled:
        executable = _resolve_path(path, nodes["path"], f"{keypath}.path", root, env, problems) or ""
    if workdir is None or (enabled and not executable):
        return plugin_id, None
    return plugin_id, PluginSpec(
        id=str(values["id"]),
        path=path,
        args=list(cast("list[str]", values.get("args") or [])),
        env=dict(env),
        workdir=workdir,
        priority=int(cast(int, values.get("priority", 0))),
        enabled=bool(enabled),
        source="config",
        line=n.line_of(node),
        executable=executable,
    )


def _text_list(node: yaml.Node, keypath: str, problems: n.Problems) -> list[str] | None:
    if n.kind(node) == "null":
        return []
    items = n.want_list(node, keypath, problems)
    if items is None:
        return None
    out = [n.want_text(item, f"{keypath}[{i}]", problems) for i, item in enumerate(items)]
    return [v for v in out if v is not None]


def _text_map(node: yaml.Node, keypath: str, problems: n.Problems) -> dict[str, str] | None:
    if n.kind(node) == "null":
        return {}
    mapping = n.want_mapping(node, keypath, problems)
    if mapping is None:
        return None
    out: dict[str, str] = {}
    for key, _key_node, value in n.mapping_items(mapping, keypath, problems):
        text = n.want_text(value, n.join(keypath, key), problems)
        if text is not None:
            out[key] = text
    return out


def _workdir(
    value: object, node: yaml.Node | None, keypath: str, root: Path, problems: n.Problems
) -> Path | None:
    if value is None:
        return root
    path = Path(os.path.normpath(root / Path(str(value)).expanduser()))
    if not path.is_dir():
        problems.add(node, f"{keypath}.workdir", f"{value!r} is not a directory (relative to the repo "
                     f"root {root})")
        return None
    return path


def _resolve_path(
    path: str, node: yaml.Node, keypath: str, root: Path, env: dict[str, str], problems: n.Problems
) -> str | None:
    """The absolute executable for `path`: a file in the repo if it has a '/', else PATH lookup
    (`procs.which`); a problem in the config's words when it cannot run. `devctl:python` is
    devctl's own interpreter."""
    if path == DEVCTL_PYTHON:
        return sys.executable
    try:
        return resolve_executable(path, root, env.get("PATH", os.environ.get("PATH", os.defpath)))
    except NotExecutable as exc:
        problems.add(node, keypath, {
            NOT_ON_PATH: f"{path!r} not found on PATH (a path with '/' is relative to the repo root, "
                         f"e.g. ./{path})",
            MISSING: f"{path!r} does not exist ({exc.path})",
            DIRECTORY: f"{path!r} is a directory, not an executable",
        }.get(exc.reason, f"{path!r} is not executable: chmod +x it, or run it through an "
                          f"interpreter (path: {_interpreter_for(path)}, args: [{path}])"))
        return None


#: The interpreter a non-executable plugin file most likely wants, by its suffix.
_INTERPRETERS = {".sh": "bash", ".bash": "bash", ".py": "python3", ".js": "node", ".mjs": "node",
                 ".rb": "ruby", ".pl": "perl"}


def _interpreter_for(path: str) -> str:
    """The interpreter to suggest for a script that lacks its executable bit: `bash` for a `.sh`
    (a shell script run by python3 fails with a confusing SyntaxError), python3 when unknown."""
    return _INTERPRETERS.get(Path(path).suffix.lower(), "python3")


def _entries(node: yaml.Node, key: str, known: tuple[str, ...], problems: n.Problems) -> list[dict[str, Any]]:
    """`preflight:` / `notifiers:` entries: checked lightly here, interpreted by devctl.dotagent."""
    if n.kind(node) == "null":
        return []
    out: list[dict[str, Any]] = []
    for index, item in enumerate(n.want_list(node, key, problems) or []):
        keypath = f"{key}[{index}]"
        mapping = n.want_mapping(item, keypath, problems)
        if mapping is None:
            continue
        entry: dict[str, Any] = {"plugin": None, "config": {}}
        if "events" in known:
            entry["events"] = []
        has_plugin = False
        for name, key_node, value in n.mapping_items(mapping, keypath, problems):
            child = n.join(keypath, name)
            if name == "plugin":
                has_plugin = True
                entry["plugin"] = n.want_str(value, child, problems)
            elif name == "config":
                if n.kind(value) != "null" and n.want_mapping(value, child, problems) is not None:
                    size = n.expanded_size(value)
                    if size is None:
                        problems.add(value, child, "refers to itself through a YAML alias (*name); "
                                     "a plugin's config must be a tree")
                    elif size > n.MAX_EXPANDED_VALUES:
                        problems.add(value, child, f"expands to more than {n.MAX_EXPANDED_VALUES} values "
                                     "through YAML aliases")
                    else:
                        entry["config"] = n.to_python(value)
            elif name == "timeout_s" and name in known:
                seconds = n.want_number(value, child, problems)
                if seconds is not None and seconds <= 0:
                    problems.add(value, child, f"must be positive, got {value.value}")
                entry["timeout_s"] = seconds
            elif name == "events" and name in known:
                events = _text_list(value, child, problems)
                entry["events"] = events or []
            else:
                problems.add(key_node, child, unknown_key(name, known))
        if not has_plugin:
            problems.add(item, keypath, "missing 'plugin'")
        out.append(entry)
    return out


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
