"""How supervisor data looks to a person: status rows, progress lines, the dry-run plan.

Pure functions from plain data to strings/rows (tested without a terminal); the CLI feeds
them to rich. rich markup is used for colour, so NO_COLOR and pipes are handled by rich.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # a type only: `status` does not load the plan validator
    from devctl.pipeline.services import ServiceSpec

STATE_STYLE = {
    "healthy": "green", "running": "green", "starting": "cyan", "waiting": "cyan",
    "unhealthy": "yellow", "backoff": "yellow", "stopping": "yellow",
    "exited": "dim", "stopped": "dim", "failed": "bold red",
}
STATUS_COLUMNS = ("SERVICE", "STATE", "PID", "UPTIME", "RESTARTS", "HEALTH", "LOG")


def duration(seconds: float | None) -> str:
    """Compact human duration: 0.4 s, 12 s, 3m04s, 2h05m, 3d04h."""
    if seconds is None:
        return "-"
    if seconds < 10:
        return f"{seconds:.1f} s"
    s = int(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 86400}d{s % 86400 // 3600:02d}h"


def health_text(svc: dict[str, Any]) -> str:
    h = svc.get("health")
    if not h:
        return "-"
    if h.get("ok") is None:
        return f"{h['type']}: pending"
    if h.get("ok"):
        return f"{h['type']}: ok"
    return f"{h['type']}: {h.get('error') or 'failing'}"


def status_rows(snapshot: dict[str, Any], root: str | None = None) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for svc in snapshot["services"]:
        log = svc.get("logs", {}).get("stdout", "")
        if root and log.startswith(root.rstrip("/") + "/"):
            log = log[len(root.rstrip("/")) + 1:]
        state = svc["state"]
        if svc.get("error") and state in ("failed", "exited", "backoff"):
            state = f"{state} ({svc['error']})"
        pid = svc.get("pid")
        rows.append((
            svc["name"], state, str(pid) if pid and svc.get("uptime_s") is not None else "-",
            duration(svc.get("uptime_s")), str(svc.get("restarts", 0)), health_text(svc), log,
        ))
    return rows


def state_markup(state_text: str) -> str:
    base = state_text.split(" ", 1)[0]
    style = STATE_STYLE.get(base, "")
    from rich.markup import escape

    return f"[{style}]{escape(state_text)}[/{style}]" if style else escape(state_text)


def progress_line(svc: dict[str, Any], t0: float) -> str:
    """`web   starting → healthy in 0.4 s` (the time from `up` start to ready)."""
    state = svc["state"]
    if state in ("healthy", "running", "unhealthy") and svc.get("ready_at"):
        return f"starting → {state} in {max(0.0, svc['ready_at'] - t0):.1f} s"
    if state == "waiting":
        waiting = ", ".join(svc.get("depends_on") or [])
        return f"waiting for {waiting}" if waiting else "waiting"
    if state == "backoff":
        return f"restarting ({svc.get('error') or 'exited'})"
    if state in ("failed", "exited", "stopped"):
        return f"{state}" + (f": {svc['error']}" if svc.get("error") else "")
    return state


def plan_lines(services: list[ServiceSpec]) -> list[str]:
    """What `up --dry-run` prints: each service in start order with what would run."""
    import shlex

    lines = []
    for svc in services:
        lines.append(f"{svc['name']}  (from {svc.get('plugin') or 'plan'})")
        lines.append(f"  command: {shlex.join(svc['command'])}")
        lines.append(f"  cwd: {svc['cwd']}")
        if svc["env"]:
            from devctl.supervisor.state_store import REDACTED, redact_env

            env = redact_env(svc["env"])
            lines.append("  env: " + " ".join(
                f"{k}={v if v == REDACTED else shlex.quote(v)}" for k, v in sorted(env.items())
            ))
        if svc["depends_on"]:
            lines.append(f"  depends_on: {', '.join(svc['depends_on'])}")
        h = svc["health"]
        if h:
            target = h.get("url") or h.get("address")
            lines.append(f"  health: {h['type']} {target} (ready within {h['timeout_ms'] / 1000:g} s)")
        else:
            lines.append("  health: none (ready after staying up 0.5 s)")
        lines.append(
            f"  restart: {svc['restart']} (max {svc['max_restarts']}), stop: {svc['stop_signal']}"
            f" then SIGKILL after {svc['stop_timeout_ms'] / 1000:g} s"
        )
    return lines


class UpProgress:
    """Live progress of `up`: one line per service, redrawn in place on a terminal, or one
    plain line per change otherwise (CI logs, pipes)."""

    def __init__(self, names: list[str], t0: float, *, live: bool | None = None):
        from devctl.cli.output import err

        self.console = err()
        self.names = names
        self.t0 = t0
        self.width = max((len(n) for n in names), default=0)
        self.lines: dict[str, str] = {n: "starting" for n in names}
        self.records: dict[str, dict[str, Any]] = {}
        self.live_mode = self.console.is_terminal if live is None else live
        self._live: Any = None

    def __enter__(self) -> UpProgress:
        if self.live_mode:
            from rich.live import Live

            self._live = Live(self._render(), console=self.console, refresh_per_second=12, transient=False)
            self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.update(self._render())
            self._live.__exit__(None, None, None)
            self._live = None

    def update(self, records: dict[str, dict[str, Any]]) -> None:
        from rich.markup import escape

        self.records = records
        for name in self.names:
            svc = records.get(name)
            if svc is None:
                continue
            line = progress_line(svc, self.t0)
            if line != self.lines[name]:
                self.lines[name] = line
                if not self.live_mode:
                    self.console.print(f"{escape(name):<{self.width}}  {escape(line)}")
        if self._live is not None:
            self._live.update(self._render())

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
