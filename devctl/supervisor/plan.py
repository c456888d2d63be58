"""Turn the pipeline's services into a plan the supervisor can run, or fail before starting anything.

Checks that need no process: safe names, unique names, known `depends_on`, no cycles, a known
`stop_signal` (all configuration errors, exit 2). Checks of the surroundings, still before
anything starts: every command resolves to an executable file and every `cwd` exists (the OS
error, naming the service), and no health port is already taken by another process (naming
the holder). Pure helpers plus two thin OS probes.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from devctl.errors import ConfigError, DevctlError
from devctl.statedir import check_name

DEFAULT_HEALTH_TIMEOUT_MS = 30_000
DEFAULT_STOP_TIMEOUT_MS = 10_000
DEFAULT_MAX_RESTARTS = 5
RESTART_POLICIES = ("no", "on-failure", "always")


def normalize(services: list[dict[str, Any]], repo_root: Path) -> list[dict[str, Any]]:
    """Fill defaults and check shapes, names and dependencies; return services in start order.

    The pipeline already normalizes services; this is the supervisor's own guard so a plan
    built any other way (tests, `--force`, a future API) gets the same checks.
    """
    seen: set[str] = set()
    out: list[dict[str, Any]] = []
    for raw in services:
        svc = _one(raw, repo_root)
        if svc["name"] in seen:
            raise ConfigError(f"service {svc['name']!r} is planned twice")
        seen.add(svc["name"])
        out.append(svc)
    for svc in out:
        for dep in svc["depends_on"]:
            if dep not in seen:
                raise ConfigError(f"service {svc['name']!r}: depends_on names no service: {dep!r}")
            if dep == svc["name"]:
                raise ConfigError(f"service {svc['name']!r} depends on itself")
    order = start_order(out)
    by_name = {s["name"]: s for s in out}
    return [by_name[n] for n in order]


def _one(raw: Any, repo_root: Path) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ConfigError(f"a planned service must be an object, got {type(raw).__name__}")
    name = check_name(raw.get("name"), what="service name")
    where = f"service {name!r}"
    command = raw.get("command")
    if not isinstance(command, list) or not command or not all(isinstance(a, str) for a in command):
        raise ConfigError(f"{where}: command must be a non-empty list of strings")
    cwd = Path(raw.get("cwd") or repo_root)
    if not cwd.is_absolute():
        cwd = repo_root / cwd
    env = raw.get("env") or {}
    if not isinstance(env, dict):
        raise ConfigError(f"{where}: env must be an object")
    restart = raw.get("restart") or "on-failure"
    if restart not in RESTART_POLICIES:
        raise ConfigError(f"{where}: restart must be one of {', '.join(RESTART_POLICIES)}, got {restart!r}")
    stop_signal = str(raw.get("stop_signal") or "SIGTERM").upper()
    if not stop_signal.startswith("SIG"):
        stop_signal = "SIG" + stop_signal
    if not isinstance(getattr(signal, stop_signal, None), signal.Signals):
        raise ConfigError(f"{where}: unknown stop_signal {raw.get('stop_signal')!r}")
    deps = raw.get("depends_on") or []
    if not isinstance(deps, list) or not all(isinstance(d, str) for d in deps):
        raise ConfigError(f"{where}: depends_on must be a list of service names")
    return {
        "name": name,
        "command": list(command),
        "cwd": str(cwd),
        "env": {str(k): str(v) for k, v in env.items()},
        "health": _health(raw.get("health"), where),
        "depends_on": list(dict.fromkeys(deps)),
        "restart": restart,
        "max_restarts": _int(raw.get("max_restarts"), DEFAULT_MAX_RESTARTS, where, "max_restarts"),
        "stop_signal": stop_signal,
        "stop_timeout_ms": _int(
            raw.get("stop_timeout_ms"), DEFAULT_STOP_TIMEOUT_MS, where, "stop_timeout_ms"
        ),
        "plugin": raw.get("plugin") or "",
    }


def _int(value: Any, default: int, where: str, key: str) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{where}: {key} must be a non-negative integer, got {value!r}")
    return value


def _health(raw: Any, where: str) -> dict[str, Any] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: health must be an object")
    kind = raw.get("type")
    timeout = _int(raw.get("timeout_ms"), DEFAULT_HEALTH_TIMEOUT_MS, where, "health.timeout_ms")
    if kind == "tcp":
        address = raw.get("address")
        if not isinstance(address, str) or health_target({"type": "tcp", "address": address}) is None:
            raise ConfigError(f"{where}: health.address must be host:port, got {address!r}")
        return {"type": "tcp", "address": address, "timeout_ms": timeout}
    if kind == "http":
        url = raw.get("url")
        if not isinstance(url, str) or health_target({"type": "http", "url": url}) is None:
            raise ConfigError(f"{where}: health.url must be an http:// or https:// URL, got {url!r}")
        return {"type": "http", "url": url, "timeout_ms": timeout}
    raise ConfigError(f"{where}: health.type must be 'tcp' or 'http', got {kind!r}")


def health_target(health: dict[str, Any] | None) -> tuple[str, int] | None:
    """(host, port) a health check connects to, or None if it cannot be parsed."""
    if not health:
        return None
    try:
        if health.get("type") == "tcp":
            host, _, port = str(health.get("address", "")).rpartition(":")
            host = host.strip("[]")
            return (host or "127.0.0.1", int(port)) if port.isdigit() else None
        parts = urlsplit(str(health.get("url", "")))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return None
        return parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None


def start_order(services: list[dict[str, Any]]) -> list[str]:
    """Names in an order where every service comes after its dependencies (stable: plan order
    breaks ties). A cycle is a ConfigError that spells the cycle out."""
    deps = {s["name"]: list(s["depends_on"]) for s in services}
    order: list[str] = []
    state: dict[str, int] = {}  # 1 = visiting, 2 = done

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            cycle = path[path.index(name):] + [name]
            raise ConfigError("dependency cycle: " + " → ".join(cycle))
        state[name] = 1
        for dep in deps[name]:
            visit(dep, path + [name])
        state[name] = 2
        order.append(name)

    for svc in services:
        visit(svc["name"], [])
    return order


def dependents(services: list[dict[str, Any]]) -> dict[str, set[str]]:
    """name → services that depend on it directly (for stopping in reverse order)."""
    result: dict[str, set[str]] = {s["name"]: set() for s in services}
    for svc in services:
        for dep in svc["depends_on"]:
            result[dep].add(svc["name"])
    return result


# ---- checks of the surroundings (before anything starts) ----------------------------------


def check_commands(services: list[dict[str, Any]]) -> None:
    """Every service's cwd exists and its command resolves to an executable file."""
    for svc in services:
        where = f"service {svc['name']!r}"
        cwd = svc["cwd"]
        if not os.path.isdir(cwd):
            raise DevctlError(f"{where}: working directory {cwd}: No such directory")
        resolve_command(svc)


