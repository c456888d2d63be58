"""The pipeline view: what the last `up` (or `plan`) did, phase by phase, from `.devctl/pipeline.json`.

Why a tree: a run is phases → plugins and steps, plus the validation findings grouped by plugin
and the failure with its details; a tree shows the shape at a glance and folds what is not
interesting (a phase that went well folds to one line; a failed one opens). The record is
written by the pipeline itself (`devctl.pipeline.record`) whatever started it — a terminal, CI,
this dashboard's `up` key — so the view only reads a file: in a worker, when shown, on `r`, and
when the file changes (one `stat` a second while the view is mounted).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static, Tree

if TYPE_CHECKING:
    from textual.app import ComposeResult
    from textual.widgets.tree import TreeNode

    from devctl.tui.context import TuiContext

#: A phase's status as a mark and a colour (docs/supervisor.md lists the statuses).
MARKS = {
    "ok": ("✓", "green"), "failed": ("✗", "red"), "skipped": ("↷", "yellow"), "empty": ("·", "dim"),
    "not_run": ("–", "dim"), "running": ("…", "yellow"),
}


@dataclass
class Node:
    """One line of the outline, with the lines under it (pure data: unit-tested without Textual)."""

    label: str
    style: str = ""
    children: list[Node] = field(default_factory=list)
    expand: bool = False


def seconds(ms: Any) -> str:
    return f"{ms / 1000:.2f} s" if isinstance(ms, int | float) else ""


def headline(record: dict[str, Any] | None, now: float | None = None) -> tuple[str, str]:
    """(text, style) of the line above the tree."""
    if record is None:
        return ("No pipeline run recorded yet: `devctl up` or `devctl plan` leaves one "
                "(.devctl/pipeline.json).", "")
    verdict = "ok" if record.get("ok") else "FAILED"
    ago = _ago(record.get("started"), now)
    dry = " (dry run)" if record.get("dry_run") else ""
    text = f"devctl {record.get('command')}{dry}: {verdict} in {seconds(record.get('duration_ms'))}{ago}"
    return text, ("green" if record.get("ok") else "red")


def _ago(started: Any, now: float | None) -> str:
    if not isinstance(started, int | float):
        return ""
    delta = max(0.0, (now if now is not None else time.time()) - started)
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(started))
    if delta < 60:
        return f", {stamp} ({delta:.0f} s ago)"
    if delta < 3600:
        return f", {stamp} ({delta / 60:.0f} min ago)"
    return f", {stamp}"


def step_line(step: dict[str, Any]) -> tuple[str, str]:
    if step.get("skipped"):
        mark, style = "↷", "yellow"
    elif step.get("ok", True):
        mark, style = "✓", "green"
    else:
        mark, style = "✗", "red"
    text = f"{mark} step {step.get('name')} ({step.get('plugin')})"
    took = seconds(step.get("duration_ms"))
    if took:
        text += f" {took}"
    why = step.get("error") if not step.get("ok", True) else None
    why = why or step.get("message")
    if isinstance(why, dict):
        why = why.get("message") or why.get("code")
    if why:
        text += f": {why}"
    if step.get("skipped") and not why:
        text += ": skipped"
    return text, style


def outline(record: dict[str, Any]) -> list[Node]:
    """The record as the tree's top-level nodes: phases, validation, failure, notes, services."""
    nodes = []
    for phase in record.get("phases", []):
        status = str(phase.get("status"))
        mark, style = MARKS.get(status, ("?", ""))
        label = f"{mark} {phase.get('phase')}"
        took = seconds(phase.get("duration_ms"))
        label += f"  {took}" if took else ""
        if status not in ("ok", "failed") and phase.get("reason"):
            label += f"  — {phase['reason']}"
        node = Node(label, style, expand=status == "failed")
        for plugin in phase.get("plugins", []):
            node.children.append(Node(f"plugin {plugin.get('plugin')} answered in "
                                      f"{seconds(plugin.get('duration_ms'))}", "dim"))
        for step in phase.get("steps", []):
            text, step_style = step_line(step)
            node.children.append(Node(text, step_style))
            if step_style == "red":
                node.expand = True
        nodes.append(node)
    validation = record.get("validation") or {}
    groups = validation.get("by_plugin") or []
    if groups:
        errors = sum(len(g.get("errors", [])) for g in groups)
        warnings = sum(len(g.get("warnings", [])) for g in groups)
        verdict = "valid" if validation.get("valid", True) else "INVALID"
        top = Node(f"validation: {verdict}, {errors} error(s), {warnings} warning(s)",
                   "red" if errors or not validation.get("valid", True) else "yellow", expand=True)
        for group in groups:
            plugin = Node(f"plugin {group.get('plugin')}", expand=True)
            for kind, style in (("errors", "red"), ("warnings", "yellow")):
                for item in group.get(kind, []):
                    code = f"[{item['code']}] " if item.get("code") else ""
                    line = f"{kind[:-1]}: {code}{item.get('message', '')}"
                    extra = item.get("suggest") or item.get("fix")
                    plugin.children.append(Node(line + (f" (fix: {extra})" if extra else ""), style))
            top.children.append(plugin)
        nodes.append(top)
    failure = record.get("failure")
    if failure:
        top = Node(f"failure: {failure.get('message')}", "red", expand=True)
        top.children = [Node(str(line), "dim") for line in failure.get("details", [])]
        nodes.append(top)
    notes = record.get("notes") or []
    if notes:
        nodes.append(Node(f"notes ({len(notes)})", "yellow", [Node(str(n)) for n in notes], expand=True))
    services = record.get("services") or []
    if services:
        names = ", ".join(str(s.get("name")) for s in services)
        nodes.append(Node(f"planned services ({len(services)}): {names}"))
    return nodes


