"""A starting service is probed the moment its port listens (supervisor/listen_watch.py), with a
real service and the real kernel: the probes' own pace is stretched to a minute here, so the
service can only be found ready in time if the watch woke its probe."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from devctl.pipeline.services import normalize_service
from devctl.procs import tasks
from devctl.procs.listening import ListeningPorts
from devctl.supervisor import health as health_mod
from devctl.supervisor import runtime
from devctl.supervisor.events import EventLog
from devctl.supervisor.paths import Paths
from tests.reliability.harness import alive, free_port

SERVICES = Path(__file__).resolve().parents[2] / "testdata" / "services"


def _can_watch() -> bool:
    asker = ListeningPorts.open()
    if asker is None:
        return False
    asker.close()
    return True


@pytest.mark.skipif(not _can_watch(), reason="this kernel does not answer sock_diag requests")
@pytest.mark.parametrize("check", ["tcp", "http"])
def test_a_slow_starter_is_found_ready_when_its_port_opens_not_at_its_next_probe(tmp_path, monkeypatch,
                                                                               check):
    monkeypatch.setattr(health_mod, "STARTING_INTERVAL_S", 60.0)
    monkeypatch.setattr(health_mod, "WATCHED_STARTING_INTERVAL_S", 60.0)
    monkeypatch.setattr(health_mod, "STARTING_CAP_S", 60.0)
    port = free_port()
    if check == "tcp":
        command = [sys.executable, str(SERVICES / "tcp_listen.py"), str(port), "--delay", "0.3"]
        health = {"type": "tcp", "address": f"127.0.0.1:{port}", "timeout_ms": 120_000, "period_ms": 60_000}
    else:
        command = [sys.executable, str(SERVICES / "http_health.py"), str(port), "--delay", "0.3"]
        health = {"type": "http", "url": f"http://127.0.0.1:{port}/", "timeout_ms": 120_000,
                  "period_ms": 60_000}
    spec = normalize_service({"name": "web", "command": command, "health": health}, "test", tmp_path)
    pids: list[int] = []
    probes: list[bool] = []

    async def main() -> None:
        paths = Paths(tmp_path)
        paths.logs.mkdir(parents=True)
        sup = runtime.Supervisor(paths, [spec], EventLog(paths.events))
        real_probe = sup._probe

        async def counted(svc: runtime.Service, h: dict) -> tuple[bool, str]:
            result = await real_probe(svc, h)  # type: ignore[arg-type]
            probes.append(result[0])
            return result

        monkeypatch.setattr(sup, "_probe", counted)
        async with tasks.create_task_group() as tg:
            sup.tg = tg
            sup.schedule()
            web = sup.services["web"]
            try:
                # 20 s: far more than a loaded box needs to start it, far less than the minute
                # between two of its probes without the watch.
                await sup.wait_until(lambda: web.st.state != "starting", timeout=20)
                assert web.st.state == "healthy", web.st
                assert web.pid is not None
                pids.append(web.pid)
            finally:
                with tasks.CancelScope(shield=True):
                    await sup.stop(list(sup.services), timeout=10)
                    sup.listen_watch.close()
                tg.cancel_scope.cancel()

    tasks.run(main)
    assert probes[0] is False and probes[-1] is True  # refused first, then woken by the port
    assert len(probes) <= 3, probes
    assert pids and not alive(pids[0])
