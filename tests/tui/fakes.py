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
