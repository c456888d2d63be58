"""How hard each reliability test pushes: the CI variant, or the heavy one with `--long`.

One place for the numbers, so docs/reliability.md quotes them from here. `current` is set by
tests/reliability/conftest.py before any test module is imported; test modules read it at
import time (hypothesis settings are fixed when a test is decorated).
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import HealthCheck, settings


@dataclass(frozen=True)
class Budget:
    long: bool
    cycles: int        # up/down cycles of 5 services (one forks grandchildren)
    kills: int         # SIGKILLs of the supervisor in each phase (up, restart, down)
    state_kills: int   # state writers SIGKILLed mid-write
    examples: int      # hypothesis examples per fuzz test (socket requests to one live supervisor too)
    flood_s: float     # seconds a service floods its log while `logs -f` follows it
    services: int      # services in the "many services in one repo" test
    dofek_s: float     # seconds the 20-plugin Dofek host runs
    own_trials: int = 1  # rounds of each "find our own, hit no one else" test (test_own_processes.py)


CI = Budget(False, cycles=100, kills=6, state_kills=200, examples=300, flood_s=2.0, services=100,
            dofek_s=4.0)
LONG = Budget(True, cycles=300, kills=40, state_kills=2000, examples=5000, flood_s=20.0, services=200,
              dofek_s=20.0, own_trials=5)

current: Budget = CI


def use(long: bool) -> Budget:
    global current
    current = LONG if long else CI
    return current


def fuzz() -> settings:
    """Hypothesis settings for a fuzz test: the budget's example count, no per-example deadline
    (a shared 2-core box is slow; a real hang is caught by pytest-timeout)."""
    return settings(
        max_examples=current.examples, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
