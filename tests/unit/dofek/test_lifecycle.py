"""The plugin state machine and its backoff, driven by a fake clock."""

from __future__ import annotations

from devctl.dofek.lifecycle import (
    CRASHED,
    HEALTHY,
    STARTING,
    UNHEALTHY,
    Lifecycle,
    backoff_delay,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_starting_then_healthy_then_unhealthy_after_five_errors() -> None:
    life = Lifecycle(Clock())
    life.spawned()
    assert life.state == STARTING
    life.poll_ok()
    assert life.state == HEALTHY
    for i in range(4):
        life.poll_error(f"timeout {i}")
        assert life.state == HEALTHY  # below the threshold the last good state stays
    life.poll_error("timeout 4")
    assert (life.state, life.consecutive_errors, life.last_error) == (UNHEALTHY, 5, "timeout 4")
    life.poll_ok()
    assert (life.state, life.consecutive_errors, life.errors) == (HEALTHY, 0, 5)


def test_errors_reset_by_a_good_poll_never_reach_unhealthy() -> None:
    life = Lifecycle(Clock())
    life.spawned()
    for _ in range(10):
        life.poll_error("x")
        life.poll_error("x")
        life.poll_ok()
    assert life.state == HEALTHY and life.errors == 20


def test_starting_plugin_that_never_answers_becomes_unhealthy() -> None:
    life = Lifecycle(Clock())
    life.spawned()
    for _ in range(5):
        life.poll_error("no reply")
    assert life.state == UNHEALTHY


def test_backoff_sequence_and_cap() -> None:
    clock = Clock()
    life = Lifecycle(clock)
    life.spawned()
    delays = []
    for _ in range(8):
        delays.append(life.exited("exited with code 1"))
        assert life.state == CRASHED
        assert life.respawn_in() == delays[-1]
        clock.now += delays[-1]
        assert life.respawn_in() == 0
        life.spawned()
    assert delays == [1, 2, 4, 8, 16, 30, 30, 30]
    assert life.restarts == 8
    assert [backoff_delay(i) for i in (0, 5, 99)] == [1, 30, 30]


def test_backoff_resets_after_sixty_seconds_healthy() -> None:
    clock = Clock()
    life = Lifecycle(clock)
    life.spawned()
    for _ in range(4):
        life.exited("crash")
        life.spawned()
    life.poll_ok()
    clock.now += 59
    assert life.exited("crash") == 16  # healthy only 59 s: no reset
    life.spawned()
    life.poll_ok()
    clock.now += 60
    life.poll_ok()
    assert life.exited("crash") == 1


def test_reset_needs_continuous_health() -> None:
    clock = Clock()
    life = Lifecycle(clock)
    life.spawned()
    life.exited("crash")
    life.spawned()
    life.poll_ok()
    clock.now += 40
    for _ in range(5):
        life.poll_error("t")  # unhealthy interrupts the healthy spell
    life.poll_ok()
    clock.now += 30  # 70 s since first healthy, only 30 s since the recovery
    assert life.exited("crash") == 2


def test_stopped_plans_no_respawn() -> None:
    life = Lifecycle(Clock())
    life.spawned()
    life.exited("crash")
    life.stopped()
    assert life.respawn_in() == float("inf")
