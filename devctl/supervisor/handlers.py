"""What the supervisor answers on its socket: one small function per op, one reply envelope.

Ops: `ping`, `status`, `watch` (snapshot, then every event as it happens; with `records: true`
each event also carries its service's current record), `start`, `stop`,
`restart` (with `services`: names, empty = all; `start`/`restart` reply once each named
service is ready or has ended, waiting at most `wait_s`), `apply` (a new plan: `services`,
optional `only`, `force`, `dry_run`; see supervisor/apply.py), `shutdown` (with optional
`grace_s`: the stop grace in seconds, overriding each service's `stop_timeout_ms`).
`start`, `stop`, `restart` and `apply` change services one request at a time (apply.Gate).
"""

from __future__ import annotations

import math
import os
import weakref
from collections.abc import Awaitable, Callable

from devctl.errors import DevctlError
from devctl.procs import tasks
from devctl.supervisor.runtime import Supervisor

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: imported while `up` plans (docs/performance.md, "T2")
if TYPE_CHECKING:
    from typing import Any

    from devctl.supervisor.apply import Gate

    Send = Callable[[dict[str, Any]], Awaitable[None]]


def make_handler(sup: Supervisor) -> Callable[[dict[str, Any], Send], Awaitable[None]]:
    async def handle(request: dict[str, Any], send: Send) -> None:
        op = request.get("op")
        # Checked before the lookup: `{"op": []}` is unhashable, and its TypeError killed the supervisor.
        fn = _OPS.get(op) if isinstance(op, str) else None
        if fn is None:
            await send({"ok": False, "error": f"unknown op {op!r}; known: {', '.join(sorted(_OPS))}"})
            return
        try:
            await fn(sup, request, send)
        except (_Refused, DevctlError) as exc:
            await send({"ok": False, "error": str(exc)})

    return handle


class _Refused(Exception):
    pass


def _names(sup: Supervisor, request: dict[str, Any]) -> list[str]:
    names = request.get("services") or []
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise _Refused("services must be a list of names")
    unknown = [n for n in names if n not in sup.services]
    if unknown:
        raise _Refused(
            f"no such service: {', '.join(unknown)} (known: {', '.join(sup.services) or 'none'})"
        )
    return names or [s["name"] for s in sup.specs]


def _seconds(request: dict[str, Any], key: str, default: float | None) -> float | None:
    value = request.get(key)
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value >= 0:
        return float(value)
    return default


async def _ping(sup: Supervisor, request: dict[str, Any], send: Send) -> None:
    await send({"ok": True, "pid": os.getpid()})


async def _status(sup: Supervisor, request: dict[str, Any], send: Send) -> None:
    sup.mark_dirty()  # rewritten, not just flushed: the CLI asks when it could not read the file
    sup.flush_state()
    await send({"ok": True, "state": sup.snapshot()})


#: A `watch` client this many events behind (it reads slower than the supervisor emits, or
#: stopped reading) is dropped: its connection ends, as when the supervisor stops, and a
#: follower that reconnects (the dashboard) starts again from a snapshot. Events are never held
#: for it beyond this; emitting one never waits for a client either (`put_nowait`).
WATCH_BACKLOG = 10_000


async def _watch(sup: Supervisor, request: dict[str, Any], send: Send) -> None:
    queue: tasks.Queue[dict[str, Any]] = tasks.Queue()
    dropped = False

    def enqueue(event: dict[str, Any]) -> None:
        nonlocal dropped
        if len(queue) < WATCH_BACKLOG:
            queue.put_nowait(event)
        elif not dropped:  # what waits goes with the client, and nothing more is queued for it
            dropped = True
            unsubscribe()
            _queued(queue)
            queue.close()

    unsubscribe = sup.events.subscribe(enqueue)
    try:
        sup.flush_state()
        await send({"ok": True, "state": sup.snapshot()})
        while True:
            try:
                event = await queue.get()
            except tasks.EndOfStream:
                if dropped:
                    import sys

                    sys.stderr.write(f"watch client dropped: {WATCH_BACKLOG} events behind\n")
                    sys.stderr.flush()
                return
            batch = [event, *_queued(queue)]  # what one turn of the loop emitted: one write
            sup.flush_state()  # whoever sees an event can already read it in state.json
            for queued in batch:
                await send({"ok": True, "event": queued, **_record_of(sup, queued, request)})
    finally:
        unsubscribe()
        queue.close()


