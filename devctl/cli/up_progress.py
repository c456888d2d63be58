"""The progress display of `devctl up`: one line per service while they start.

Presentation only: the lines themselves come from `devctl.supervisor.render.progress_line`,
the waiting from `devctl.supervisor.up.wait`, which calls `update` with each new state. The
mode is `devctl.cli.progress.resolve`'s: live on a terminal, a plain line per change when piped
or under CI=true, a JSON `service` event per change with `--progress json`.
"""

from __future__ import annotations

from devctl.cli.progress import emit_json, plain_line, resolve
from devctl.supervisor.render import STATE_STYLE, progress_line

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: `up` loads this module (docs/performance.md, "T2")
if TYPE_CHECKING:
    from typing import Any


class UpProgress:
    """Live progress of `up`: one line per service, redrawn in place on a terminal, or one
    plain line per change otherwise (CI logs, pipes)."""

    def __init__(self, names: list[str], t0: float, *, live: bool | None = None, mode: str = "auto"):
        self.names = names
        self.t0 = t0
        self.width = max((len(n) for n in names), default=0)
        self.lines: dict[str, str] = {n: "starting" for n in names}
        self.records: dict[str, dict[str, Any]] = {}
        #: The record object each line was last made from: `up.wait` hands over a new object
        #: only for the service an event names, so the others are not looked at again (with 50
        #: services and ~100 events, rebuilding every line on every event was most of the
        #: CLI's CPU while it waited).
        self._made_from: dict[str, dict[str, Any]] = {}
        self.mode = resolve(mode) if live is None else "live" if live else "plain"
        self.live_mode = self.mode == "live"
        self._live: Any = None

    def __enter__(self) -> UpProgress:
        if self.live_mode:  # rich only for the redrawn display: piped or CI lines are plain
            from rich.live import Live

            from devctl.cli.output import err

            self._live = Live(self._render(), console=err(), refresh_per_second=12, transient=False)
            self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.update(self._render())
            self._live.__exit__(None, None, None)
            self._live = None

    def update(self, records: dict[str, dict[str, Any]]) -> None:
        self.records = records
        redraw = False
        for name in self.names:
            svc = records.get(name)
            if svc is None or self._made_from.get(name) is svc:
                continue
            self._made_from[name] = svc
            line = progress_line(svc, self.t0)
            if line != self.lines[name]:
                self.lines[name] = line
                redraw = True
                if self.mode == "json":
                    emit_json(_service_event(name, svc, line), self.t0)
                elif not self.live_mode:
                    plain_line(f"{name:<{self.width}}  {line}")
        if redraw and self._live is not None:
            self._live.update(self._render())

    def finish(self, event: str, **fields: Any) -> None:
        """The end of `up` as a JSON event (`ready`, `failed`, `interrupted`); nothing otherwise:
        the other modes say it in words on stderr."""
        if self.mode == "json":
            emit_json({"event": event, **fields}, self.t0)

    def _render(self) -> Any:
        from rich.table import Table
        from rich.text import Text

        table = Table.grid(padding=(0, 2))
        table.add_column()
        table.add_column()
        for name in self.names:
            state = (self.records.get(name) or {}).get("state", "starting")
            style = STATE_STYLE.get(state, "")
            icon = "✔" if state in ("healthy", "running") else "✖" if state == "failed" else "…"
            table.add_row(Text(f"{icon} {name}", style=style), Text(self.lines[name]))
        return table


def _service_event(name: str, svc: dict[str, Any], line: str) -> dict[str, Any]:
    event: dict[str, Any] = {"event": "service", "service": name, "state": svc.get("state"), "text": line}
    if svc.get("ready_at") and svc.get("state") in ("healthy", "running", "unhealthy"):
        event["ready_at"] = svc["ready_at"]
    if svc.get("error"):
        event["error"] = svc["error"]
    return event
