"""The `services:` section of `.devctl.yaml`: services declared without writing a plugin.

Read here only as far as YAML can tell: a mapping of service names to mappings, each value kept
as plain data together with the line it was written on. What the fields mean is checked later,
in the pipeline (`devctl.pipeline.declared`), by the same validator every plugin's plan goes
through, after `${config...}` references are filled in from the merged config; the lines kept
here let that check say `.devctl.yaml:LINE: services.web.health.address: ...`.

Values are read as YAML types, except where the plan wants text: `env` values and `command`
items are taken as written, so `PORT: 8080` and `command: [sleep, 5]` mean what they say
(the same rule as a plugin entry's `env` and `args`).
"""

from __future__ import annotations

import re

from devctl.util.records import Record

# Not `typing.TYPE_CHECKING`: the config is read before the plugins start, `typing` is not.
TYPE_CHECKING = False
if TYPE_CHECKING:  # PyYAML is imported only to parse: the pipeline uses DeclaredService without it
    from typing import Any

    import yaml

    from devctl.config.nodes import Problems

#: Fields whose items are text as written (`env.PORT: 8080` is "8080"), at any depth
#: (`health.command` of an exec check too).
TEXT_CHILDREN = ("env", "command")


class DeclaredService(Record):
    """One entry of `services:`: its fields as written, and where each was written. An immutable
    record (`devctl.util.records`), not a dataclass: `plan` and `up` load it before their first
    plugin request."""

    __slots__ = ("name", "raw", "file", "line", "lines")
    name: str
    raw: dict[str, Any]  # field -> value (plain YAML data; env values and command items as text)
    file: str  # .devctl.yaml as messages name it
    line: int  # the line of the service's name
    lines: dict[str, int]  # "env.PORT", "command[0]", "health" -> line

    def __init__(self, name: str, raw: dict[str, Any], file: str, line: int,
                 lines: dict[str, int] | None = None) -> None:
        _set = object.__setattr__
        _set(self, "name", name)
        _set(self, "raw", raw)
        _set(self, "file", file)
        _set(self, "line", line)
        _set(self, "lines", {} if lines is None else lines)

    def line_of(self, keypath: str) -> int:
        """The line of `keypath` (relative to the service), else of its nearest parent written in
        the file (`command[2]` of a `command:` string is that string's line), else the name's."""
        path = keypath
        while path:
            if path in self.lines:
                return self.lines[path]
            path = re.sub(r"(\.[^.\[]*|\[\d+\])$", "", path)  # drop the last `.key` or `[i]`
            if path == keypath:
                break
            keypath = path
        return self.line


def parse(node: yaml.Node, display: str, problems: Problems) -> list[DeclaredService]:
    """The declared services, in file order; every problem reported with its line."""
    from devctl.config import nodes as n
    from devctl.errors import ConfigError
    from devctl.statedir import check_name

    if n.kind(node) == "null":
        return []
    mapping = n.want_mapping(node, "services", problems)
    if mapping is None:
        return []
    size = n.expanded_size(mapping)
    if size is None or size > n.MAX_EXPANDED_VALUES:
        problems.add(mapping, "services", "refers to itself through a YAML alias (*name)" if size is None
                     else f"expands to more than {n.MAX_EXPANDED_VALUES} values through YAML aliases")
        return []
    out: list[DeclaredService] = []
    for name, key_node, value in n.mapping_items(mapping, "services", problems):
        keypath = n.join("services", name)
        try:
            check_name(name, what="service name")
        except ConfigError as exc:
            problems.add(key_node, keypath, exc.message)
            continue
        fields = n.want_mapping(value, keypath, problems) if n.kind(value) != "null" else None
        if fields is None:
            if n.kind(value) == "null":
                problems.add(key_node, keypath, "needs at least a 'command'")
            continue
        lines: dict[str, int] = {}
        raw = _value(fields, "", keypath, lines, problems)
        out.append(DeclaredService(name=name, raw=raw, file=display, line=n.line_of(key_node), lines=lines))
    return out


def _value(node: yaml.Node, rel: str, keypath: str, lines: dict[str, int], problems: Problems,
           *, text: bool = False) -> Any:
    """Plain data for `node` (at `rel` inside the service), recording each value's line;
    `text`: a scalar is taken as written."""
    from devctl.config import nodes as n

    if rel:
        lines[rel] = n.line_of(node)
    items = rel.rsplit(".", 1)[-1] in TEXT_CHILDREN  # items of `env` / `command` (any depth) are text
    kind = n.kind(node)
    if kind == "mapping":
        out: dict[str, Any] = {}
        where = n.join(keypath, rel) if rel else keypath
        for key, _key_node, child in n.mapping_items(node, where, problems):  # type: ignore[arg-type]
            out[key] = _value(child, n.join(rel, key), keypath, lines, problems, text=items)
        return out
    if kind == "list":
        return [_value(child, f"{rel}[{i}]", keypath, lines, problems, text=items)
                for i, child in enumerate(node.value)]
    if text and kind != "null":
        return node.value
    return n.to_python(node)
