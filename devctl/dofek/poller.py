"""The poll host: one tick loop over every enabled plugin, and the snapshot each tick produces.

Timing policy (the reason this module exists): ticks are scheduled on a fixed grid of
`refresh_ms`, never "after the slowest plugin". At each tick the host scans processes once,
encodes one poll line, and hands it to every plugin's runner concurrently. The snapshot is
emitted as soon as every plugin polled *this* tick has answered, or after half a refresh,
whichever comes first; a plugin answering later simply shows its data on the next tick.
Plugins still busy with an earlier poll are not waited for at all. So a hung plugin costs
the dashboard at most half a refresh once, and a crashed one costs nothing.

The snapshot is plain JSON-ready data (see `docs/dofek.md`); `render` draws it, `--json`
prints it.
"""

from __future__ import annotations

import inspect
import time
from collections import deque
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio

from devctl.dofek import frames
from devctl.dofek.config import DofekConfig
from devctl.dofek.runner import PluginRunner
from devctl.dofek.scan import ProcInfo, Scanner, poll_processes
from devctl.protocol.ndjson import encode

#: Rows in the process watchlist by default.
TOP_PROCESSES = 12
#: The snapshot waits at most this share of a refresh for this tick's replies.
RENDER_WAIT_SHARE = 0.5

TickCallback = Callable[[dict[str, Any]], Awaitable[None] | None]