class PipelineView(Vertical):
    """The last pipeline run (see the module docstring)."""

    DEFAULT_CSS = """
    PipelineView { height: 1fr; }
    PipelineView > #pipeline-head { height: auto; padding: 0 1; background: $boost; }
    PipelineView > Tree { height: 1fr; }
    """
    BINDINGS = [
        Binding("r", "reload", "Reload",
                tooltip="read .devctl/pipeline.json again (a new run shows up by itself within a second)"),
        Binding("e", "expand_all", "Expand all", tooltip="open every phase, step list and finding group"),
        Binding("c", "collapse_all", "Collapse all", tooltip="fold everything to one line per phase"),
    ]

    def __init__(self, ctx: TuiContext, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self.ctx = ctx
        self.record: dict[str, Any] | None = None
        self._stamp: tuple[int, int] | None = None
        self.loads = 0  # records read so far (tests wait on it)

    def compose(self) -> ComposeResult:
        yield Static("reading .devctl/pipeline.json…", id="pipeline-head")
        tree: Tree[None] = Tree("pipeline")
        tree.show_root = False
        yield tree

    def on_mount(self) -> None:
        self.action_reload()
        self.set_interval(1.0, self._check_changed)

    def on_show(self) -> None:
        self._check_changed()

    def _path_stamp(self) -> tuple[int, int] | None:
        from devctl.pipeline.record import record_path

        try:
            info = os.stat(record_path(self.ctx.root))
        except OSError:
            return None
        return (info.st_mtime_ns, info.st_size)

    def _check_changed(self) -> None:
        if self._path_stamp() != self._stamp:
            self.action_reload()
        elif self.record is not None:
            self._head()  # "(12 s ago)" moves on with the clock

    def _head(self) -> None:
        text, style = headline(self.record)
        self.query_one("#pipeline-head", Static).update(Text(text, style=self._style(style)))

    def on_supervisor_event(self, event: dict[str, Any]) -> None:
        if event.get("event") == "up_done":  # an `up` just finished: its record is there
            self.action_reload()

    def action_reload(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="pipeline-record")
    def load(self) -> None:
        from devctl.pipeline.record import read_record

        stamp = self._path_stamp()
        record = read_record(self.ctx.root)
        self.app.call_from_thread(self._show, record, stamp)

    def _show(self, record: dict[str, Any] | None, stamp: tuple[int, int] | None) -> None:
        self.record, self._stamp = record, stamp
        self.loads += 1
        self._head()
        tree = self.query_one(Tree)
        tree.clear()
        for node in outline(record) if record else []:
            self._add(tree.root, node)
        tree.root.expand()

    def _add(self, parent: TreeNode[None], node: Node) -> None:
        label = Text(node.label, style=self._style(node.style))
        if not node.children:
            parent.add_leaf(label)
            return
        branch = parent.add(label, expand=node.expand)
        for child in node.children:
            self._add(branch, child)

    def _style(self, style: str) -> str:
        return "" if self.ctx.no_color else style

    def action_expand_all(self) -> None:
        self.query_one(Tree).root.expand_all()

    def action_collapse_all(self) -> None:
        for child in self.query_one(Tree).root.children:
            child.collapse_all()
