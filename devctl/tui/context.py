"""What every TUI view is given, and the two calls through which the app keeps views live.

Why one small contract: the views (services, logs, events, pipeline, plugins, Dofek panels)
are written and tested separately, each in its own module; the app alone talks to the
supervisor's `watch` stream and hands every view the same snapshot and events, so no view opens
a second connection or polls `state.json`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from devctl.supervisor.paths import Paths


@dataclass(frozen=True)
class TuiContext:
    """The repo the dashboard shows."""

    root: Path  # the repo root (where `.devctl/` lives)
    config_file: Path | None  # the `.devctl.yaml` in use, None when the repo has none
    no_color: bool = False  # NO_COLOR is set: views use no colour of their own

    @property
    def paths(self) -> Paths:
        return Paths(self.root)


class LiveView(Protocol):
    """Optional hooks a view implements to follow the supervisor.

    `on_state` gets the full snapshot (the shape `devctl status --json` prints:
    `repo_root`, `supervisor`, `services` with `uptime_s`; None while no supervisor runs);
    `on_supervisor_event` gets each event of the watch stream, in order, as written to
    `.devctl/events.ndjson`. Both are called on the app's thread.

    Not `on_event`: every Textual widget already has an `on_event` (the async dispatcher of all
    its messages); a view defining its own breaks at its first message.
    """

    def on_state(self, snapshot: dict[str, Any] | None) -> None: ...

    def on_supervisor_event(self, event: dict[str, Any]) -> None: ...
