"""Parse and check `.devctl.yaml` and resolve plugin paths (PyYAML is imported here only).

Policy lives here and only here: which keys exist, their defaults, how a plugin `path` is
resolved. Every problem names `file:line: key.path`. Where devctl looks for a config, the
discovered `plugins/devctl-*` and the parse cache are `devctl.config.locate`'s.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from devctl.config import DEVCTL_PYTHON, Config, PluginSpec, services_section
from devctl.config import nodes as n
from devctl.config.pyyaml import yaml
from devctl.errors import ConfigError, display_path
from devctl.procs.which import DIRECTORY, MISSING, NOT_ON_PATH, NotExecutable, resolve_executable
from devctl.statedir import check_name
from devctl.util.suggest import unknown_key

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: the config is read before the plugins start
if TYPE_CHECKING:
    from typing import Any

TOP_KEYS = ("plugins", "strictness", "preflight", "notifiers", "services")
PLUGIN_KEYS = ("id", "path", "args", "env", "workdir", "priority", "enabled")
PREFLIGHT_KEYS = ("plugin", "config", "timeout_s")
NOTIFIER_KEYS = ("plugin", "config", "events", "timeout_s")
STRICTNESS = ("warn", "error")


def parse_file(path: Path, root: Path) -> Config:
    """Parse and check the config file `path` (every problem named `file:line: key.path`)."""
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
    # Each value has the type its `want_*` check gives (None when it failed).
    values: dict[str, Any] = {}
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
    plugin_id: str | None = values.get("id")
    if len(problems.lines) > before:
        return plugin_id, None
    workdir = _workdir(values.get("workdir"), nodes.get("workdir"), keypath, root, problems)
    env: dict[str, str] = values.get("env") or {}
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
        args=list(values.get("args") or []),
        env=dict(env),
        workdir=workdir,
        priority=int(values.get("priority", 0)),
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
