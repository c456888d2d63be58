"""Turn the pipeline's services into a plan the supervisor can run, or fail before starting anything.

Checks that need no process: safe names, unique names, known `depends_on`, no cycles, a known
`stop_signal` (all configuration errors, exit 2). Checks of the surroundings, still before
anything starts: every command resolves to an executable file and every `cwd` exists (the OS
error, naming the service), and no health port is already taken by another process (naming
the holder). Pure helpers plus two thin OS probes.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import urlsplit

from devctl.errors import ConfigError, DevctlError
from devctl.pipeline.health_spec import HealthCheck
from devctl.pipeline.services import (
    ServiceSpec,
    check_dependencies,
    normalize_service,
    start_order,
)
from devctl.procs.which import MISSING, NOT_ON_PATH, NotExecutable, resolve_executable

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: `up` loads this module (docs/performance.md, "T2")
if TYPE_CHECKING:
    from typing import Any

__all__ = ["normalize", "in_start_order", "start_order", "health_target", "dependents", "check_commands",
           "check_ports"]

def normalize(services: Sequence[Mapping[str, Any]], repo_root: Path) -> list[ServiceSpec]:
    """Check every service and return them in start order (dependencies first).

    The shape rules live in one place, `devctl.pipeline.services`; the supervisor applies them
    again as its own guard, so a plan built any other way (tests, a future API) gets the same
    checks. Services that carry no `plugin` are named as coming from "plan".
    """
    out: list[ServiceSpec] = []
    for index, raw in enumerate(services):
        plugin = (raw.get("plugin") if isinstance(raw, dict) else None) or "plan"
        out.append(normalize_service(raw, plugin, repo_root, index=index))
    return in_start_order(out)


def in_start_order(checked: list[ServiceSpec]) -> list[ServiceSpec]:
    """Services already normalized (the pipeline's result: `normalize_service` ran on each as
    it was planned) in start order, after the checks that need all of them together: no name
    twice, every dependency planned, no cycle. `up` calls this and not `normalize`, which would
    run every service's checks a second time (~3 ms of its CLI at 10 services)."""
    seen: set[str] = set()
    for svc in checked:
        if svc["name"] in seen:
            raise ConfigError(f"service {svc['name']!r} is planned twice")
        seen.add(svc["name"])
    check_dependencies(checked)
    by_name = {s["name"]: s for s in checked}
    return [by_name[n] for n in start_order(checked)]


def health_target(health: HealthCheck | None) -> tuple[str, int] | None:
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


def dependents(services: list[ServiceSpec]) -> dict[str, set[str]]:
    """name → services that depend on it directly (for stopping in reverse order)."""
    result: dict[str, set[str]] = {s["name"]: set() for s in services}
    for svc in services:
        for dep in svc["depends_on"]:
            result[dep].add(svc["name"])
    return result


# ---- checks of the surroundings (before anything starts) ----------------------------------


def check_commands(services: list[ServiceSpec]) -> None:
    """Every service's cwd exists and its command resolves to an executable file."""
    for svc in services:
        where = f"service {svc['name']!r}"
        cwd = svc["cwd"]
        if not os.path.isdir(cwd):
            raise DevctlError(f"{where}: working directory {cwd}: No such directory")
        resolve_command(svc)
        check_probe_command(svc)


def check_probe_command(svc: ServiceSpec) -> None:
    """An exec health probe's program resolves too (else every probe fails until `timeout_ms`)."""
    health = svc["health"]
    if health is not None and health["type"] == "exec":
        resolve_command(svc, health.get("command", [""])[0], what="health command")


def resolve_command(svc: ServiceSpec, prog: str | None = None, what: str = "") -> str:
    """The executable `command[0]` (or `prog`) runs, or DevctlError with the OS error naming the
    service (and `what`: which command of it)."""
    where = f"service {svc['name']!r}" + (f": {what}" if what else "")
    prog = prog or svc["command"][0]
    search = svc["env"].get("PATH", os.environ.get("PATH", os.defpath))
    try:
        return resolve_executable(prog, svc["cwd"], search)
    except NotExecutable as exc:
        if exc.reason == NOT_ON_PATH:
            raise DevctlError(f"{where}: {prog}: command not found in PATH") from None
        if exc.reason == MISSING:
            raise DevctlError(f"{where}: {prog}: [Errno 2] {os.strerror(2)}") from None
        raise DevctlError(f"{where}: {prog}: [Errno 13] {os.strerror(13)} (not an executable file)") from None


def check_ports(services: list[ServiceSpec], connect_timeout: float = 0.2) -> None:
    """Fail when a health port already accepts connections before its service started.

    Otherwise a stray process from an earlier run would pass the check and the real service
    would die on "address in use" behind a green status.
    """
    for svc in services:
        target = health_target(svc.get("health"))
        if target is None:
            continue
        host, port = target
        if not _accepts(host, port, connect_timeout):
            continue
        holder = port_holder(port)
        raise DevctlError(
            f"service {svc['name']!r}: health port {host}:{port} is already in use by {holder} "
            "before the service started; stop it or change the port"
        )


def _accepts(host: str, port: int, timeout: float) -> bool:
    """Whether `host:port` accepts a connection now. An IP address (the usual `127.0.0.1`) is
    connected to directly: `create_connection` looks it up first, and the first look-up of an
    `up` imported the IDNA codec (with `stringprep` and `unicodedata`: ~4 ms of CPU)."""
    family = _ip_family(host)
    try:
        if family is None:
            socket.create_connection((host, port), timeout=timeout).close()
        else:
            with socket.socket(family, socket.SOCK_STREAM) as sock:
                sock.settimeout(timeout)
                sock.connect((host, port))
    except OSError:
        return False
    return True


def _ip_family(host: str) -> int | None:
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, host)
        except (OSError, ValueError):
            continue
        return family
    return None


def short_cmdline(argv: list[str], limit: int = 80) -> str:
    """A command line cut to `limit` characters, with '…' when cut, so a cut one is not read as whole."""
    text = " ".join(argv)
    return text if len(text) <= limit else text[: limit - 1] + "…"


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
                cmd = short_cmdline(psutil.Process(conn.pid).cmdline())
            except psutil.Error:
                cmd = "?"
            return f"pid {conn.pid} ({cmd})"
    return "another process (not visible to this user)"
