"""`NotifierBridge`: devctl supervisor events → dotagent notifier invokes, off the critical path.

Mapping (pure, in `EventMapper`):
    exited, not caused by a stop          → attempt_failed   (the service is marked failed)
    gave_up                               → given_up
    unhealthy                             → (no event; the service is marked failed)
    ready or recovered after a failure    → recovered        (the mark is cleared)
    up_done                               → success

"Not caused by a stop": an `exited` event with `stop_requested: true` is a stop. When the
field is absent, the verdict waits for the service's next event — `stopped` means it was a
stop, anything else (usually `restarting` or `gave_up`, emitted at once) or `DECIDE_AFTER_S`
of silence means a crash. So a crash is never missed and a `devctl down` never pages anyone.

Delivery: `__call__` only enqueues (bounded; when full the event is dropped and logged).
One worker thread maps events and invokes the notifiers one after another, each with the
notify timeout (15 s unless the entry sets `timeout_s`). Each notifier is checked once,
on first use (resolves, kind notify, schema, validate); a broken one is logged and
skipped. Failures are logged, never retried (best effort, as the dotagent spec says).
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devctl.dotagent.events import NOTIFY_EVENTS
from devctl.dotagent.plugin import Plugin, make_payload
from devctl.dotagent.use_check import check_use

log = logging.getLogger("devctl.dotagent.notify")

#: Seconds an `exited` without `stop_requested` waits for a `stopped` before counting as a crash.
DECIDE_AFTER_S = 1.0
#: Events waiting for the worker; beyond this they are dropped (and counted in the log).
QUEUE_MAX = 256
SCHEDULE = "devctl"
#: How long a closing bridge lets queued notifications finish before it stops them.
CLOSE_TIMEOUT_S = 1.0
#: SIGTERM → SIGKILL grace for a notifier call still running at close.
STOP_GRACE_S = 0.5
_STOP = object()


@dataclass
class EventMapper:
    """Pure state machine: supervisor events in, dotagent (event, message) pairs out.

    `now` is passed in (monotonic seconds) so tests need no clock.
    """

    agent: str = "devctl"
    failed: set[str] = field(default_factory=set)
    #: service → (exited event, decide-by time)
    pending: dict[str, tuple[dict[str, Any], float]] = field(default_factory=dict)

    def feed(self, ev: dict[str, Any], now: float) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        svc = ev.get("service")
        kind = ev.get("event")
        if svc is not None and svc in self.pending:
            exited, _ = self.pending.pop(svc)
            if kind != "stopped":
                out += self._crashed(svc, exited)
        if kind == "exited" and svc is not None:
            if ev.get("stop_requested") is True:
                return out
            if ev.get("stop_requested") is False:
                return out + self._crashed(svc, ev)
            self.pending[svc] = (ev, now + DECIDE_AFTER_S)
        elif kind == "gave_up" and svc is not None:
            self.failed.add(svc)
            why = f": {ev['error']}" if ev.get("error") else ""
            attempts = ev.get("attempts")
            after = f" after {attempts} restart(s)" if attempts is not None else ""
            out.append(("given_up", f"{self.agent}: service {svc} gave up{after}{why}"))
        elif kind == "unhealthy" and svc is not None:
            self.failed.add(svc)
        elif kind in ("ready", "recovered") and svc is not None and svc in self.failed:
            self.failed.discard(svc)
            out.append(("recovered", f"{self.agent}: service {svc} is ready again"))
        elif kind == "supervisor_stopped":
            self.pending.clear()
        elif kind == "up_done":
            out.append(("success", f"{self.agent}: devctl up finished, services are ready"))
        return out

    def expire(self, now: float) -> list[tuple[str, str]]:
        """Crashes whose grace for a `stopped` has run out."""
        out: list[tuple[str, str]] = []
        for svc, (ev, deadline) in list(self.pending.items()):
            if now >= deadline:
                del self.pending[svc]
                out += self._crashed(svc, ev)
        return out

    def next_deadline(self) -> float | None:
        return min((d for _, d in self.pending.values()), default=None)

    def _crashed(self, svc: str, ev: dict[str, Any]) -> list[tuple[str, str]]:
        self.failed.add(svc)
        if ev.get("signal"):
            how = f"was killed by {ev['signal']}"
        elif ev.get("exit_code") is not None:
            how = f"exited with code {ev['exit_code']}"
        else:
            how = "stopped unexpectedly"
        why = f" ({ev['error']})" if ev.get("error") else ""
        return [("attempt_failed", f"{self.agent}: service {svc} {how}{why}")]


@dataclass
class _Notifier:
    ref: str
    config: dict[str, Any]
    events: tuple[str, ...]
    timeout_s: float | None
    where: str
    plugin: Plugin | None = None
    checked: bool = False


class NotifierBridge:
    """A supervisor listener that never blocks: it enqueues; its own thread notifies."""

    def __init__(self, notifiers: list[dict[str, Any]], repo_root: Path):
        self.repo_root = Path(repo_root)
        self.mapper = EventMapper(agent=self.repo_root.name)
        self.notifiers = [
            _Notifier(str(n.get("plugin")), n.get("config") or {},
                      tuple(n.get("events") or NOTIFY_EVENTS), n.get("timeout_s"),
                      f".devctl.yaml notifiers[{i}]")
            for i, n in enumerate(notifiers)
        ]
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=QUEUE_MAX)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.dropped = 0
        #: (dotagent event, notifier, ok) for every delivery attempt, for tests and logs.
        self.sent: list[tuple[str, str, bool]] = []

    def __call__(self, event: dict[str, Any]) -> None:
        self._ensure_worker()
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            self.dropped += 1
            log.warning("notifier queue full: dropped %s event (%d dropped so far)",
                        event.get("event"), self.dropped)

    def close(self, timeout: float = CLOSE_TIMEOUT_S) -> None:
        """Deliver what is queued (bounded by `timeout`), then stop the worker.

        Past the deadline, notifier calls still running are stopped by process group (and
        what left the group is stopped by the supervisor, their subreaper, right after), so a
        supervisor that exits right after never leaves a notifier process behind. The bound
        is short: `down` waits for the supervisor to exit, and a hung notifier must not make
        every `down` slow (notifications are best effort).
        """
        thread = self._thread
        if thread is None:
            return
        deadline = time.monotonic() + timeout
        while thread.is_alive() and time.monotonic() < deadline:
            try:
                self._queue.put(_STOP, timeout=0.1)
                break
            except queue.Full:
                continue
        thread.join(max(0.0, deadline - time.monotonic()))
        if thread.is_alive():
            from devctl.dotagent.call import stop_active

            stopped = stop_active(grace=STOP_GRACE_S)
            log.warning("notifiers still busy at shutdown: stopped %d call(s)", stopped)
            # Short: a stopped call may still wait on a pipe a detached child holds; the
            # worker is a daemon thread and the supervisor stops that child next.
            thread.join(0.5)
        self._thread = None

    # -- worker --------------------------------------------------------------------------
    def _ensure_worker(self) -> None:
        # Started lazily, in the process that receives events (the supervisor may fork).
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="dotagent-notifiers", daemon=True)
                self._thread.start()
                atexit.register(self.close)

    def _run(self) -> None:
        while True:
            deadline = self.mapper.next_deadline()
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                item = self._queue.get(timeout=wait)
            except queue.Empty:
                item = None
            if item is _STOP:
                # Exits still undecided at shutdown are almost surely the shutdown's own
                # stops: dropping them beats paging someone for `devctl down`.
                self.mapper.pending.clear()
                return
            out = self.mapper.expire(time.monotonic())
            if item is not None:
                out += self.mapper.feed(item, time.monotonic())
            self._deliver_all(out)

    def _deliver_all(self, items: list[tuple[str, str]]) -> None:
        for event, message in items:
            for n in self.notifiers:
                if event in n.events:
                    try:
                        self._deliver(n, event, message)
                    except Exception:  # noqa: BLE001 - best effort: one bad notifier stops nothing
                        log.exception("notifier %s failed on %s", n.ref, event)

    def _deliver(self, n: _Notifier, event: str, message: str) -> None:
        if not n.checked:
            n.checked = True
            checked = check_use(n.ref, n.config, "notify", n.where, base_dir=self.repo_root)
            for f in checked.findings:
                log.warning("%s: %s: %s%s", f.where, f.plugin, f.message,
                            "".join(f"\n  {d}" for d in f.details))
            n.plugin = checked.plugin if checked.ok else None
        if n.plugin is None:
            return
        payload = make_payload("notify", self.mapper.agent, SCHEDULE, event, message, n.config)
        outcome = n.plugin.invoke(payload, timeout=n.timeout_s)
        self.sent.append((event, n.ref, outcome.ok))
        if not outcome.ok:
            log.warning("notifier %s (%s): %s%s", n.ref, event, outcome.error,
                        "".join(f"\n  {d}" for d in outcome.details()))
