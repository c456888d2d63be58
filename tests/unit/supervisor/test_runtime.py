"""`devctl.supervisor.runtime`: what a service's record says (pure: no process is started)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio

from devctl.pipeline.services import ServiceSpec
from devctl.supervisor.paths import Paths
from devctl.supervisor.runtime import Service


def spec(**extra: Any) -> ServiceSpec:
    base: dict[str, Any] = {
        "name": "api", "command": ["run"], "cwd": "/repo", "env": {"API_TOKEN": "t", "MODE": "dev"},
        "health": None, "depends_on": [], "restart": "on-failure", "max_restarts": 5,
        "stop_signal": "SIGTERM", "stop_timeout_ms": 10_000, "plugin": "p",
    }
    base.update(extra)
    return base  # type: ignore[return-value]


def test_record_follows_a_replaced_spec_although_its_fixed_parts_are_made_once():
    """The redacted env and log paths are built once per spec (they are in every state write);
    `replace_plan` keeps a service's record and swaps its spec: the record must show the new one."""

    async def main() -> None:
        paths = Paths(Path("/repo"))
        svc = Service(spec())
        first = svc.record(paths)
        assert first["env"] == {"API_TOKEN": "***", "MODE": "dev"}
        assert first["logs"] == {"stdout": "/repo/.devctl/logs/api.stdout.log",
                                 "stderr": "/repo/.devctl/logs/api.stderr.log"}
        assert svc.record(paths)["env"] is first["env"]  # made once for this spec
        svc.spec = spec(env={"MODE": "prod", "DB_PASSWORD": "p"})
        assert svc.record(paths)["env"] == {"MODE": "prod", "DB_PASSWORD": "***"}

    anyio.run(main)
