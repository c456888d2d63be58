"""The supervisor's engine: runs the plan's services and turns what happens into state-machine inputs.

One task group on `procs/tasks.py` (not asyncio: see there why), no threads on the hot path:
- a service's exit is noticed through a pidfd (instant, exact exit status: we are its parent);
- probes run every 25 ms while it starts (backing off for a slow starter; every 50 ms while
  its port is watched, the probe then woken the moment the port listens: supervisor/
  listen_watch.py) and every `health.period_ms` (2 s) once ready (devctl.supervisor.health);
- every decision (restart? give up? unhealthy?) is made by `states.transition`; this module only
  performs the actions it returns, records events, and keeps `.devctl/state.json` current.
The supervisor is a child subreaper, so descendants that `setsid` and get orphaned are
re-parented to it: it records them (pid + create time) and kills them with their service.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import subprocess
import time
from collections.abc import Callable

from devctl.pipeline.health_spec import HealthCheck, target_text
from devctl.pipeline.services import ServiceSpec
from devctl.procs import tasks
from devctl.procs.exits import signal_name
from devctl.procs.groups import signal_group, stop_group
from devctl.procs.pids import children, create_time, descendants, env_var, pid_alive
from devctl.supervisor import spawn as spawner
from devctl.supervisor import states as sm
from devctl.supervisor.events import EventLog
from devctl.supervisor.health import Prober, starting_delay
from devctl.supervisor.listen_watch import ListenWatch
from devctl.supervisor.paths import Paths
from devctl.supervisor.plan import dependents, health_target
from devctl.supervisor.service_states import LIVE_STATES, READY_STATES, UP_STATES
from devctl.supervisor.state_store import STATE_VERSION, redact_env, save_state
from devctl.supervisor.watch import run_watchers

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: imported while `up` plans (docs/performance.md, "T2")
if TYPE_CHECKING:  # plain dicts at run time (state_store.py)
    from typing import Any

    from devctl.supervisor.state_store import HealthStatus, LastExit, ServiceRecord

#: A service without a health check is ready once it has stayed up this long.
SETTLE_S = 0.5
#: How often descendants are recorded and orphaned grandchildren reaped.
SWEEP_S = 1.0
#: A health detail (a probe's error, no state change) reaches state.json at most this late.
DETAIL_WRITE_S = 0.25
#: While shutting down, state.json is rewritten at most this often (see `_state_writer`).
SHUTDOWN_WRITE_S = 0.25


class Service:
    """Runtime record of one service: its spec, its state-machine state, and its process."""

    def __init__(self, spec: ServiceSpec):
        self.spec = spec
        self.name: str = spec["name"]
        self.policy = sm.policy_of(spec)
        self.st = sm.SvcState()
        self.wanted = True
        self.proc: subprocess.Popen[bytes] | None = None
        self.pid: int | None = None
        self.create_time: float | None = None
        self.started_at: float | None = None
        self.ready_at: float | None = None
        self.gen = 0
        self.last_exit: LastExit | None = None
        self.health: HealthStatus | None = None
        if spec["health"]:
            self.health = {"type": spec["health"]["type"], "target": target_text(spec["health"]),
                           "ok": None, "error": "", "since": None}
        self.probe_env: dict[str, str] | None = None  # for an exec probe; made when first needed
        self.descendants: dict[int, float] = {}
        #: (group, when, descendants signalled with it): the stop signal already went out with the
        #: rest of its stop wave (Supervisor._signal_wave), so `_stop_group` only waits for it.
        self.stop_sent: tuple[int, float, list[int]] | None = None
        #: pgid of a group that may still have members (cleared once it is known empty).
        self.group: int | None = None
        self.restart_scope: tasks.CancelScope | None = None
        self.cleanup: tasks.Event | None = None
        self.exited = tasks.Event()
        self._fixed_for: ServiceSpec | None = None
        self._fixed_parts: tuple[dict[str, str], dict[str, str]] = ({}, {})
        self._json: tuple[tuple[Any, ...], str] | None = None  # (what it was made from, record as JSON)

    def record(self, paths: Paths) -> ServiceRecord:
        """What `state.json` says about this service (env redacted)."""
        env, logs = self._fixed(paths)
        return {
            "name": self.name,
            "state": self.st.state,
            "pid": self.pid,
            "pgid": self.pid,  # started with setsid: the group id is the leader's pid
            "create_time": self.create_time,
            "started_at": self.started_at,
            "ready_at": self.ready_at,
            "command": self.spec["command"],
            "cwd": self.spec["cwd"],
            "env": env,
            "logs": logs,
            "restarts": self.st.total_restarts,
            "restart_attempt": self.st.restarts,
            "restart_policy": self.spec["restart"],
            "last_exit": self.last_exit,
            "health": self._health_record(),
            "error": self.st.error,
            "depends_on": self.spec["depends_on"],
            "stop_signal": self.spec["stop_signal"],
            "stop_timeout_ms": self.spec["stop_timeout_ms"],
            "descendants": sorted([pid, ct] for pid, ct in self.descendants.items()),
            "plugin": self.spec.get("plugin", ""),
        }

    def record_json(self, paths: Paths) -> str:
        """`record` as JSON, encoded again only when something it shows changed.

        state.json is rewritten about twice per service while services start, each time with
        every service's record; most of them have not changed since the last write. The key
        holds everything `record` reads that can change: the state-machine state (a new
        frozen object on every change), the process fields, the exit (a new dict per exit),
        the health fields (updated in place: compared by value), the descendants (a new dict
        per start, only added to afterwards: its length) and the spec (replaced by an `apply`).
        A unit test compares the result with `record` after every kind of change."""
        h = self.health
        key = (self.st, self.pid, self.create_time, self.started_at, self.ready_at, self.last_exit,
               None if h is None else (h["ok"], h["error"], h["since"]),
               self.descendants, len(self.descendants), self.spec)
        if self._json is None or self._json[0] != key:
            self._json = (key, json.dumps(self.record(paths), ensure_ascii=False, default=str))
        return self._json[1]

    def _fixed(self, paths: Paths) -> tuple[dict[str, str], dict[str, str]]:
        """The parts of the record that only change with the spec (redacted env, log paths):
        made once per spec, not on every one of the many state writes while services start."""
        if self._fixed_for is not self.spec:
            self._fixed_for = self.spec
            self._fixed_parts = (redact_env(self.spec["env"]),
                                 {s: str(paths.log(self.name, s)) for s in spawner.STREAMS})
        return self._fixed_parts

    def _health_record(self) -> HealthStatus | None:
        """The health of the running process: none without one (a stopped service's last `ok`
        is not its health). A failed start keeps its last probe error: it says why."""
        h = self.health
        if h is None or self.st.state in LIVE_STATES:
            return h
        return {**h, "ok": None, "since": None, "error": h["error"] if self.st.state == "failed" else ""}


class Supervisor:
    def __init__(
        self,
        paths: Paths,
        services: list[ServiceSpec],
        events: EventLog,
        *,
        settle_s: float = SETTLE_S,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.paths = paths
        self.specs = services  # already normalized, in start order
        self.services = {s["name"]: Service(s) for s in services}
        self.events = events
        self.settle_s = settle_s
        self.clock = clock
        self.prober = Prober()
        self.listen_watch = ListenWatch(clock=clock)
        self.dependents = dependents(services)
        self.started_at = time.time()
        #: Inherited by every service as DEVCTL_RUN: `down` finds this run's processes by it.
        #: 128 random bits as 32 hex digits (the `uuid` module would cost ~5-15 ms of import
        #: after the fork, `platform` included, for the same string).
        self.run_id = os.urandom(16).hex()
        self._me: tuple[int, float | None] = (0, None)  # (our pid, its create time)
        self.tg: Any = None
        self._dirty = True
        self._dirty_evt = tasks.Event()
        self._detail_pending = False  # a write of details is scheduled (mark_dirty)
        self._changed = tasks.Event()
        self.shutdown_requested = tasks.Event()
        #: Set (then replaced by a fresh one) each time `replace_plan` runs: watchers re-sync.
        self.plan_replaced = tasks.Event()
        #: Set by a `shutdown` request: its reply goes out before the task group is cancelled.
        self.reply_pending = False
        self.shutdown_replied = tasks.Event()
        self.stop_grace_override: float | None = None
        self._spawn_turn = tasks.Lock()
        #: While a stop wave is fed: the services whose `kill` it asked for (see `stop`).
        self._wave_kills: list[Service] | None = None
        self.up_done = False
        #: Orphans re-parented to us that name no service ({pid: create time}); see sweep_once.
        self.strays: dict[int, float] = {}

    # ---- state file -------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        return {**self._head(), "services": [self.services[s["name"]].record(self.paths) for s in self.specs]}

    def _head(self) -> dict[str, Any]:
        me = os.getpid()
        if self._me[0] != me:  # our own create time never changes: read once, not per write
            self._me = (me, create_time(me))
        return {
            "supervisor": {
                "pid": me,
                "create_time": self._me[1],
                "started_at": self.started_at,
                "repo_root": str(self.paths.root),
                "run_id": self.run_id,
                "strays": sorted([pid, ct] for pid, ct in self.strays.items()),
            },
            "updated_at": time.time(),
        }

    def state_json(self) -> bytes:
        """What state.json holds (`snapshot` plus the version), encoded from each service's
        cached JSON (`Service.record_json`): a write re-encodes only the services that changed."""
        head = json.dumps({"version": STATE_VERSION, **self._head()}, ensure_ascii=False, default=str)
        services = ", ".join(self.services[s["name"]].record_json(self.paths) for s in self.specs)
        return f'{head[:-1]}, "services": [{services}]}}'.encode()

    def mark_dirty(self, *, detail: bool = False) -> None:
        """state.json must be rewritten: at once (next turn of the loop), or, for a `detail`,
        with the next change but at the latest `DETAIL_WRITE_S` from now.

        A detail is what no event announces and no one waits for: a starting service's probe
        error, a ready one's probe failing below its threshold. Written at once, each starting
        service cost one more full state write (its first refused probe) while `up` starts
        them; everything an event announces still reaches the file before the event reaches
        a watcher."""
        self._dirty = True
        if not detail or self.tg is None:
            self._dirty_evt.set()
        elif not self._detail_pending:
            self._detail_pending = True
            self.tg.start_soon(self._write_detail_later)

    async def _write_detail_later(self) -> None:
        await tasks.sleep(DETAIL_WRITE_S)
        self._detail_pending = False
        if self._dirty:
            self._dirty_evt.set()

    def flush_state(self) -> None:
        """Write state.json now if anything changed (also called before events go to watchers)."""
        if self._dirty:
            self._dirty = False
            if not save_state(self.paths.state, self.state_json()):
                self._dirty = True  # full disk: the last good file stays; retried on the next change

    async def _state_writer(self) -> None:
        while True:
            await self._dirty_evt.wait()
            self._dirty_evt = tasks.Event()
            self.flush_state()
            if self.shutdown_requested.is_set():
                # Shutting down: at most one write per SHUTDOWN_WRITE_S. The first says every
                # service is stopping, which is all a `down` after a crash needs (it proves each
                # pid before signalling it); a clean exit removes the file. Rewriting it on every
                # exit cost the CPU the exiting services need. A slow stop still shows progress.
                await tasks.sleep(SHUTDOWN_WRITE_S)

    async def wait_until(self, predicate: Callable[[], bool], timeout: float | None = None) -> bool:
        """Wait (bounded) until `predicate()` holds; re-checked on every state change."""
        with tasks.move_on_after(timeout):
            while not predicate():
                await self._changed.wait()
            return True
        return predicate()

    # ---- the state machine ------------------------------------------------------------------

    def feed(self, svc: Service, inp: sm.Input) -> None:
        before = svc.st
        out = sm.transition(svc.st, inp, svc.policy, self.clock())
        svc.st = out.state
        if any(ev["event"] == "ready" for ev in out.events):  # after Ready, or a passing Probe
            svc.ready_at = time.time()
        for ev in out.events:
            ev = dict(ev)
            self.events.emit(svc.name, ev.pop("event"), **ev)
        for action in out.actions:
            self._act(svc, action)
        if not self.up_done and all(s.st.state in UP_STATES for s in self.services.values()):
            self.up_done = True  # every service ready at once, for the first time
            self.events.emit(None, "up_done", services=len(self.services))
        if out.state != before or out.events:
            self.mark_dirty()
            self._changed.set()
            self._changed = tasks.Event()
            self.schedule()

    def _act(self, svc: Service, action: sm.Action) -> None:
        if action.kind == "spawn":
            self.tg.start_soon(self._spawn, svc)
        elif action.kind == "kill":
            if self._wave_kills is not None:
                self._wave_kills.append(svc)  # signalled with the rest of the wave (`stop`)
            else:
                self.tg.start_soon(self._kill, svc)
        elif action.kind == "cleanup_group":
            svc.cleanup = tasks.Event()
            self.tg.start_soon(self._cleanup, svc, svc.cleanup)
        elif action.kind == "schedule_restart":
            self.tg.start_soon(self._restart_after, svc, action.delay_s)
        elif action.kind == "cancel_restart" and svc.restart_scope is not None:
            svc.restart_scope.cancel()

    def schedule(self) -> None:
        """Start every wanted, waiting service whose dependencies are ready (plan order)."""
        if self.shutdown_requested.is_set():
            return
        for spec in self.specs:
            svc = self.services[spec["name"]]
            if svc.wanted and svc.st.state == "waiting" and all(
                self.services[d].st.state in READY_STATES for d in spec["depends_on"]
            ):
                self.feed(svc, sm.Start())

    # ---- actions ----------------------------------------------------------------------------

    async def _spawn(self, svc: Service) -> None:
        if svc.cleanup is not None:
            await svc.cleanup.wait()  # the previous group is fully gone before a new one starts
        # One spawn per turn of the event loop. A spawn blocks the loop until the child has
        # exec'd (20-30 ms each on a busy box while the services started before it compete for
        # the CPU), and asyncio runs every task that is ready in one turn: 50 spawn tasks made
        # ready together used to run back to back, so no probe ran and no `ready` was noticed
        # for 1.5 s after the first ports opened. Spawns still start in plan order.
        async with self._spawn_turn:
            if svc.st.state != "starting" or svc.proc is not None:
                return
            try:
                proc = spawner.spawn(svc.spec, self.paths, self.run_id)
            except OSError as exc:
                self.feed(svc, sm.SpawnFailed(f"{svc.spec['command'][0]}: {exc.strerror or exc}"))
                return
            self._started(svc, proc)
            await tasks.sleep(0)  # due probes and socket requests run before the next spawn

    def _started(self, svc: Service, proc: subprocess.Popen[bytes]) -> None:
        svc.gen += 1
        svc.proc, svc.pid, svc.group = proc, proc.pid, proc.pid
        svc.create_time = create_time(proc.pid)
        svc.started_at, svc.ready_at = time.time(), None
        svc.descendants = {}
        svc.exited = tasks.Event()
        if svc.health:
            svc.health.update({"ok": None, "error": "", "since": None})
        self.feed(svc, sm.Spawned(proc.pid))
        self.tg.start_soon(self._run_process, svc, proc, svc.gen)

    async def _run_process(self, svc: Service, proc: subprocess.Popen[bytes], gen: int) -> None:
        """Live while the process lives: health/settle in a side task, exit noticed via pidfd."""
        async with tasks.create_task_group() as inner:
            inner.start_soon(self._readiness, svc, gen)
            await tasks.wait_exit(proc)
            inner.cancel_scope.cancel()
        await spawner.writer_drained(proc.pid)  # a `logs:` writer: its last lines are on disk
        code = proc.returncode
        svc.proc = None
        sig = signal_name(-code) if code is not None and code < 0 else None
        svc.last_exit = {"code": None if sig else code, "signal": sig, "at": time.time()}
        self.feed(svc, sm.Exited(proc.pid, None if sig else code, sig))
        svc.exited.set()

    async def _readiness(self, svc: Service, gen: int) -> None:
        """Probe while the process lives: paced by `starting_delay` while it starts (the state
        machine counts the passes), every `period_ms` once ready (it counts the failures)."""
        health = svc.spec["health"]
        if health is None:
            await tasks.sleep(self.settle_s)
            if svc.gen == gen:
                self.feed(svc, sm.Ready())
            return
        started = self.clock()
        deadline = started + health["timeout_ms"] / 1000
        await tasks.sleep(health["initial_delay_ms"] / 1000)
        target = health_target(health) if health["type"] != "exec" else None
        port = target[1] if target else None  # woken when it starts listening, once per start
        while svc.gen == gen and svc.st.state == "starting":
            self._probe_result(svc, await self._probe(svc, health))
            if svc.st.state != "starting":
                break
            now = self.clock()
            if now >= deadline:
                self.feed(svc, sm.NotReadyInTime(health["timeout_ms"] / 1000))
                return
            watched = port is not None and self.listen_watch.usable
            nap = min(starting_delay(health, now - started, watched=watched), deadline - now)
            if await self._nap(svc, port, started, nap):
                port = None  # it listens now: from here the probes alone decide, at their pace
        while svc.gen == gen and svc.st.state in ("healthy", "unhealthy"):
            await tasks.sleep(health["period_ms"] / 1000)
            self._probe_result(svc, await self._probe(svc, health))

    async def _nap(self, svc: Service, port: int | None, since: float, nap: float) -> bool:
        """Sleep `nap` between two probes of starting `svc`, less if its `port` starts listening
        meanwhile (`listen_watch`; `since`: when it began starting). True if woken that way."""
        woken = tasks.Event()
        if port is None or not self.listen_watch.want(svc, port, since, woken.set, self.tg.start_soon):
            await tasks.sleep(nap)
            return False
        try:
            with tasks.move_on_after(nap):
                await woken.wait()
        finally:
            self.listen_watch.forget(svc)
        return woken.is_set()

    async def _probe(self, svc: Service, health: HealthCheck) -> tuple[bool, str]:
        if health["type"] != "exec":
            return await self.prober.probe(health)
        if svc.probe_env is None:  # the service's own environment, marks included
            svc.probe_env = spawner.child_env(svc.spec, run_id=self.run_id)
        return await self.prober.probe(health, svc.probe_env, svc.spec["cwd"])

    def _probe_result(self, svc: Service, result: tuple[bool, str]) -> None:
        self._note_health(svc, *result)
        self.feed(svc, sm.Probe(*result))

    def _note_health(self, svc: Service, ok: bool, error: str) -> None:
        h = svc.health
        if h is not None and (h["ok"] != ok or h["error"] != error):
            h.update({"ok": ok, "error": error, "since": time.time()})
            self.mark_dirty(detail=True)  # a state change it causes is written at once (feed)

    def _grace(self, svc: Service) -> float:
        if self.stop_grace_override is not None:
            return self.stop_grace_override
        return svc.spec["stop_timeout_ms"] / 1000

    async def _kill(self, svc: Service) -> None:
        """Requested stop (or a start-up timeout): signal, grace, SIGKILL, wait for the group."""
        if svc.group is not None:
            await self._stop_group(svc)
            await svc.exited.wait()
            svc.group = None
        if svc.st.stop_requested:
            self.feed(svc, sm.StopDone())

    async def _cleanup(self, svc: Service, done: tasks.Event) -> None:
        """After an unrequested exit: whatever is left of the group goes too, before any restart."""
        try:
            if svc.group is not None:
                await self._stop_group(svc)
        finally:
            done.set()

    async def _stop_group(self, svc: Service) -> None:
        group = svc.group
        if group is None:
            return
        sig = getattr(signal, svc.spec["stop_signal"])
        grace = self._grace(svc)
        sent, svc.stop_sent = svc.stop_sent, None
        if sent is not None and sent[0] == group:
            _, started, extra = sent  # signalled already, with its stop wave
        else:
            # The periodic sweep runs once a second: a descendant that left the group (setsid,
            # setpgid) since then would survive a quick `up`/`down`. Look again right now.
            self.sweep_once(only=svc)
            extra = self._live_descendants(svc)
            started = self.clock()
            if svc.proc is not None:
                signal_group(group, sig)
        if svc.proc is not None:
            # Wait for the leader's exit on its pidfd (no polling); afterwards the group check
            # below is one failed killpg when nothing else was in the group.
            with tasks.move_on_after(grace - (self.clock() - started)):
                await svc.exited.wait()
        left = max(0.0, grace - (self.clock() - started))
        await stop_group(group, sig=sig, grace=left, extra_pids=extra)
        # Orphans the stop itself re-parented to us (born after the look above) carry the
        # service's name in their environment: they go too, without a second grace.
        self.sweep_once(only=svc)
        late = [pid for pid in self._live_descendants(svc) if pid not in extra]
        if late:
            await stop_group(group, sig=signal.SIGKILL, grace=0, extra_pids=late)
        if svc.group == group and svc.proc is None:
            svc.group = None

    async def _restart_after(self, svc: Service, delay: float) -> None:
        with tasks.CancelScope() as scope:
            svc.restart_scope = scope
            await tasks.sleep(delay)
            svc.restart_scope = None
            self.feed(svc, sm.BackoffElapsed())

    def _signal_wave(self, svcs: list[Service]) -> None:
        """Send the stop signal to every group of a stop wave, back to back, before any of them
        is waited for; then each one's `_kill` only waits (and SIGKILLs after its grace).

        Why: once the first service has its signal it competes with the supervisor for the CPU
        (50 exiting interpreters on two cores leave the supervisor a fiftieth of it), so
        whatever the supervisor does between two signals delays the later ones. Everything that
        costs time — the look for descendants that left their group, once for the wave instead
        of once per service — happens before the first signal; then the signals go out back to
        back, and each service's grace starts at the same moment.
        """
        if not svcs:
            return
        self.sweep_once(only=svcs[0] if len(svcs) == 1 else None)
        now = self.clock()
        due = [(svc, svc.group, self._live_descendants(svc)) for svc in svcs
               if svc.proc is not None and svc.group is not None]
        for svc, group, extra in due:
            signal_group(group, getattr(signal, svc.spec["stop_signal"]))
            svc.stop_sent = (group, now, extra)

    def _live_descendants(self, svc: Service) -> list[int]:
        return [pid for pid, ct in svc.descendants.items() if pid_alive(pid, ct)]

    # ---- requests from the control socket ---------------------------------------------------

    def start(self, names: list[str]) -> None:
        """Want these services (and, transitively, what they depend on) running."""
        todo, seen = list(names), set()
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            svc = self.services[name]
            svc.wanted = True
            self.feed(svc, sm.Enqueue())  # no-op unless it had ended
            todo.extend(svc.spec["depends_on"])
        self.schedule()

    async def stop(self, names: list[str], timeout: float | None = None) -> None:
        """Stop these services, dependents first, and wait until their groups are empty."""
        chosen = set(names)
        for name in chosen:
            self.services[name].wanted = False
        pending = set(chosen)
        while pending:
            # A service goes once none of its (chosen) dependents is still stopping or live.
            wave = [n for n in pending if not (self.dependents[n] & pending)]
            if not wave:  # cannot happen with an acyclic plan; stop the rest together
                wave = list(pending)
            # Every `kill` the wave asks for is held back, so that all of them are signalled
            # first (`_signal_wave`) and then waited for together.
            self._wave_kills = []
            try:
                for name in wave:
                    self.feed(self.services[name], sm.Stop())
            finally:
                kills, self._wave_kills = self._wave_kills, None
            try:
                self._signal_wave(kills)
            finally:  # whatever the wave did not signal, its `_kill` signals itself
                for svc in kills:
                    self.tg.start_soon(self._kill, svc)

            def stopped(w: list[str] = wave) -> bool:  # bound now: `wave` changes per loop
                # Done once stopped, or once a later request wants it again (it may already be
                # starting): waiting for `stopped` then would wait forever (issue 12, item 6).
                return all(self.services[n].st.state == "stopped" or self.services[n].wanted for n in w)

            await self.wait_until(stopped, timeout)
            pending -= set(wave)

    def changed(self) -> None:
        """Wake every `wait_until` to look again (a request finished changing services)."""
        self._changed.set()
        self._changed = tasks.Event()

    def replace_plan(self, specs: list[ServiceSpec], fresh: set[str]) -> None:
        """Run `specs` (start order) from now on: the `up` of a changed plan (supervisor/apply.py).

        Services named in `fresh` get a new record (they were stopped, or are new); the others
        keep theirs, and their process. Services not in `specs` must be stopped already."""
        services: dict[str, Service] = {}
        for spec in specs:
            svc = self.services.get(spec["name"])
            if svc is None or spec["name"] in fresh:
                svc = Service(spec)
            else:
                svc.spec = spec
            services[spec["name"]] = svc
        self.specs, self.services, self.dependents = specs, services, dependents(specs)
        self.mark_dirty()
        self.changed()
        self.plan_replaced.set()
        self.plan_replaced = tasks.Event()

    # ---- housekeeping -----------------------------------------------------------------------

    async def _sweep(self) -> None:
        """Record descendants (so `down` can kill them even after we die) and reap orphans."""
        while True:
            await tasks.sleep(SWEEP_S)
            self.sweep_once()

    def sweep_once(self, only: Service | None = None) -> None:
        """Record descendants of every service (or of `only`), and reap dead orphans."""
        changed = False
        mains = {svc.pid for svc in self.services.values() if svc.proc is not None}
        mains |= self.prober.pids  # exec probes in flight: reaped by the prober, not here
        for svc in self.services.values():
            if svc.proc is None or svc.pid is None or (only is not None and svc is not only):
                continue
            for pid in descendants(svc.pid):
                if pid not in svc.descendants:
                    ct = create_time(pid)
                    if ct is not None:
                        svc.descendants[pid] = ct
                        changed = True
        # `logs:` writers are ours and unmarked on purpose; they end on their own (EOF).
        writers = {w.pid for w in spawner._writers.values()}
        for pid in children(os.getpid()):
            if pid in mains:
                continue
            with contextlib.suppress(ChildProcessError, OSError):
                if os.waitpid(pid, os.WNOHANG)[0]:
                    continue  # an orphan that had already died: reaped
            owner = env_var(pid, spawner.SERVICE_ENV)
            holder = self.services.get(owner or "")
            if holder is not None and (only is None or holder is only) and pid not in holder.descendants:
                ct = create_time(pid)
                if ct is not None:
                    holder.descendants[pid] = ct
                    changed = True
            elif (holder is None and pid not in self.strays and pid not in writers
                  and (ct := create_time(pid)) is not None):
                self.strays[pid] = ct  # no marker (`env -i setsid -f`): stopped at shutdown
                changed = True
        for pid, ct in list(self.strays.items()):
            if not pid_alive(pid, ct):
                del self.strays[pid]
                changed = True
        if changed:
            self.mark_dirty()

    async def run(self, on_listening: Callable[[], None], serve: Callable[[Any], Any]) -> None:
        """Start the plan, serve requests until shutdown, stop everything, return."""
        set_subreaper()
        async with tasks.create_task_group() as tg:
            self.tg = tg
            await serve(tg)
            self.flush_state()
            self.events.emit(None, "supervisor_started", pid=os.getpid(), services=len(self.specs))
            on_listening()
            tg.start_soon(self._state_writer)
            tg.start_soon(self._sweep)
            tg.start_soon(self._signals)
            tg.start_soon(run_watchers, self)  # services with `watch:` (supervisor/watch.py)
            self.schedule()
            await self.shutdown_requested.wait()
            with tasks.CancelScope(shield=True):
                await self.stop(list(self.services))
                # The `shutdown` reply first: closing the probes and the last state write are
                # not what it promises, and `down` waits for that reply before its last steps.
                if self.reply_pending:
                    with tasks.move_on_after(2.0):
                        await self.shutdown_replied.wait()
                await self.prober.aclose()
                self.listen_watch.close()
                self.flush_state()
            tg.cancel_scope.cancel()

    async def _signals(self) -> None:
        with tasks.open_signal_receiver(signal.SIGTERM, signal.SIGINT, signal.SIGHUP) as signals:
            async for signum in signals:
                if signum != signal.SIGHUP:
                    self.shutdown_requested.set()


def set_subreaper() -> None:
    """PR_SET_CHILD_SUBREAPER: orphaned descendants of services are re-parented to us (Linux)."""
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER = 36
