"""Wake a starting service's probe the moment its port starts listening.

A starting service is probed every 25 ms (`health.starting_delay`), so `up` noticed a port up
to 25 ms after it opened, ~12 ms on average, and the last service of a batch decides when `up`
returns. Probing faster costs a connect per service per turn; this asks the kernel once per
turn for every listening port (`procs/listening.py`, tens of microseconds for any number of
services) and cuts the waiting probe's sleep short when its port shows up. The probe itself
still decides: a port listening on another address, or an HTTP server that answers 503 while
it warms up, only costs that one early probe, because a service is woken once per nap and
`_readiness` stops asking after the first wake of a start (edge, not level: see there).

The watch runs only while some service waits for its port: every `FAST_S` while the youngest of
them has been starting for less than `FAST_FOR_S`, then every `SLOW_S` (still well under the
probes' own pace for a slow starter, which grows to a second), and never more often than keeps
its own cost under ~2 % of a core (`COST_SHARE`: a machine listening on many ports answers
slower). While a service's port is watched, its probes need not look often: they run every
50 ms instead of 25 (`health.WATCHED_STARTING_INTERVAL_S`), half the refused connects. Where
the kernel will not answer, the watch turns itself off and the naps run their full length, at
the ordinary pace.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from devctl.procs import tasks
from devctl.procs.listening import ListeningPorts

#: The gap between two questions to the kernel while a wait is young, and after.
FAST_S = 0.005
SLOW_S = 0.025
FAST_FOR_S = 1.0
#: The gap is also at least this many times what the last question cost: the watch takes at
#: most ~2 % of a core. (A question costs ~1-2 µs per listening socket on the machine: ~50 µs
#: with a few, ~110 µs with 60; more on a machine that listens on hundreds of ports.)
COST_SHARE = 50


class ListenWatch:
    """The services waiting for their port, and the one task that watches for all of them."""

    def __init__(self, open_asker: Callable[[], ListeningPorts | None] = ListeningPorts.open,
                 clock: Callable[[], float] = time.monotonic):
        self._open_asker = open_asker
        self._clock = clock
        self._asker: ListeningPorts | None = None
        #: False once the kernel would not answer: `want` says no from then on.
        self.usable = True
        self._running = False
        #: key → (port, wake, since when it has been starting: `clock` time)
        self._waiting: dict[object, tuple[int, Callable[[], None], float]] = {}

    def want(self, key: object, port: int, since: float, wake: Callable[[], None],
             start_soon: Callable[[Callable[[], object]], None]) -> bool:
        """Call `wake` once `port` listens (or at once, if it does); `since`: when the service
        began starting (`clock` time). False: no watch on this machine, sleep the whole nap.
        `start_soon` starts the watching task when none runs."""
        if not self.usable:
            return False
        self._waiting[key] = (port, wake, since)
        if not self._running:
            self._running = True
            start_soon(self._run)
        return True

    def forget(self, key: object) -> None:
        self._waiting.pop(key, None)

    def _pace(self, cost: float) -> float:
        """The gap before the next question, after one that took `cost` seconds."""
        youngest = max((since for _port, _wake, since in self._waiting.values()), default=0.0)
        gap = FAST_S if self._clock() - youngest < FAST_FOR_S else SLOW_S
        return max(gap, cost * COST_SHARE)

    async def _run(self) -> None:
        """Ask, wake whoever's port is up, sleep; until nobody waits. Each turn ends with a
        sleep and every wait ends with its nap, so this ends with the last nap."""
        try:
            while self._waiting:
                # CPU time, not wall time: while services start, the supervisor waits for the
                # CPU, and a question that waited would slow the watch exactly when it matters.
                asked = time.thread_time()
                listening = self._ask()
                if listening is None:
                    return
                cost = time.thread_time() - asked
                for key in [k for k, (port, _wake, _since) in self._waiting.items() if port in listening]:
                    self._waiting.pop(key)[1]()
                if self._waiting:
                    await tasks.sleep(self._pace(cost))
        finally:
            self._running = False

    def _ask(self) -> set[int] | None:
        if self._asker is None:
            self._asker = self._open_asker()
        ports = self._asker.ports() if self._asker is not None else None
        if ports is None:  # refused now or from the start: the naps run their full length
            self.usable = False
            self._asker = None
            for _port, wake, _since in self._waiting.values():
                wake()  # (woken now, each probes once more and naps plainly from then on)
            self._waiting.clear()
        return ports

    def close(self) -> None:
        """Closes the kernel connection (the supervisor is stopping)."""
        if self._asker is not None:
            self._asker.close()
            self._asker = None
