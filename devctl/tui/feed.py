"""The supervisor, followed for the dashboard: its `watch` stream in a thread, and what each
service's process group costs.

Why a thread of its own: the watch stream is a blocking socket read (the same
`devctl.supervisor.client.watch` that `up --attach` uses), and a key press must never wait on
it. The feed turns what it reads into three kinds of delivery, handed to `deliver(kind, value)`
(the app passes a function that hops onto its own thread):

- `("state", snapshot | None)`: the status snapshot (`client.read_status`'s shape: `repo_root`,
  `supervisor`, `services` with `uptime_s`), read after connecting and after each burst of
  events (`COALESCE_S` after its first) — the supervisor writes `state.json` before it sends
  an event, so the file is never behind the stream. None while no supervisor runs;
- `("event", event)`: each event of the stream, in order (`.devctl/events.ndjson`'s shape);
- `("usage", {service: Usage})`: CPU, RSS and listening TCP ports of each service's whole
  process group;
- `("stale", snapshot | None)`: after a `None` state, what the last supervisor left recorded
  when some of it may still run (it died, or was killed): `read_status` judges each recorded
  pid by its create time, as `devctl status` does. None when nothing recorded is active.

Nothing here polls `state.json` for changes. With no supervisor, the feed looks for one
appearing once a second (one `flock` try on the lock file: microseconds) or at once when
`wake()` is called (after the dashboard ran `up`). The process-group sample runs every
`sample_s` seconds and only while some service has a process: one scan of `/proc` for all
groups (`devctl.dofek.scan`, the scan Dofek's watchlist uses), not one per group.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from devctl.errors import DevctlError
from devctl.supervisor.paths import Paths

Deliver = Callable[[str, Any], None]
#: How often the listening ports of unchanged processes are read again.
PORTS_EVERY_S = 15.0
#: After an event, how long to wait for the rest of its burst before reading the state.
COALESCE_S = 0.03
#: How often what a dead supervisor left (and may still run) is judged again.
STALE_EVERY_S = 10.0


@dataclass(frozen=True)
class Usage:
    """One service's process group at the last sample."""

    cpu_percent: float  # of one core, summed over the group's processes (like `top`)
    rss: int  # bytes, summed over the group
    processes: int
    ports: tuple[int, ...] = ()  # TCP ports the group's processes listen on


def group_usage(rows: list[Any], pgids: dict[str, int],
                ports: dict[int, list[int]] | None = None) -> dict[str, Usage]:
    """Sum scan rows (objects with `pid`, `pgid`, `cpu_percent`, `rss`) per service, by process
    group, with the ports its processes listen on (`ports`: {pid: [port]}).

    Pure: the scan is done by the caller, so the sums are tested without processes.
    """
    ports = ports or {}
    by_group: dict[int, list[Any]] = {}
    wanted = set(pgids.values())
    for row in rows:
        if row.pgid in wanted:
            by_group.setdefault(row.pgid, []).append(row)
    out: dict[str, Usage] = {}
    for name, pgid in pgids.items():
        members = by_group.get(pgid, [])
        listening = sorted({p for r in members for p in ports.get(r.pid, ())})
        out[name] = Usage(round(sum(r.cpu_percent for r in members), 1), sum(r.rss for r in members),
                          len(members), tuple(listening))
    return out


def live_groups(snapshot: dict[str, Any] | None) -> dict[str, int]:
    """{service: pgid} for the services that have a process now."""
    from devctl.supervisor.service_states import LIVE_STATES

    out: dict[str, int] = {}
    for svc in (snapshot or {}).get("services", []):
        pgid = svc.get("pgid")
        if svc.get("state") in LIVE_STATES and isinstance(pgid, int) and pgid > 0:
            out[svc["name"]] = pgid
    return out


