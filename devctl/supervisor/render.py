"""How supervisor data looks to a person: status rows, progress lines, the dry-run plan.

Pure functions from plain data to strings/rows (tested without a terminal); the CLI prints
them (`devctl.cli.status_table`, and the live `up` progress display `devctl.cli.up_progress`),
colouring states by `STATE_STYLE` only where colour is on (a terminal, no NO_COLOR).
"""

from __future__ import annotations

from devctl.supervisor.service_states import LIVE_STATES

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: `typing` is an import `status` and `down` skip
if TYPE_CHECKING:  # types only: `status` does not load the plan validator
    from typing import Any

    from devctl.pipeline.health_spec import HealthCheck
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
    """`tcp: ok`, `exec: pending`, `http: HTTP 503`; `-` without a check or without a process
    (a stopped service has no health, whatever its last probe said)."""
    h = svc.get("health")
    if not h or svc.get("state") not in LIVE_STATES:
        return "-"
    if h.get("ok") is None:
        return f"{h['type']}: pending"
    if h.get("ok"):
        return f"{h['type']}: ok"
    return f"{h['type']}: {h.get('error') or 'failing'}"


#: Columns whose cells are never cut or wrapped (names, states, numbers); the others may fold.
STATUS_WHOLE = ("SERVICE", "STATE", "PID", "UPTIME", "RESTARTS")


def status_reason(svc: dict[str, Any]) -> str | None:
    """Why a service is down (failed, exited, backing off), or None."""
    if svc.get("error") and svc["state"] in ("failed", "exited", "backoff"):
        return str(svc["error"])
    return None


def shown_log(logs: dict[str, str]) -> str:
    """The log a person should open: stdout, unless the service wrote nothing there and
    something to stderr (a crash's traceback), so the LOG column never points at an empty file."""
    import os

    stdout, stderr = logs.get("stdout", ""), logs.get("stderr", "")
    try:
        if stderr and os.path.getsize(stderr) > 0 and (not stdout or os.path.getsize(stdout) == 0):
            return stderr
    except OSError:
        pass
    return stdout


def display_log(path: str, root: str | None, cwd: str | None) -> str:
    """A log path as the user can open it from where they are: relative to `cwd` when `cwd` is
    inside the repo `root`, absolute otherwise (`devctl -C` from elsewhere); with no `cwd`,
    relative to the root."""
    import os

    if not path or not root:
        return path
    base = root.rstrip("/")
    if cwd is None:
        return path[len(base) + 1:] if path.startswith(base + "/") else path
    if cwd == base or cwd.startswith(base + "/"):
        return os.path.relpath(path, cwd)
    return path


def status_rows(snapshot: dict[str, Any], root: str | None = None, *,
                reasons: bool = True, cwd: str | None = None) -> list[tuple[str, ...]]:
    """One row per service, cells as STATUS_COLUMNS. `reasons=False` leaves a failure's reason
    out of the STATE cell (the caller prints it on its own line, see `status_reason`); `cwd`
    makes the LOG paths relative to it (see `display_log`)."""
    rows: list[tuple[str, ...]] = []
    for svc in snapshot["services"]:
        log = display_log(shown_log(svc.get("logs", {})), root, cwd)
        state = svc["state"]
        reason = status_reason(svc)
        if reason and reasons:
            state = f"{state} ({reason})"
        pid = svc.get("pid")
        rows.append((
            svc["name"], state, str(pid) if pid and svc.get("uptime_s") is not None else "-",
            duration(svc.get("uptime_s")), str(svc.get("restarts", 0)), health_text(svc), log,
        ))
    return rows


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


def health_line(h: HealthCheck) -> str:
    """`tcp 127.0.0.1:5432 (ready within 30 s; then every 2 s, unhealthy after 3 failures)`."""
    from devctl.pipeline.health_spec import target_text

    text = f"{h['type']} {target_text(h)} (ready within {h['timeout_ms'] / 1000:g} s"
    if h.get("period_ms"):  # a plan checked before the probe knobs existed has none
        text += f"; then every {h['period_ms'] / 1000:g} s, unhealthy after {h['failure_threshold']} failures"
        if h["restart_on_unhealthy"]:
            text += ", then restarted"
    return text + ")"


def plan_lines(services: list[ServiceSpec]) -> list[str]:
    """What `up --dry-run` prints: each service in start order with what would run."""
    import shlex

    lines = []
    for svc in services:
        lines.append(f"{svc['name']}  (from {svc.get('plugin') or 'plan'})")
        lines.append(f"  command: {shlex.join(svc['command'])}")
        lines.append(f"  cwd: {svc['cwd']}")
        if svc.get("user"):
            lines.append(f"  user: {svc['user']}")
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
            lines.append("  health: " + health_line(h))
        else:
            lines.append("  health: none (ready after staying up 0.5 s)")
        lines.append(
            f"  restart: {svc['restart']} (max {svc['max_restarts']}), stop: {svc['stop_signal']}"
            f" then SIGKILL after {svc['stop_timeout_ms'] / 1000:g} s"
        )
    return lines