def _queued(queue: Any) -> list[dict[str, Any]]:
    """Every event already waiting in `queue`, without waiting for more."""
    out: list[dict[str, Any]] = []
    while True:
        try:
            out.append(queue.get_nowait())
        except (tasks.WouldBlock, tasks.EndOfStream):
            return out


def _record_of(sup: Supervisor, event: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
    """`watch` with `records: true` (what `up` asks for): each event carries its service's
    record as it is now, so the waiting CLI keeps its copy current without reading state.json
    per event (with 50 services that read was most of its CPU while it waited)."""
    svc = sup.services.get(event.get("service") or "") if request.get("records") is True else None
    return {"record": svc.record(sup.paths)} if svc is not None else {}


_gates: weakref.WeakKeyDictionary[Supervisor, Gate] = weakref.WeakKeyDictionary()


def _gate(sup: Supervisor) -> Gate:
    if sup.shutdown_requested.is_set():
        raise _Refused("the supervisor is shutting down")
    if sup not in _gates:
        # Not at import: the supervisor loads apply (and plan_diff) at its first request that
        # changes services, not before it listens (~2-20 ms, the load decides).
        from devctl.supervisor.apply import Gate

        _gates[sup] = Gate()
    return _gates[sup]


def _records(sup: Supervisor, names: list[str]) -> list[Any]:
    return [sup.services[n].record(sup.paths) for n in names if n in sup.services]


async def _settle(sup: Supervisor, names: list[str], timeout: float | None) -> dict[str, Any]:
    await tasks.checkpoint()
    gate = _gate(sup)
    await sup.wait_until(lambda: gate.settled(sup, names), timeout)
    sup.flush_state()
    return {"ok": True, "services": _records(sup, names)}


async def _start(sup: Supervisor, request: dict[str, Any], send: Send) -> None:
    async with _gate(sup).changing(sup, _names(sup, request)):
        names = _names(sup, request)  # again: an `apply` may have changed the plan meanwhile
        sup.start(names)
    await send(await _settle(sup, names, _seconds(request, "wait_s", 60.0)))


async def _stop(sup: Supervisor, request: dict[str, Any], send: Send) -> None:
    async with _gate(sup).changing(sup, _names(sup, request)):
        names = _names(sup, request)
        await sup.stop(names)
    sup.flush_state()
    await send({"ok": True, "services": _records(sup, names)})


async def _restart(sup: Supervisor, request: dict[str, Any], send: Send) -> None:
    async with _gate(sup).changing(sup, _names(sup, request)):
        names = _names(sup, request)
        await sup.stop(names)
        sup.start(names)
    await send(await _settle(sup, names, _seconds(request, "wait_s", 60.0)))


async def _apply(sup: Supervisor, request: dict[str, Any], send: Send) -> None:
    try:
        from devctl.supervisor.apply import apply

        reply = await apply(sup, _gate(sup), request)
    except DevctlError as exc:
        raise _Refused(str(exc)) from None
    except Exception as exc:  # noqa: BLE001 - a request must never take the supervisor down
        raise _Refused(f"bad apply request: {type(exc).__name__}: {exc}") from None
    await send(reply)


async def _shutdown(sup: Supervisor, request: dict[str, Any], send: Send) -> None:
    sup.stop_grace_override = _seconds(request, "grace_s", None)
    sup.reply_pending = True
    sup.shutdown_requested.set()
    await sup.wait_until(lambda: all(s.st.state == "stopped" for s in sup.services.values()))
    # The run id: `down` looks for stragglers by it, and with its request sent early
    # (early_shutdown.begin_shutdown) state.json may already be gone when it reads it. Our pid: the
    # client waits for this process to end after the connection closes (control.release_held).
    await send({"ok": True, "stopped": list(sup.services), "run_id": sup.run_id, "pid": os.getpid()})
    sup.shutdown_replied.set()


_OPS: dict[str, Callable[[Supervisor, dict[str, Any], Send], Awaitable[None]]] = {
    "ping": _ping,
    "status": _status,
    "watch": _watch,
    "start": _start,
    "stop": _stop,
    "restart": _restart,
    "apply": _apply,
    "shutdown": _shutdown,
}
