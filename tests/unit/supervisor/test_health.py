"""How probes are paced while a service starts (the probes themselves run real sockets and
processes: tests/integration/test_health_probes.py)."""

from __future__ import annotations

from pathlib import Path

from devctl.pipeline.services import normalize_service
from devctl.supervisor.health import STARTING_CAP_S, starting_delay
from devctl.supervisor.render import plan_lines


def check(**fields):
    return normalize_service({"name": "s", "command": ["x"], "health": fields}, "p", Path("/r"))["health"]


def test_fast_while_a_service_starts_quickly_then_backing_off_for_a_slow_one():
    tcp = check(type="tcp", address="h:1")
    # Anything up within half a second is noticed within 25 ms of its port opening.
    assert [starting_delay(tcp, t) for t in (0.0, 0.2, 0.5)] == [0.025, 0.025, 0.025]
    gaps = [starting_delay(tcp, t) for t in (1, 2, 5, 10, 60, 3600)]
    assert gaps == sorted(gaps) and gaps[0] == 0.05 and gaps[-1] == STARTING_CAP_S
    # A fork and exec per probe costs more than a refused connect: exec starts slower.
    assert starting_delay(check(type="exec", command=["x"]), 0) == 0.1


def test_a_short_period_is_never_exceeded_while_starting():
    assert starting_delay(check(type="tcp", address="h:1", period_ms=10), 0) == 0.01
    assert starting_delay(check(type="exec", command=["x"], period_ms=300), 100) == 0.3


def test_the_dry_run_shows_the_knobs():
    svc = normalize_service({"name": "db", "command": ["postgres"], "health": {
        "type": "exec", "command": ["pg_isready", "-q"], "period_ms": 500, "restart_on_unhealthy": True}},
        "p", Path("/r"))
    assert "  health: exec pg_isready -q (ready within 30 s; then every 0.5 s, unhealthy after 3 failures, " \
           "then restarted)" in plan_lines([svc])
