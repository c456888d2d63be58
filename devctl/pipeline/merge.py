"""Merging what several plugins return: steps and services by name, artifacts by key.

Plugins are merged in the order they ran ((priority, id)). When two plugins return the same
step or service name, strict mode refuses (naming the item and both plugins); otherwise the
later plugin wins and a note says who replaced whom. The item keeps the position where it was
first seen, so the merged order is stable.
"""

from __future__ import annotations

from devctl.errors import OperationFailed
from devctl.util.generic import Generic

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: `up` loads this module (docs/performance.md, "T2")
if TYPE_CHECKING:
    from typing import Any, TypeVar

    #: What is merged: a step (`dict[str, Any]`) or a service (`ServiceSpec`).
    Item = TypeVar("Item")
else:
    Item = object  # read by type checkers only (util/generic.py)


# Plain classes, not dataclasses: `plan`, `up` and plugin commands import this module before their
# first plugin request, and `dataclasses` (with `inspect`) is 10-25 ms of import on the 2-core box.


class NamedMerge(Generic[Item]):
    """An ordered merge of named items (`kind` is "step" or "service", for messages)."""

    __slots__ = ("kind", "strict", "items", "owners", "notes", "collisions")

    def __init__(self, kind: str, strict: bool = False) -> None:
        self.kind = kind
        self.strict = strict
        self.items: dict[str, Item] = {}
        self.owners: dict[str, str] = {}
        self.notes: list[str] = []
        #: Each collision as data (non-strict runs): {"kind", "name", "plugins": [replaced, winner]}.
        self.collisions: list[dict[str, Any]] = []

    def add(self, name: str, item: Item, plugin: str) -> None:
        if name in self.items:
            previous = self.owners[name]
            who = (
                f"plugin {previous!r} and plugin {plugin!r}"
                if previous != plugin
                else f"plugin {plugin!r} twice"
            )
            if self.strict:
                raise OperationFailed(
                    f"{self.kind} {name!r} is returned by {who} (strict mode: rename one, or run "
                    f"without --strict and with strictness: warn to let the last one win)"
                )
            self.notes.append(f"{self.kind} {name!r} is returned by {who}; the one from {plugin!r} wins")
            self.collisions.append({"kind": self.kind, "name": name, "plugins": [previous, plugin]})
        self.items[name] = item
        self.owners[name] = plugin

    def values(self) -> list[Item]:
        return list(self.items.values())


class ArtifactMerge:
    """Artifacts merge by key; the last plugin wins, and a changed value is noted."""

    __slots__ = ("artifacts", "owners", "notes")

    def __init__(self) -> None:
        self.artifacts: dict[str, Any] = {}
        self.owners: dict[str, str] = {}
        self.notes: list[str] = []

    def add(self, artifacts: dict[str, Any], plugin: str) -> None:
        for key, value in artifacts.items():
            previous = self.owners.get(key)
            if previous is not None and previous != plugin and self.artifacts[key] != value:
                self.notes.append(
                    f"artifact {key!r} is returned by plugin {previous!r} and plugin {plugin!r}; "
                    f"the one from {plugin!r} wins"
                )
            self.artifacts[key] = value
            self.owners[key] = plugin
