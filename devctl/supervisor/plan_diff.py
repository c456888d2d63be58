"""What `devctl up` does to a running environment: compare the running plan with a new one.

Compose semantics, decided here as one pure function so a unit test can ask it without a
process (the supervisor's `apply` op and `up --dry-run` both call it):

- a service in both plans whose spec differs in any field the supervisor uses (command, cwd,
  env, health, depends_on, restart, stop_signal, ... — every key of the spec except `plugin`,
  which only says who planned it) is **recreated**: stopped, then started with the new spec;
- a service that depends on a recreated service, directly or transitively (in the new plan),
  is recreated too, even if its own spec did not change: it may hold connections to, or state
  derived from, the process that was replaced (compose's `restart: true` on `depends_on`);
- a service only in the new plan is **started**; one only in the running plan is **removed**
  (stopped and forgotten); every other one is **unchanged** and keeps its process (same pid);
- `force` recreates every service of the new plan;
- `only` (`devctl up SERVICE...`) narrows all of it to those services and what they depend on
  (transitively): other services keep their running spec, even if theirs changed, and nothing
  is removed. Dependents outside the selection keep running, as with `devctl restart`.

The merged plan (`Diff.plan`) is what the supervisor runs afterwards and records in state.json.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from devctl.pipeline.services import ServiceSpec, start_order

Action = Literal["unchanged", "recreated", "started", "removed"]
ACTIONS: tuple[Action, ...] = ("unchanged", "recreated", "started", "removed")

#: Keys of a spec that do not change how the service runs.
IGNORED_KEYS = frozenset({"plugin"})


@dataclass(frozen=True)
class Change:
    """One service's fate, and why (`changed` fields, or the recreated dependency `because`)."""

    service: str
    action: Action
    changed: tuple[str, ...] = ()
    because: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"service": self.service, "action": self.action}
        if self.changed:
            out["changed"] = list(self.changed)
        if self.because:
            out["because"] = list(self.because)
        return out


@dataclass(frozen=True)
class Diff:
    #: One entry per service of the merged plan, in its start order, then the removed ones.
    changes: list[Change]
    #: The plan to run afterwards (start order): new specs where applied, running ones elsewhere.
    plan: list[ServiceSpec] = field(default_factory=list)
    #: The services the new plan was applied to (all of it, or `only` and its dependencies).
    scope: frozenset[str] = frozenset()

    def names(self, *actions: Action) -> list[str]:
        return [c.service for c in self.changes if c.action in actions]

    @property
    def to_stop(self) -> list[str]:
        return self.names("recreated", "removed")

    @property
    def to_start(self) -> list[str]:
        return self.names("recreated", "started")

    @property
    def noop(self) -> bool:
        return all(c.action == "unchanged" for c in self.changes)

    def to_json(self) -> list[dict[str, Any]]:
        return [c.to_json() for c in self.changes]


def changed_fields(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[str, ...]:
    """The keys whose values differ (a key missing on one side counts), `plugin` aside.

    `depends_on` is compared as a set: its order never changes what runs.
    """
    keys = sorted((set(old) | set(new)) - IGNORED_KEYS)
    out = []
    for key in keys:
        a, b = old.get(key), new.get(key)
        if key == "depends_on":
            a, b = set(a or ()), set(b or ())
        if a != b:
            out.append(key)
    return tuple(out)


def closure(names: Iterable[str], edges: Mapping[str, Iterable[str]]) -> set[str]:
    """`names` and everything reachable from them through `edges`."""
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(edges.get(name, ()))
    return seen


def diff_plans(
    running: Sequence[ServiceSpec],
    new: Sequence[ServiceSpec],
    *,
    force: bool = False,
    only: Sequence[str] | None = None,
) -> Diff:
    """Compare the running plan with a new one (both normalized). Pure; see the module doc.

    Raises KeyError naming the first service of `only` that the new plan does not have.
    """
    old_by = {s["name"]: s for s in running}
    new_by = {s["name"]: s for s in new}
    if only:
        missing = [n for n in only if n not in new_by]
        if missing:
            raise KeyError(missing[0])
        chosen = closure(only, {n: s["depends_on"] for n, s in new_by.items()})
        # Outside the selection the running spec stays; the merged plan must still hold every
        # dependency of what is kept, so a kept service never loses one.
        merged = {n: (new_by[n] if n in chosen else old_by[n]) for n in (*old_by, *new_by)
                  if n in chosen or n in old_by}
    else:
        chosen = set(new_by)
        merged = dict(new_by)

    changed: dict[str, tuple[str, ...]] = {}
    for name in chosen:
        if name in old_by:
            fields = changed_fields(old_by[name], new_by[name])
            if fields or force:
                changed[name] = fields
    # Who depends on whom, in the plan that will run.
    dependents: dict[str, set[str]] = {n: set() for n in merged}
    for name, spec in merged.items():
        for dep in spec["depends_on"]:
            dependents.setdefault(dep, set()).add(name)
    recreated = closure(changed, {n: dependents.get(n, set()) & chosen for n in merged})
    recreated &= set(old_by)

    order = start_order(list(merged.values()))
    plan = [merged[n] for n in order]
    changes: list[Change] = []
    for name in order:
        if name not in chosen or (name in old_by and name not in recreated):
            changes.append(Change(name, "unchanged"))
        elif name not in old_by:
            changes.append(Change(name, "started"))
        elif name in changed:
            changes.append(Change(name, "recreated", changed=changed[name]))
        else:
            because = tuple(sorted(d for d in merged[name]["depends_on"] if d in recreated))
            changes.append(Change(name, "recreated", because=because))
    if not only:
        changes.extend(Change(n, "removed") for n in old_by if n not in new_by)
    return Diff(changes, plan, frozenset(chosen))
