"""Fixed fake data for TUI snapshots and screenshots: no clock, pid or duration of this run."""

from __future__ import annotations

from typing import Any


def dofek_snapshot() -> dict[str, Any]:
    """A `DofekHost.snapshot` as `devctl dofek run --json` prints it: one healthy plugin with two
    panels, one crashed and waiting for its restart, one warned about its reply."""

    def plugin(name: str, state: str, **kw: Any) -> dict[str, Any]:
        base = {"name": name, "config_name": name, "state": state, "pid": None, "manifest": None,
                "last_outcome": "ok", "reply_ms": 1.0, "timeout_ms": 1000, "errors": 0,
                "consecutive_errors": 0, "last_error": None, "restarts": 0, "respawn_in_s": None,
                "counters": {}, "warnings": [], "data_age_s": 0.0, "status": "ok", "status_message": None,
                "timed_out": None, "panels": []}
        return {**base, **kw}

    web = {"id": "example.web", "label": "WEB", "content": [
        {"key": "Port", "value": "8080", "style": "accent"},
        {"key": "Served", "value": "1,204", "style": "normal"},
        {"key": "Flood log", "value": "12.4 MiB", "style": "dim"}]}
    queue = {"id": "example.queue", "label": "QUEUE", "content": [
        {"key": "Depth", "value": "17", "style": "warn"},
        {"key": "Consumers", "value": "2", "style": "normal"}]}
    return {
        "tick": 42, "time": 0.0, "refresh_ms": 1000, "config": "dofek.toml", "gpu": False,
        "process_count": 231,
        "plugins": [
            plugin("example", "healthy", panels=[web, queue]),
            plugin("gpu-watch", "crashed", last_outcome="crashed", errors=3, restarts=3, respawn_in_s=8.0,
                   last_error="exited with code 1: nvidia-smi: not found", status=None),
            plugin("ollama", "healthy", warnings=["style 'bold' is not one of normal, accent, dim, warn, "
                                                  "error; shown as normal"],
                   panels=[{"id": "ollama.models", "label": "OLLAMA", "content": [
                       {"key": "Models", "value": "llama3:8b", "style": "accent"},
                       {"key": "State", "value": "idle", "style": "dim"}]}]),
        ],
        "metrics": [
            {"plugin": "example", "id": "example.web_requests", "label": "Requests", "value": 1204,
             "unit": "", "history": [1100, 1120, 1150, 1151, 1180, 1204]},
            {"plugin": "example", "id": "example.flood_log_mib", "label": "Flood log", "value": 12.4,
             "unit": "MiB", "history": [2.0, 4.5, 7.1, 9.8, 12.4]},
            {"plugin": "ollama", "id": "ollama.vram", "label": "VRAM", "value": 0, "unit": "GiB",
             "history": [0, 0]},
        ],
        "processes": [
            {"pid": 4101, "name": "python3 app/flood.py", "cpu_percent": 38.5, "rss": 14_100_000,
             "vram_bytes": None, "annotations": [
                 {"pid": 4101, "plugin": "devctl", "label": "flood", "category": "dev", "ai_state": None}]},
            {"pid": 4093, "name": "python3 app/web.py", "cpu_percent": 1.2, "rss": 21_600_000,
             "vram_bytes": None, "annotations": [
                 {"pid": 4093, "plugin": "devctl", "label": "web", "category": "dev", "ai_state": None},
                 {"pid": 4093, "plugin": "example", "label": "web app", "category": "dev"}]},
            {"pid": 3120, "name": "ollama", "cpu_percent": 0.4, "rss": 512_000_000, "vram_bytes": None,
             "annotations": [{"pid": 3120, "plugin": "ollama", "label": "llama3:8b", "category": "ai",
                              "ai_state": "idle"}]},
        ],
        "services": None,
    }


def dofek_stderr() -> dict[str, list[str]]:
    return {"example": ["web answered in 3 ms"],
            "gpu-watch": ["Traceback (most recent call last):", "FileNotFoundError: nvidia-smi"],
            "ollama": []}


#: Every service started this long ago: the UPTIME column shows whole minutes (masked anyway).
UPTIME_S = 2 * 3600 + 90