class DofekHost:
    def __init__(
        self,
        config: DofekConfig,
        *,
        log_dir: Path | None = None,
        scanner: Scanner | None = None,
        services: Any = None,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        top: int = TOP_PROCESSES,
    ):
        self.config = config
        self.clock, self.wall = clock, wall
        self.scanner = scanner or Scanner()
        #: `ServiceWatch`-like: `.view(procs) -> ServiceView | None`, or None.
        self.services = services
        self.top = top
        self.runners = [PluginRunner(p, log_dir=log_dir, clock=clock) for p in config.enabled]
        #: Per plugin: the monotonic start of its current run of timeouts, and that moment on
        #: the wall clock, read once (two clocks read again each tick jitter by a millisecond).
        self._timed_out_wall: dict[PluginRunner, tuple[float, float]] = {}
        self.tick = 0
        #: Each metric's last `history_len` values, one per tick (Dofek's sparkline length).
        self._history: dict[tuple[str, str], deque[float]] = {}
        #: Timings of the last cycle in ms (scan, polls until settled, snapshot): for `bench/`.
        self.last_cycle: dict[str, float] = {}

    @classmethod
    def for_repo(cls, config: DofekConfig, repo_root: Path, *, top: int = TOP_PROCESSES) -> DofekHost:
        """The host as `devctl dofek run` and the TUI's Dofek view use it: plugin stderr in
        `.devctl/logs/dofek/`, and the repo's running devctl services in the watchlist."""
        from devctl.dofek.devctl_services import ServiceWatch
        from devctl.statedir import ensure_subdir

        log_dir = ensure_subdir(repo_root, "logs", "dofek")
        return cls(config, log_dir=log_dir, services=ServiceWatch(repo_root), top=top)

    async def run(self, on_tick: TickCallback, *, ticks: int | None = None,
                  stop: anyio.Event | None = None, wait_all: bool = False) -> None:
        """Tick until `stop` is set or `ticks` ticks have been emitted; always shuts plugins down.

        `wait_all` (for `poll --once`) waits for every reply up to its timeout instead of
        half a refresh.
        """
        stop = stop or anyio.Event()
        async with anyio.create_task_group() as tg:
            try:
                for runner in self.runners:
                    await tg.start(runner.supervise)
                self.scanner.scan()  # prime CPU% so the first tick has figures
                await self._loop(tg, on_tick, ticks, stop, wait_all)
            finally:
                with anyio.CancelScope(shield=True):
                    await self.shutdown()
                tg.cancel_scope.cancel()

    async def shutdown(self) -> None:
        """Every plugin at once: shutdown line, stdin closed, 2 s, group killed."""
        async with anyio.create_task_group() as tg:
            for runner in self.runners:
                tg.start_soon(runner.shutdown)

    async def _loop(self, tg: Any, on_tick: TickCallback, ticks: int | None, stop: anyio.Event,
                    wait_all: bool) -> None:
        period = self.config.refresh_ms / 1000
        next_at = self.clock()
        while not stop.is_set():
            started = self.clock()
            procs = self.scanner.scan()
            scanned = self.clock()
            live = {p.pid for p in procs}
            request = encode(frames.poll_request(int(self.wall() * 1000), poll_processes(procs)))
            settled = anyio.Event()
            waiting = [len(self.runners)]

            async def poll_one(runner: PluginRunner, request: bytes, live: set[int],
                               waiting: list[int] = waiting, settled: anyio.Event = settled) -> None:
                try:
                    await runner.poll(request, live)
                finally:
                    waiting[0] -= 1
                    if waiting[0] == 0:
                        settled.set()

            for runner in self.runners:
                tg.start_soon(poll_one, runner, request, live)
            if self.runners:
                limit = (max(r.conf.timeout_ms for r in self.runners) / 1000 + 0.5 if wait_all
                         else period * RENDER_WAIT_SHARE)
                with anyio.move_on_after(limit):
                    await settled.wait()
            self.tick += 1
            settled_at = self.clock()
            snap = self.snapshot(procs)
            self.last_cycle = {"scan_ms": (scanned - started) * 1000,
                               "polls_ms": (settled_at - scanned) * 1000,
                               "snapshot_ms": (self.clock() - settled_at) * 1000}
            result = on_tick(snap)
            if inspect.isawaitable(result):
                await result
            if ticks is not None and self.tick >= ticks:
                return
            next_at += period
            now = self.clock()
            while next_at <= now:  # a slow terminal or a suspended laptop: skip, never burst
                next_at += period
            with anyio.move_on_after(next_at - now):
                await stop.wait()

    # ---- the snapshot --------------------------------------------------------------------------

    def snapshot(self, procs: list[ProcInfo]) -> dict[str, Any]:
        """Plain data for renderers and `--json`: plugins, watchlist, metrics, services."""
        live = {p.pid for p in procs}
        annotations: dict[int, list[dict[str, Any]]] = {}
        metrics: list[dict[str, Any]] = []
        plugins = []
        for runner in self.runners:
            plugins.append(self._plugin_view(runner))
            data = runner.data
            if data is None:
                continue
            for ann in data.annotations:
                if ann["pid"] in live:
                    annotations.setdefault(ann["pid"], []).append({"plugin": runner.name, **ann})
            metrics += [{"plugin": runner.name, **m, "history": self._sample(runner.conf.name, m)}
                        for m in data.metrics]
        services = None
        if self.services is not None:
            view = self.services.view(procs)
            if view is not None:
                services = {"supervisor_pid": view.supervisor_pid, "services": view.services}
                for pid, ann in view.annotations.items():
                    annotations.setdefault(pid, []).insert(0, {"pid": pid, **ann})
        return {
            "tick": self.tick,
            "time": self.wall(),
            "refresh_ms": self.config.refresh_ms,
            "config": str(self.config.path) if self.config.path else None,
            "gpu": self.scanner.gpu_available,
            "process_count": len(procs),
            "processes": watchlist(procs, annotations, self.top),
            "plugins": plugins,
            "metrics": metrics,
            "services": services,
        }

    def _sample(self, plugin: str, metric: dict[str, Any]) -> list[float]:
        """Record this tick's value of a metric; return its recent values, oldest first."""
        key = (plugin, metric["id"])
        history = self._history.get(key)
        if history is None:
            history = self._history[key] = deque(maxlen=self.config.history_len)
        history.append(metric["value"])
        return list(history)

    def _plugin_view(self, runner: PluginRunner) -> dict[str, Any]:
        life, c = runner.life, runner.counters
        data = runner.data
        respawn = life.respawn_in()
        return {
            "name": runner.name,
            "config_name": runner.conf.name,
            "state": life.state,
            "pid": runner.pid if runner.running else None,
            "manifest": runner.manifest,
            "last_outcome": runner.last_outcome,
            "reply_ms": round(runner.last_reply_ms, 1) if runner.last_reply_ms is not None else None,
            "timeout_ms": runner.conf.timeout_ms,
            "errors": life.errors,
            "consecutive_errors": life.consecutive_errors,
            "last_error": life.last_error,
            "restarts": life.restarts,
            "respawn_in_s": round(respawn, 1) if respawn != float("inf") else None,
            "counters": dict(vars(c)),
            "warnings": list(runner.warnings),
            "data_age_s": round(self.clock() - runner.data_at, 1) if runner.data_at is not None else None,
            # What the last reply said: "ok", or "error" with the plugin's message.
            "status": data.status if data else None,
            "status_message": data.message if data and data.status == "error" else None,
            "timed_out": self._timed_out(runner),
            "panels": data.panels if data else [],
        }

    def _timed_out(self, runner: PluginRunner) -> dict[str, Any] | None:
        """Polls unanswered since when (wall clock) and for how long, or None: the panel
        then says its data is stale because the plugin hangs, not because nothing changed."""
        since = runner.timed_out_since
        if since is None:
            self._timed_out_wall.pop(runner, None)
            return None
        for_s = max(0.0, self.clock() - since)
        known = self._timed_out_wall.get(runner)
        if known is None or known[0] != since:
            known = self._timed_out_wall[runner] = (since, round(self.wall() - for_s, 3))
        return {"since": known[1], "for_s": round(for_s, 1), "timeout_ms": runner.conf.timeout_ms}


def watchlist(procs: list[ProcInfo], annotations: dict[int, list[dict[str, Any]]], top: int) -> list[dict]:
    """Annotated processes first, then the top by CPU and by memory, up to `top` rows,
    sorted by CPU then memory."""
    chosen: dict[int, ProcInfo] = {}
    by_pid = {p.pid: p for p in procs}
    for pid in annotations:
        if pid in by_pid and len(chosen) < top:
            chosen[pid] = by_pid[pid]
    by_cpu = sorted(procs, key=lambda p: (-p.cpu_percent, -p.rss))
    by_mem = sorted(procs, key=lambda p: -p.rss)
    for a, b in zip(by_cpu, by_mem, strict=False):
        for p in (a, b):
            if len(chosen) < top:
                chosen.setdefault(p.pid, p)
        if len(chosen) >= top:
            break
    rows = sorted(chosen.values(), key=lambda p: (-p.cpu_percent, -p.rss))
    return [{"pid": p.pid, "name": p.name, "cpu_percent": round(p.cpu_percent, 1), "rss": p.rss,
             "vram_bytes": p.vram_bytes, "annotations": annotations.get(p.pid, [])} for p in rows]
