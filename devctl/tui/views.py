"""The dashboard's views, in the order of their keys, each named by module and class.

Why a table of names instead of imports: a view's module (and what it pulls in) is imported only
when the view is first shown, so the first frame pays for the services view alone. Each view
class is a Textual widget constructed as `cls(ctx)` with a `devctl.tui.context.TuiContext`,
declares its own keys in `BINDINGS` (the help overlay lists them), and may implement the
`LiveView` hooks to follow the supervisor.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ViewSpec:
    id: str  # also the widget id of the mounted view
    key: str  # the key that shows it
    title: str
    module: str
    cls: str
    #: Shown only when the repo has what it needs (the Dofek view: a `dofek.toml`).
    optional: bool = False

    def load(self) -> Any:
        return getattr(importlib.import_module(self.module), self.cls)


VIEWS: list[ViewSpec] = [
    ViewSpec("services", "1", "Services", "devctl.tui.services_view", "ServicesView"),
    ViewSpec("logs", "2", "Logs", "devctl.tui.logs_view", "LogsView"),
    ViewSpec("events", "3", "Events", "devctl.tui.events_view", "EventsView"),
    ViewSpec("pipeline", "4", "Pipeline", "devctl.tui.pipeline_view", "PipelineView"),
    ViewSpec("plugins", "5", "Plugins", "devctl.tui.plugins_view", "PluginsView"),
    ViewSpec("dofek", "6", "Dofek", "devctl.tui.dofek_view", "DofekView", optional=True),
]
