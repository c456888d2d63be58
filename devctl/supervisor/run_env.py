"""`devctl run`: the variables CMD gets, which services a run needs, and whether a running env fits.

Pure functions over checked services (`ServiceSpec`) and `state.json` records, so every rule is
tested without a process. The variable names are documented in docs/ci.md:

- `DEVCTL_<SERVICE>_HOST`, `_PORT`, `_ADDRESS` (`host:port`) for a service with a health
  check (the address the probe connects to); `_URL` (`scheme://host:port`) and `_HEALTH_URL`
  (the probe's whole URL) for an http one.
- `DEVCTL_<SERVICE>_<KEY>` for each port the service declares in its own `env` (`PORT`,
  `ADMIN_PORT`, … whose value is a number); a health check's port wins `_PORT`.
- `DEVCTL_CONFIG` (the merged config, JSON), `DEVCTL_SERVICES` (the names, space-separated),
  `DEVCTL_REPO_ROOT`.

`<SERVICE>` is the name upper-cased with every character that is not an ASCII letter or digit
turned into `_` (`api-v2` → `API_V2`). Two services that map to the same name (`web-1`,
`web_1`) would silently overwrite each other: the first in start order keeps it, and a warning
names both.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from devctl.pipeline.services import ServiceSpec
from devctl.supervisor.plan import health_target
from devctl.supervisor.service_states import UP_STATES
from devctl.supervisor.state_store import redact_env

PREFIX = "DEVCTL_"
_NOT_ALNUM = re.compile(r"[^A-Za-z0-9]")
#: Env keys of a service read as declared ports: `PORT`, or ending in `_PORT`.
_PORT_KEY = re.compile(r"^(?:.*_)?PORT$", re.IGNORECASE)


def service_prefix(name: str) -> str:
    """`DEVCTL_<NAME>`: upper-cased, non-alphanumerics as `_` (ASCII only, so any shell can read it)."""
    return PREFIX + _NOT_ALNUM.sub("_", name.encode("ascii", "replace").decode()).upper()


def _host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def service_variables(svc: ServiceSpec) -> dict[str, str]:
    """The variables describing one service's address and declared ports (see the module doc)."""
    prefix = service_prefix(svc["name"])
    found: dict[str, str] = {}
    for key, value in svc["env"].items():
        if _PORT_KEY.match(key) and value.isascii() and value.isdigit():
            found[f"{prefix}_{_NOT_ALNUM.sub('_', key).upper()}"] = value
    health = svc["health"]
    target = health_target(health)
    if health is not None and target is not None:
        host, port = target
        found[f"{prefix}_HOST"] = host
        found[f"{prefix}_PORT"] = str(port)
        found[f"{prefix}_ADDRESS"] = _host_port(host, port)
        if health["type"] == "http":
            url = str(health.get("url", ""))
            found[f"{prefix}_URL"] = f"{urlsplit(url).scheme}://{_host_port(host, port)}"
            found[f"{prefix}_HEALTH_URL"] = url
    return found


def run_variables(services: Sequence[ServiceSpec], config: Mapping[str, Any],
                  repo_root: str) -> tuple[dict[str, str], list[str]]:
    """Every variable CMD gets from the plan, plus warnings (two services, one variable name)."""
    variables = {
        "DEVCTL_CONFIG": json.dumps(config, ensure_ascii=False, sort_keys=True, default=str),
        "DEVCTL_SERVICES": " ".join(s["name"] for s in services),
        "DEVCTL_REPO_ROOT": repo_root,
    }
    warnings: list[str] = []
    owner: dict[str, str] = {}
    for svc in services:
        prefix = service_prefix(svc["name"])
        if prefix in owner:
            warnings.append(f"services {owner[prefix]!r} and {svc['name']!r} both map to {prefix}_*; "
                            f"the variables describe {owner[prefix]!r} only (rename one to tell them apart)")
            continue
        owner[prefix] = svc["name"]
        variables.update(service_variables(svc))
    return variables, warnings


def needed(services: Sequence[ServiceSpec], names: Iterable[str]) -> list[ServiceSpec]:
    """The named services and everything they depend on, in start order; all of them for no name.

    Unknown names are the caller's to report (`unknown_names`)."""
    wanted = list(names)
    if not wanted:
        return list(services)
    by_name = {s["name"]: s for s in services}
    keep: set[str] = set()
    todo = [n for n in wanted if n in by_name]
    while todo:
        name = todo.pop()
        if name not in keep:
            keep.add(name)
            todo.extend(by_name[name]["depends_on"])
    return [s for s in services if s["name"] in keep]


def unknown_names(services: Sequence[ServiceSpec], names: Iterable[str]) -> list[str]:
    known = {s["name"] for s in services}
    return [n for n in names if n not in known]


def reuse_problem(planned: Sequence[ServiceSpec], records: Sequence[Mapping[str, Any]]) -> str | None:
    """Why the running environment cannot serve this run, or None when it can.

    It can when every planned service runs (running or healthy) with the spec the plan gives
    it now: same command, cwd, env (compared redacted, as state.json keeps it), depends_on and
    health check. Anything else would run CMD against something other than the plan.
    """
    by_name = {r.get("name"): r for r in records}
    for svc in planned:
        rec = by_name.get(svc["name"])
        if rec is None:
            return f"service {svc['name']!r} is planned but not running"
        if rec.get("state") not in UP_STATES:
            return f"service {svc['name']!r} is {rec.get('state')}"
        changed = [field for field, now, then in (
            ("command", svc["command"], rec.get("command")),
            ("cwd", svc["cwd"], rec.get("cwd")),
            ("env", redact_env(svc["env"]), rec.get("env")),
            ("depends_on", svc["depends_on"], rec.get("depends_on")),
            ("health", _health_key(svc), _record_health_key(rec)),
        ) if now != then]
        if changed:
            return (f"service {svc['name']!r} runs with another {', '.join(changed)} "
                    "than the plan gives it now")
    return None


def _health_key(svc: ServiceSpec) -> tuple[str, str] | None:
    health = svc["health"]
    if health is None:
        return None
    target = health_target(health)
    where = health.get("url") or (f"{target[0]}:{target[1]}" if target else "")
    return health["type"], str(where)


def _record_health_key(rec: Mapping[str, Any]) -> tuple[str, str] | None:
    health = rec.get("health")
    if not health:
        return None
    return str(health.get("type")), str(health.get("target"))