def status_snapshot(root: str) -> dict[str, Any]:
    """The feed's `("state", ...)` delivery (`client.read_status`'s shape): five services, one of
    each kind of trouble."""
    import time

    def svc(name: str, state: str = "running", pid: int | None = 4100, **extra: Any) -> dict[str, Any]:
        return {"name": name, "state": state, "pid": pid, "pgid": pid, "restarts": 0,
                "started_at": time.time() - UPTIME_S, **extra}

    return {"repo_root": root, "supervisor": {"running": True, "pid": 4000}, "services": [
        svc("web", "healthy", health={"type": "http", "target": "http://127.0.0.1:8080/health", "ok": True}),
        svc("worker", pid=4101),
        svc("flaky", "restarting", pid=None, restarts=3, error="exited with code 1"),
        svc("db", "unhealthy", pid=4102, health={"type": "tcp", "target": "127.0.0.1:5432", "ok": False,
                                                 "error": "connection refused"}),
        svc("flood", "failed", pid=None, restarts=5, error="gave up after 5 restarts"),
    ]}


def usage() -> dict[str, Any]:
    """The feed's `("usage", ...)` delivery for the live services of `status_snapshot`."""
    from devctl.tui.feed import Usage

    return {"web": Usage(1.5, 21 * 2**20, 1), "worker": Usage(0.2, 13 * 2**20, 1),
            "db": Usage(3.0, 90 * 2**20, 4)}


#: `.devctl/events.ndjson` of a short morning: an `up`, a crash and its restart, a failing probe.
EVENTS = [
    {"ts": 1_000_000.0, "service": None, "event": "supervisor_started", "pid": 4000, "services": 3},
    {"ts": 1_000_000.1, "service": "db", "event": "started", "pid": 4100},
    {"ts": 1_000_001.2, "service": "db", "event": "ready"},
    {"ts": 1_000_001.3, "service": "web", "event": "started", "pid": 4101},
    {"ts": 1_000_001.4, "service": "worker", "event": "started", "pid": 4102},
    {"ts": 1_000_002.0, "service": "web", "event": "ready"},
    {"ts": 1_000_002.0, "service": "worker", "event": "ready"},
    {"ts": 1_000_002.1, "service": None, "event": "up_done", "services": 3},
    {"ts": 1_000_040.5, "service": "worker", "event": "exited", "pid": 4102, "exit_code": 1},
    {"ts": 1_000_040.5, "service": "worker", "event": "restarting", "attempt": 1, "delay_s": 1.0},
    {"ts": 1_000_041.6, "service": "worker", "event": "started", "pid": 4180},
    {"ts": 1_000_042.1, "service": "worker", "event": "ready"},
    {"ts": 1_000_090.0, "service": "db", "event": "unhealthy", "error": "connection refused"},
    {"ts": 1_000_096.0, "service": "db", "event": "recovered"},
]


def pipeline_record() -> dict[str, Any]:
    """`.devctl/pipeline.json` of an `up` whose validation warned and whose build ran two steps."""
    from devctl.pipeline import PHASES, PipelineResult
    from devctl.pipeline.record import build_record

    events = [
        {"event": "phase_start", "phase": "config.mutate"},
        {"event": "plugin_end", "phase": "config.mutate", "plugin": "app", "duration_ms": 20},
        {"event": "phase_end", "phase": "config.mutate", "ok": True, "duration_ms": 21},
        {"event": "phase_start", "phase": "build.run"},
        {"event": "step", "phase": "build.run", "plugin": "app", "name": "compile", "ok": True,
         "duration_ms": 3020, "message": "compiled 12 files"},
        {"event": "step", "phase": "build.run", "plugin": "app", "name": "assets", "ok": True,
         "skipped": True, "message": "unchanged"},
        {"event": "phase_end", "phase": "build.run", "ok": True, "duration_ms": 3040},
        {"event": "phase_start", "phase": "validate.run"},
        {"event": "phase_end", "phase": "validate.run", "ok": True, "duration_ms": 12},
        {"event": "phase_start", "phase": "launch.plan"},
        {"event": "phase_end", "phase": "launch.plan", "ok": True, "duration_ms": 30},
    ]
    result = PipelineResult(valid=True, warnings=[{"plugin": "app", "code": "W_NODE",
                                                   "message": "node 16 is past its end of life"}])
    return build_record(command="up", phases=PHASES, events=events, specs=[], clients=[], result=result,
                        error=None, started=1_000_000.0, duration_ms=3110)
