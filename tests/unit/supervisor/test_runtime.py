"""`devctl.supervisor.runtime`: what a service's record says (pure: no process is started)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from devctl.pipeline.services import ServiceSpec
from devctl.procs import tasks
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

    tasks.run(main)


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
                await tasks.sleep(0)

        async with tasks.create_task_group() as tg:
            sup.tg = tg
            for svc in sup.services.values():
                tg.start_soon(sup._spawn, svc)
            tg.start_soon(other_work)

    tasks.run(main)
    spawned = [x for x in order if x != "|"]
    assert spawned == ["a", "b", "c"]
    assert all("|" in pair for pair in zip(order, order[1:], strict=False) if pair[0] != "|"), order


def _writes(monkeypatch: Any) -> list[int]:
    """Count state.json writes (their number of services) instead of writing."""
    from devctl.supervisor import runtime

    done: list[int] = []
    monkeypatch.setattr(runtime, "save_state",
                        lambda _path, data: done.append(len(json.loads(data)["services"])) or True)
    return done


def test_a_probe_detail_is_written_later_a_state_change_at_once(tmp_path, monkeypatch):
    """A starting service's probe error is announced by no event and awaited by no one: it goes
    to state.json with the next change, or DETAIL_WRITE_S later, instead of costing a full
    state write of its own per starting service. A state change is still written at once."""
    from devctl.supervisor import runtime
    from devctl.supervisor.events import EventLog

    monkeypatch.setattr(runtime, "DETAIL_WRITE_S", 0.2)
    writes = _writes(monkeypatch)

    async def main() -> None:
        paths = Paths(tmp_path)
        (tmp_path / ".devctl").mkdir()
        health = {"type": "tcp", "address": "127.0.0.1:1", "period_ms": 2000}
        sup = runtime.Supervisor(paths, [spec(name="a", health=health), spec(name="b", health=health)],
                                 EventLog(paths.events))
        async with tasks.create_task_group() as tg:
            sup.tg = tg
            sup.flush_state()
            tg.start_soon(sup._state_writer)
            await tasks.sleep(0.01)
            assert writes == [2]
            sup._note_health(sup.services["a"], False, "connection refused")
            sup._note_health(sup.services["b"], False, "connection refused")
            await tasks.sleep(0.05)
            assert writes == [2], "a probe detail alone was written at once"
            with tasks.fail_after(5):
                while len(writes) < 2:
                    await tasks.sleep(0.01)
            assert writes == [2, 2]  # both details, one write
            sup.mark_dirty()  # what `feed` does on a state change
            await tasks.sleep(0.01)
            assert writes == [2, 2, 2]
            tg.cancel_scope.cancel()

    tasks.run(main)


def test_watch_flushes_once_for_the_events_already_queued(tmp_path, monkeypatch):
    """The `watch` stream flushes state.json before it sends events (a watcher reads the file on
    an event), once for everything already queued rather than once per event, while other work
    changed the state between two sends."""
    from devctl.supervisor import runtime
    from devctl.supervisor.events import EventLog
    from devctl.supervisor.handlers import make_handler

    writes = _writes(monkeypatch)
    sent: list[dict[str, Any]] = []

    async def main() -> None:
        paths = Paths(tmp_path)
        (tmp_path / ".devctl").mkdir()
        sup = runtime.Supervisor(paths, [spec(name="a")], EventLog(paths.events))
        handle = make_handler(sup)

        async def send(msg: dict[str, Any]) -> None:
            sent.append(msg)
            sup.mark_dirty()  # the loop ran other tasks while this line went out
            await tasks.sleep(0)

        async with tasks.create_task_group() as tg:
            sup.tg = tg
            tg.start_soon(handle, {"op": "watch"}, send)
            await tasks.sleep(0.01)
            before = len(writes)
            for n in range(3):
                sup.mark_dirty()
                sup.events.emit("a", "ping", n=n)
            with tasks.fail_after(5):
                while len(sent) < 4:
                    await tasks.sleep(0.01)
            assert [m["event"]["n"] for m in sent[1:]] == [0, 1, 2]
            assert len(writes) - before == 1
            tg.cancel_scope.cancel()

    tasks.run(main)


def test_the_state_file_from_cached_records_equals_the_snapshot_after_every_kind_of_change(tmp_path):
    """state.json is built from each service's cached JSON, re-encoded only when its key says
    the record changed: after each kind of change it must read exactly as `snapshot()`."""
    from devctl.supervisor import runtime
    from devctl.supervisor import states as sm
    from devctl.supervisor.events import EventLog

    class NoTasks:
        def start_soon(self, *_args: Any) -> None:
            pass

    paths = Paths(tmp_path)
    (tmp_path / ".devctl").mkdir()
    health = {"type": "tcp", "address": "127.0.0.1:1", "period_ms": 2000, "timeout_ms": 30_000,
              "initial_delay_ms": 0, "probe_timeout_ms": 1000}
    sup = runtime.Supervisor(paths, [spec(name="a", health=health), spec(name="b", depends_on=["a"])],
                             EventLog(paths.events))
    sup.tg = NoTasks()
    a = sup.services["a"]

    def same() -> None:
        fast = json.loads(sup.state_json())
        slow = json.loads(json.dumps({"version": 1, **sup.snapshot()}, default=str))
        fast.pop("updated_at"), slow.pop("updated_at")
        assert fast == slow

    same()
    changes = [
        lambda: sup.schedule(),  # a: waiting -> starting
        lambda: setattr(a, "pid", 4242) or setattr(a, "create_time", 12.5) or setattr(a, "started_at", 99.0),
        lambda: sup.feed(a, sm.Spawned(4242)),
        lambda: sup._note_health(a, False, "connection refused"),  # in place: compared by value
        lambda: sup._probe_result(a, (True, "")),  # ready, and b may start
        lambda: a.descendants.__setitem__(4343, 13.0),  # in place: its length
        lambda: sup.strays.__setitem__(4444, 14.0),
        lambda: setattr(a, "last_exit", {"code": 1, "signal": None, "at": 100.0}),
        lambda: sup.feed(a, sm.Exited(4242, 1, None)),
        lambda: sup.replace_plan([spec(name="a", health=health, env={"MODE": "prod", "DB_PASSWORD": "x"}),
                                  spec(name="b", depends_on=["a"])], fresh=set()),
        lambda: setattr(sup.services["b"], "ready_at", 101.0),
    ]
    for change in changes:
        change()
        same()


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
                await tasks.sleep(0)
            log.append("exits")
            for svc in sup.services.values():
                svc.proc = None
                svc.exited.set()

        async with tasks.create_task_group() as tg:
            sup.tg = tg
            tg.start_soon(exits)
            with tasks.fail_after(10):
                await sup.stop(names)
            tg.cancel_scope.cancel()
        assert all(svc.st.state == "stopped" for svc in sup.services.values())

    tasks.run(main)
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
                    await tasks.sleep(0)

        async with tasks.create_task_group() as tg:
            tg.start_soon(sup._state_writer)
            await changes(3)
            assert len(writes) == 3  # running: every change
            sup.shutdown_requested.set()
            await changes(6)
            tg.cancel_scope.cancel()

    tasks.run(main)
    assert len(writes) == 4