class Feed:
    """Follows one repo's supervisor until `stop()`; see the module docstring."""

    def __init__(self, paths: Paths, deliver: Deliver, *, retry_s: float = 1.0, sample_s: float = 2.0):
        self.paths = paths
        self.deliver = deliver
        self.retry_s = retry_s
        self.sample_s = sample_s
        self._stopped = threading.Event()
        self._wake = threading.Event()
        self._groups_changed = threading.Event()
        self._groups: dict[str, int] = {}
        self._lock = threading.Lock()
        #: Orders state deliveries between the stream thread and the state reader.
        self._state_lock = threading.Lock()
        self._dirty = threading.Event()  # an event came: read the state again
        self._connected = False
        self._threads: list[threading.Thread] = []
        self._stale: dict[str, Any] | None = None
        self._stale_at = 0.0
        self._port_pids: frozenset[int] = frozenset()
        self._ports_at = 0.0
        self._port_map: dict[int, list[int]] = {}
        #: The last state delivered ("unknown" before the first), so None is sent once per outage.
        self._last: dict[str, Any] | None | str = "unknown"

    # ---- life ------------------------------------------------------------------------------

    def start(self) -> None:
        for target, name in ((self._follow, "devctl-tui-feed"), (self._states, "devctl-tui-state"),
                             (self._sample, "devctl-tui-usage")):
            # Daemon threads: a blocking socket read cannot be interrupted, and quitting the
            # dashboard must not wait for the supervisor's next event.
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stopped.set()
        self._wake.set()
        self._dirty.set()
        self._groups_changed.set()

    def wake(self) -> None:
        """Look for a supervisor now (the dashboard just started one)."""
        self._wake.set()

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    # ---- the watch stream ------------------------------------------------------------------

    def _send(self, kind: str, value: Any) -> None:
        if self._stopped.is_set():
            return
        try:
            self.deliver(kind, value)
        except RuntimeError:  # the app is gone (quitting): nothing left to show it to
            self._stopped.set()

    def _state(self, snapshot: dict[str, Any] | None) -> None:
        with self._lock:
            groups = live_groups(snapshot)
            if groups != self._groups:
                self._groups = groups
                self._groups_changed.set()
        self._last = snapshot
        self._send("state", snapshot)

    def _gone(self) -> None:
        """No supervisor (any more): say so, then what it left recorded, if anything."""
        self._state(None)
        self._check_stale()

    def _check_stale(self) -> None:
        from devctl.supervisor.service_states import ACTIVE_STATES

        left = self._read()
        recorded = [s for s in (left or {}).get("services", []) if s.get("state") in ACTIVE_STATES]
        self._stale = left if recorded else None
        self._stale_at = time.monotonic()
        self._send("stale", self._stale)

    def _read(self) -> dict[str, Any] | None:
        from devctl.supervisor import client

        try:
            return client.read_status(self.paths)
        except DevctlError:
            return self._last if isinstance(self._last, dict) else None

    def _follow(self) -> None:
        from devctl.supervisor import client
        from devctl.supervisor.paths import supervisor_alive

        while not self._stopped.is_set():
            if not supervisor_alive(self.paths.lock):
                if self._last is not None:
                    self._gone()
                woken = self._wake.wait(self.retry_s)
                self._wake.clear()
                # What a dead supervisor left is looked at again after the dashboard acted
                # (`down` cleans it up) and, while some of it may run, every STALE_EVERY_S.
                if not self._stopped.is_set() and not supervisor_alive(self.paths.lock) and (
                        woken or (self._stale is not None
                                  and time.monotonic() - self._stale_at >= STALE_EVERY_S)):
                    self._check_stale()
                continue
            try:
                for msg in client.watch(self.paths):
                    if self._stopped.is_set():
                        return
                    if "event" in msg:
                        self._send("event", msg["event"])
                        self._dirty.set()  # the state follows, once per burst (`_states`)
                    else:  # the stream's first line: connected
                        with self._state_lock:
                            self._connected = True
                            self._state(self._read())
            except (DevctlError, OSError, ValueError):
                pass  # the supervisor went away (or is going): look again
            with self._state_lock:
                self._connected = False
                if not self._stopped.is_set() and not supervisor_alive(self.paths.lock):
                    self._gone()
            # A supervisor that closed the stream but still holds the lock (shutting down) is
            # not asked again at once.
            self._wake.wait(min(self.retry_s, 0.2))
            self._wake.clear()

    def _states(self) -> None:
        """The state after events, read once per burst: `up` of ten services sends some thirty
        events within a second, and each state read redraws the table; reading once
        `COALESCE_S` after the first of a burst shows the same end state for a fraction of that."""
        while not self._stopped.is_set():
            self._dirty.wait()
            if self._stopped.wait(COALESCE_S):
                return
            self._dirty.clear()
            with self._state_lock:
                if self._connected:  # not after the stream ended: None was the last word
                    self._state(self._read())

    # ---- process-group usage ---------------------------------------------------------------

    def _ports(self, pids: frozenset[int]) -> dict[int, list[int]]:
        """Listening ports of `pids`: read again when the processes changed, else every
        `PORTS_EVERY_S` (reading the socket tables costs more than the CPU/RSS scan, and a
        service rarely opens a port long after it started)."""
        from devctl.procs.sockets import listening_ports

        now = time.monotonic()
        if pids != self._port_pids or now - self._ports_at >= PORTS_EVERY_S:
            self._port_pids, self._ports_at = pids, now
            self._port_map = listening_ports(pids)
        return self._port_map

    def _sample(self) -> None:
        scanner: Any = None
        while not self._stopped.is_set():
            with self._lock:
                groups = dict(self._groups)
                self._groups_changed.clear()
            if not groups:
                self._groups_changed.wait()  # nothing to measure: sleep until something runs
                continue
            if scanner is None:
                from devctl.dofek.scan import Scanner

                scanner = Scanner(gpu=False)
                scanner.scan()  # CPU% is a difference: the first scan is the baseline
                self._stopped.wait(min(self.sample_s, 0.5))
            with contextlib.suppress(OSError):
                rows = scanner.scan()
                wanted = set(groups.values())
                pids = frozenset(r.pid for r in rows if r.pgid in wanted)
                ports = self._ports(pids)
                self._send("usage", group_usage(rows, groups, ports))
            self._stopped.wait(self.sample_s)
