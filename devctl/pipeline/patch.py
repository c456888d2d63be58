"""Dotted-path config patches: `{"set": {"a.b": 1}, "unset": ["c"]}` applied to a config dict.

Rules (one place for them): `unset` runs before `set`; within each, keys are applied in sorted
order so the result never depends on how a plugin serialised its JSON; missing parents are
created as objects; setting through a value that is not an object is an error naming the
plugin and the path. Unsetting a path that does not exist is a no-op.
"""

from __future__ import annotations

from devctl.errors import PluginError

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: `up` loads this module (docs/performance.md, "T2")
if TYPE_CHECKING:
    from typing import Any

#: How deep a patched config may nest (path segments plus the value's own nesting). Configs are
#: a few levels deep; copying and printing a 500-deep one overflowed Python's recursion limit
#: (a traceback in the next `apply_patch`, in `plan --json`, on the way to the next plugin).
MAX_DEPTH = 64


def split_path(path: object, plugin: str) -> list[str]:
    """`"a.b.c"` → `["a", "b", "c"]`; empty segments (`"a..b"`, `""`) are refused."""
    if not isinstance(path, str):
        raise PluginError(plugin, f"config_patch: a path must be a string, got {path!r}")
    parts = path.split(".")
    if not path or any(not part for part in parts):
        raise PluginError(plugin, f"config_patch: invalid dotted path {path!r}")
    if len(parts) > MAX_DEPTH:
        raise PluginError(plugin, f"config_patch: path {path[:60]!r}… has {len(parts)} segments "
                                  f"(at most {MAX_DEPTH})")
    return parts


def check_patch(patch: object, plugin: str) -> tuple[dict[str, Any], list[str]]:
    """The (set, unset) parts of a patch, shape-checked; a missing patch is an empty one."""
    if patch is None:
        return {}, []
    if not isinstance(patch, dict):
        raise PluginError(plugin, f"config_patch must be an object, got {type(patch).__name__}")
    unknown = sorted(set(patch) - {"set", "unset"})
    if unknown:
        raise PluginError(plugin, f"config_patch: unknown key(s) {', '.join(unknown)} (expected set, unset)")
    sets = patch.get("set") or {}
    unsets = patch.get("unset") or []
    if not isinstance(sets, dict):
        raise PluginError(plugin, f"config_patch.set must be an object, got {type(sets).__name__}")
    if not isinstance(unsets, list):
        raise PluginError(plugin, f"config_patch.unset must be a list, got {type(unsets).__name__}")
    return sets, unsets


def apply_patch(config: dict[str, Any], patch: object, plugin: str) -> dict[str, Any]:
    """A new config with `patch` applied; `config` itself is left untouched."""
    sets, unsets = check_patch(patch, plugin)
    result = copied(config)
    for path in sorted(unsets, key=str):
        _unset(result, split_path(path, plugin))
    for path in sorted(sets):
        parts = split_path(path, plugin)
        if len(parts) + depth(sets[path]) > MAX_DEPTH:
            raise PluginError(plugin, f"config_patch: the value set at {path[:60]!r} nests more than "
                                      f"{MAX_DEPTH} levels deep in the config")
        _set(result, parts, copied(sets[path]), plugin, path)
    return result


def copied(value: Any) -> Any:
    """A deep copy of JSON data (objects, arrays, scalars: what a plugin's output decodes to).

    What `copy.deepcopy` did here, without importing `copy` (which pulls `weakref`: 2-5 ms of
    every `plan`, `up` and plugin command on the 2-core box). Scalars are immutable and kept;
    callers bound the depth first (MAX_DEPTH), so the recursion stays shallow."""
    if isinstance(value, dict):
        return {key: copied(item) for key, item in value.items()}
    if isinstance(value, list):
        return [copied(item) for item in value]
    return value


def depth(value: Any) -> int:
    """Nesting depth of a JSON value (a scalar is 0, `{"a": 1}` is 1), without recursion, so
    measuring a 100,000-deep value cannot overflow the stack it protects."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        if isinstance(node, dict):
            stack.extend((child, level + 1) for child in node.values())
        elif isinstance(node, list):
            stack.extend((child, level + 1) for child in node)
    return deepest


def _unset(config: dict[str, Any], parts: list[str]) -> None:
    node: Any = config
    for part in parts[:-1]:
        node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            return
    node.pop(parts[-1], None)


def _set(config: dict[str, Any], parts: list[str], value: Any, plugin: str, path: str) -> None:
    node = config
    for depth, part in enumerate(parts[:-1]):
        child = node.get(part)
        if child is None:
            child = node[part] = {}
        elif not isinstance(child, dict):
            through = ".".join(parts[: depth + 1])
            raise PluginError(
                plugin,
                f"config_patch: cannot set {path!r}: {through!r} is {_kind(child)}, not an object",
            )
        node = child
    node[parts[-1]] = value


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return f"a number ({value})"
    if isinstance(value, str):
        return f"a string ({value!r})"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__
