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


def test_spawns_take_one_event_loop_turn_each(tmp_path, monkeypatch):
    """A spawn blocks the loop until its child has exec'd (tens of ms on a busy box). Fifty spawn
    tasks made ready at once used to run back to back in one turn of the loop, so no probe ran
    and no readiness was noticed until the last had started: each spawn now has a turn of its own,
    in plan order, and whatever else is due runs in between."""
    from devctl.supervisor import runtime
    from devctl.supervisor import states as sm
    from devctl.supervisor.events import EventLog

    order: list[str] = []

    def fake_spawn(spec: ServiceSpec, _paths: Paths, _run_id: str | None) -> object:
        order.append(spec["name"])
        return object()

    monkeypatch.setattr(runtime.spawner, "spawn", fake_spawn)

    async def main() -> None:
        paths = Paths(tmp_path)
        (tmp_path / ".devctl").mkdir()
        sup = runtime.Supervisor(paths, [spec(name=n) for n in ("a", "b", "c")],
                                 EventLog(paths.events))
        monkeypatch.setattr(sup, "_started", lambda _svc, _proc: None)
        for svc in sup.services.values():
            svc.st = sm.SvcState(state="starting")

        async def other_work() -> None:
            for _ in range(20):
                order.append("|")
                await anyio.sleep(0)

        async with anyio.create_task_group() as tg:
            sup.tg = tg
            for svc in sup.services.values():
                tg.start_soon(sup._spawn, svc)
            tg.start_soon(other_work)

    anyio.run(main)
    spawned = [x for x in order if x != "|"]
    assert spawned == ["a", "b", "c"]
    assert all("|" in pair for pair in zip(order, order[1:], strict=False) if pair[0] != "|"), order


def test_a_stop_wave_signals_every_group_before_waiting_for_any(tmp_path, monkeypatch):
    """`down` of 50 services: each service's stop used to look for descendants and send its
    signal in a task of its own, so the signals went out one per task, with a /proc sweep
    before each. Now the wave does one sweep, signals every group back to back, and only
    then does each service's stop wait for its group (and look for late orphans)."""
    from devctl.supervisor import runtime
    from devctl.supervisor import states as sm
    from devctl.supervisor.events import EventLog

    log: list[str] = []
    names = ["a", "b", "c"]
    # Group ids above the kernel's pid_max: no process can have them, so the real group checks
    # that follow (stop_group) find them empty without signalling anyone.
    limit = Path("/proc/sys/kernel/pid_max")
    pid_max = int(limit.read_text()) if limit.exists() else 4_194_304
    monkeypatch.setattr(runtime, "signal_group",
                        lambda pgid, sig: log.append(f"signal {pgid - pid_max} {sig}"))
    monkeypatch.setattr(runtime.Supervisor, "sweep_once", lambda self, only=None: log.append(
        f"sweep {only.name if only else 'all'}"))

    async def main() -> None:
        paths = Paths(tmp_path)
        (tmp_path / ".devctl").mkdir()
        sup = runtime.Supervisor(paths, [spec(name=n, stop_signal="SIGINT" if n == "b" else "SIGTERM")
                                         for n in names], EventLog(paths.events))
        for i, svc in enumerate(sup.services.values(), start=1):
            svc.st = sm.SvcState(state="healthy", ever_ready=True)
            svc.proc, svc.pid, svc.group = object(), pid_max + i, pid_max + i  # type: ignore[assignment]

        async def exits() -> None:
            for _ in range(100):  # the services exit once every signal went out
                if sum(x.startswith("signal") for x in log) == len(names):
                    break
                await anyio.sleep(0)
            log.append("exits")
            for svc in sup.services.values():
                svc.proc = None
                svc.exited.set()

        async with anyio.create_task_group() as tg:
            sup.tg = tg
            tg.start_soon(exits)
            with anyio.fail_after(10):
                await sup.stop(names)
            tg.cancel_scope.cancel()
        assert all(svc.st.state == "stopped" for svc in sup.services.values())

    anyio.run(main)
    assert log[0] == "sweep all" and log[4] == "exits"
    assert sorted(log[1:4]) == ["signal 1 15", "signal 2 2", "signal 3 15"]  # each its own stop_signal
    # After its group is gone, each one still looks for orphans the stop re-parented to us.
    assert sorted(log[5:]) == ["sweep a", "sweep b", "sweep c"]


def test_state_is_rewritten_at_most_once_per_period_while_shutting_down(tmp_path, monkeypatch):
    """Every exit during a shutdown marked the state dirty, and each turn of the loop rewrote
    the whole file (50 services: ~1-2 ms each) while the exiting services needed the CPU. Once
    the shutdown is requested the writer writes the next change, then at most one per
    SHUTDOWN_WRITE_S; before that, every change is written."""
    from devctl.supervisor import runtime
    from devctl.supervisor.events import EventLog

    writes: list[bool] = []
    monkeypatch.setattr(runtime, "save_state", lambda _path, _snap: writes.append(True) or True)

    async def main() -> None:
        paths = Paths(tmp_path)
        (tmp_path / ".devctl").mkdir()
        sup = runtime.Supervisor(paths, [spec(name=n) for n in ("a", "b")], EventLog(paths.events))
        sup._dirty = False

        async def changes(n: int) -> None:
            for _ in range(n):
                sup.mark_dirty()
                for _ in range(5):
                    await anyio.sleep(0)

        async with anyio.create_task_group() as tg:
            tg.start_soon(sup._state_writer)
            await changes(3)
            assert len(writes) == 3  # running: every change
            sup.shutdown_requested.set()
            await changes(6)
            tg.cancel_scope.cancel()

    anyio.run(main)
    assert len(writes) == 4
