"""Read YAML as nodes so every value keeps its line, and report problems as `file:line: key: msg`.

PyYAML's `safe_load` throws line numbers away. Composing the node graph instead keeps a mark
on every key and value, so a wrong type deep in the file is reported where it is. Problems are
collected (one run shows all of them) and raised as a single ConfigError.
"""

from __future__ import annotations

from devctl.config.pyyaml import yaml
from devctl.errors import ConfigError

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: the config is read before the plugins start
if TYPE_CHECKING:
    from typing import Any

_TAG = "tag:yaml.org,2002:"
#: How many further problems are listed under the first one.
_MAX_DETAILS = 10


class Problems:
    """Collects `file:line: key.path: message` lines for one config file."""

    def __init__(self, display: str):
        self.display = display
        self.lines: list[str] = []

    def add(self, node: yaml.Node | None, keypath: str, message: str) -> None:
        where = f"{self.display}:{line_of(node)}" if node is not None else self.display
        self.lines.append(f"{where}: {keypath}: {message}" if keypath else f"{where}: {message}")

    def raise_if_any(self) -> None:
        if not self.lines:
            return
        first, rest = self.lines[0], self.lines[1:]
        details = rest[:_MAX_DETAILS]
        if len(rest) > _MAX_DETAILS:
            details.append(f"... and {len(rest) - _MAX_DETAILS} more")
        raise ConfigError(first, details=details)


def _tab_hint(text: str, mark: yaml.Mark | None) -> str:
    """YAML forbids tabs in indentation, and the parser's own words for it ("found character
    that cannot start any token") never say so; an editor that inserts tabs is the usual cause."""
    if mark is None:
        return ""
    lines = text.splitlines()
    line = lines[mark.line] if mark.line < len(lines) else ""
    if "\t" not in line[: len(line) - len(line.lstrip())] and "\t" not in line[mark.column: mark.column + 1]:
        return ""
    return f"; line {mark.line + 1} has a tab: YAML indentation must use spaces, not tabs"


def line_of(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def compose(text: str, display: str) -> yaml.Node | None:
    """Parse `text` into a node graph; malformed YAML becomes a ConfigError with its line."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.compose(text, Loader=loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{display}:{mark.line + 1}" if mark else display
        problem = exc.problem or exc.context or "cannot parse"
        extra = f" ({exc.context})" if exc.context and exc.problem else ""
        raise ConfigError(f"{where}: invalid YAML: {problem}{extra}{_tab_hint(text, mark)}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{display}: invalid YAML: {exc}") from None


def kind(node: yaml.Node) -> str:
    """'mapping' | 'list' | the scalar's YAML type ('str', 'int', 'bool', 'float', 'null', ...)."""
    if isinstance(node, yaml.MappingNode):
        return "mapping"
    if isinstance(node, yaml.SequenceNode):
        return "list"
    return node.tag[len(_TAG) :] if node.tag.startswith(_TAG) else node.tag


def describe(node: yaml.Node) -> str:
    """How a value reads in a message: `'high'`, `3`, `null`, `a mapping`, `a list`."""
    k = kind(node)
    if k == "mapping":
        return "a mapping"
    if k == "list":
        return "a list"
    if k == "null":
        return "nothing (null)"
    if k == "str":
        return repr(node.value)
    return str(node.value)


#: A free-form section may expand (through YAML aliases) to at most this many values.
MAX_EXPANDED_VALUES = 100_000


def expanded_size(node: yaml.Node) -> int | None:
    """How many values `node` holds once every `*alias` is expanded; None if an alias refers
    to one of its own ancestors (a cycle).

    Free-form sections are sent to plugins as JSON, which expands aliases: a cycle cannot be
    encoded at all, and a few nested aliases ("billion laughs") expand exponentially. Counted
    with a memo per node, so the check itself stays linear in the file.
    """
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(n: yaml.Node) -> int | None:
        key = id(n)
        if key in sizes:
            return sizes[key]
        if key in active:
            return None
        active.add(key)
        if isinstance(n, yaml.MappingNode):
            children = [c for pair in n.value for c in pair]
        elif isinstance(n, yaml.SequenceNode):
            children = list(n.value)
        else:
            children = []
        total = 1
        for child in children:
            sub = size(child)
            if sub is None:
                return None
            total = min(total + sub, MAX_EXPANDED_VALUES + 1)
        active.discard(key)
        sizes[key] = total
        return total

    return size(node)


def to_python(node: yaml.Node) -> Any:
    """The plain Python value of a node (for free-form sections such as a plugin's `config`)."""
    return yaml.constructor.SafeConstructor().construct_document(node)


def mapping_items(
    node: yaml.MappingNode, keypath: str, problems: Problems
) -> list[tuple[str, yaml.Node, yaml.Node]]:
    """(key, key node, value node) for each entry; reports non-string and duplicate keys."""
    yaml.constructor.SafeConstructor().flatten_mapping(node)  # resolve `<<: *anchor` merges
    seen: dict[str, int] = {}
    items = []
    for key_node, value_node in node.value:
        if kind(key_node) != "str":
            problems.add(key_node, keypath, f"keys must be strings, got {describe(key_node)}")
            continue
        key = key_node.value
        child = join(keypath, key)
        if key in seen:
            problems.add(key_node, child, f"duplicate key (first set on line {seen[key]})")
            continue
        seen[key] = line_of(key_node)
        items.append((key, key_node, value_node))
    return items


def join(keypath: str, key: str) -> str:
    return f"{keypath}.{key}" if keypath else key


# -- typed readers: each returns the value, or None after reporting a problem ------------------


def want_str(node: yaml.Node, keypath: str, problems: Problems, *, empty_ok: bool = False) -> str | None:
    if kind(node) != "str":
        problems.add(node, keypath, f"expected a string, got {describe(node)}")
        return None
    if not empty_ok and not node.value.strip():
        problems.add(node, keypath, "must not be empty")
        return None
    return node.value


def want_int(node: yaml.Node, keypath: str, problems: Problems) -> int | None:
    if kind(node) != "int":
        problems.add(node, keypath, f"expected an integer, got {describe(node)}")
        return None
    return int(to_python(node))


def want_number(node: yaml.Node, keypath: str, problems: Problems) -> float | None:
    if kind(node) not in ("int", "float"):
        problems.add(node, keypath, f"expected a number, got {describe(node)}")
        return None
    return float(to_python(node))


def want_bool(node: yaml.Node, keypath: str, problems: Problems) -> bool | None:
    if kind(node) != "bool":
        problems.add(node, keypath, f"expected true or false, got {describe(node)}")
        return None
    return bool(to_python(node))


def want_text(node: yaml.Node, keypath: str, problems: Problems) -> str | None:
    """Any scalar, as written: `PORT: 8080` gives "8080" (argv and env values are text)."""
    if isinstance(node, yaml.ScalarNode) and kind(node) != "null":
        return node.value
    problems.add(node, keypath, f"expected a string, got {describe(node)}")
    return None


def want_list(node: yaml.Node, keypath: str, problems: Problems) -> list[yaml.Node] | None:
    if not isinstance(node, yaml.SequenceNode):
        problems.add(node, keypath, f"expected a list, got {describe(node)}")
        return None
    return list(node.value)


def want_mapping(node: yaml.Node, keypath: str, problems: Problems) -> yaml.MappingNode | None:
    if not isinstance(node, yaml.MappingNode):
        problems.add(node, keypath, f"expected a mapping, got {describe(node)}")
        return None
    return node