def resolve_command(svc: dict[str, Any]) -> str:
    """The executable `command[0]` runs, or DevctlError with the OS error naming the service."""
    where = f"service {svc['name']!r}"
    prog = svc["command"][0]
    if os.sep in prog:
        path = prog if os.path.isabs(prog) else os.path.join(svc["cwd"], prog)
        if not os.path.exists(path):
            raise DevctlError(f"{where}: {prog}: [Errno 2] {os.strerror(2)}")
        if os.path.isdir(path) or not os.access(path, os.X_OK):
            raise DevctlError(f"{where}: {prog}: [Errno 13] {os.strerror(13)} (not an executable file)")
        return path
    search = svc["env"].get("PATH", os.environ.get("PATH", os.defpath))
    found = shutil.which(prog, path=search)
    if found is None:
        raise DevctlError(f"{where}: {prog}: command not found in PATH")
    return found


def check_ports(services: list[dict[str, Any]], connect_timeout: float = 0.2) -> None:
    """Fail when a health port already accepts connections before its service started.

    Otherwise a stray process from an earlier run would pass the check and the real service
    would die on "address in use" behind a green status.
    """
    for svc in services:
        target = health_target(svc.get("health"))
        if target is None:
            continue
        host, port = target
        try:
            with socket.create_connection((host, port), timeout=connect_timeout):
                pass
        except OSError:
            continue
        holder = port_holder(port)
        raise DevctlError(
            f"service {svc['name']!r}: health port {host}:{port} is already in use by {holder} "
            "before the service started; stop it or change the port"
        )


def port_holder(port: int) -> str:
    """'pid 123 (python3 -m http.server)' for the process listening on `port`, as far as we can see."""
    import psutil

    try:
        conns = psutil.net_connections(kind="tcp")
    except (psutil.Error, OSError):
        conns = []
    for conn in conns:
        if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port and conn.pid:
            try:
                cmd = " ".join(psutil.Process(conn.pid).cmdline())[:80]
            except psutil.Error:
                cmd = "?"
            return f"pid {conn.pid} ({cmd})"
    return "another process (not visible to this user)"
