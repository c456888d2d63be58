"""A plugin's health as an explicit state machine, with the restart backoff policy.

Pure: it never sleeps or spawns, it only records what happened and says what should happen
next. Time comes from an injectable `clock` (monotonic seconds), so tests drive minutes of
history in microseconds.

    starting --poll ok--> healthy --5 consecutive errors--> unhealthy --poll ok--> healthy
        \\________________________ process exits ______________________/
                                       v
                                    crashed --backoff elapses, respawned--> starting

Backoff after each crash: 1, 2, 4, 8, 16, 30, 30... seconds. The sequence starts again once
the plugin has stayed healthy for 60 s, so a plugin that crashes once a day restarts in 1 s.
Errors below the threshold keep the current state: one timeout does not hide good data.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from devctl.util.backoff import backoff_delay

STARTING = "starting"
HEALTHY = "healthy"
UNHEALTHY = "unhealthy"
CRASHED = "crashed"
STOPPED = "stopped"
STATES = (STARTING, HEALTHY, UNHEALTHY, CRASHED, STOPPED)

UNHEALTHY_AFTER = 5
RESET_AFTER_S = 60.0


@dataclass
class Lifecycle:
    clock: Callable[[], float] = time.monotonic
    state: str = STARTING
    consecutive_errors: int = 0
    errors: int = 0
    good_polls: int = 0
    #: Spawns after the first one.
    restarts: int = 0
    last_error: str = ""
    #: Crashes since the last 60 s healthy spell (drives the backoff; 1 = the first restart).
    attempt: int = 0
    healthy_since: float | None = None
    respawn_at: float | None = None
    spawns: int = 0

    def spawned(self) -> None:
        if self.spawns:
            self.restarts += 1
        self.spawns += 1
        self.state = STARTING
        self.consecutive_errors = 0
        self.respawn_at = None
        self.healthy_since = None

    def poll_ok(self) -> None:
        now = self.clock()
        self.good_polls += 1
        self.consecutive_errors = 0
        if self.state in (STARTING, UNHEALTHY):
            self.state = HEALTHY
            self.healthy_since = now
        self._maybe_reset(now)

    def poll_error(self, message: str) -> None:
        self.errors += 1
        self.consecutive_errors += 1
        self.last_error = message
        if self.state in (STARTING, HEALTHY) and self.consecutive_errors >= UNHEALTHY_AFTER:
            self.state = UNHEALTHY
            self.healthy_since = None

    def exited(self, message: str) -> float:
        """The process is gone: become `crashed` and return the delay before the respawn."""
        now = self.clock()
        self._maybe_reset(now)
        self.attempt += 1
        delay = backoff_delay(self.attempt)
        self.state = CRASHED
        self.last_error = message
        self.healthy_since = None
        self.respawn_at = now + delay
        return delay

    def stopped(self) -> None:
        self.state = STOPPED
        self.respawn_at = None

    def respawn_in(self) -> float:
        """Seconds until the respawn is due (0 when due, inf when none is planned)."""
        if self.respawn_at is None:
            return float("inf")
        return max(0.0, self.respawn_at - self.clock())

    def _maybe_reset(self, now: float) -> None:
        if self.healthy_since is not None and now - self.healthy_since >= RESET_AFTER_S:
            self.attempt = 0
