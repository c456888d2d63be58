"""The restart backoff shared by the supervisor's services and dofek's plugins.

Why one function: both restart a crashed child after 1, 2, 4, 8, 16, then 30 s forever, and the
docs promise that one sequence. Two copies had drifted into counting attempts differently (one
from 0, one from 1); this one counts restarts from 1, the way users read "restart number 3".
"""

from __future__ import annotations

#: First delay, in seconds.
BASE_S = 1.0
#: No delay is ever longer than this, in seconds.
CAP_S = 30.0


def backoff_delay(restart: int, *, base: float = BASE_S, cap: float = CAP_S) -> float:
    """Seconds to wait before restart number `restart` (1 = the first restart).

    Doubles from `base` and stops at `cap`: with the defaults 1, 2, 4, 8, 16, 30, 30, ...
    A `restart` below 1 is treated as 1.
    """
    if base <= 0:
        return 0.0
    doublings = min(max(restart, 1) - 1, 64)  # bounded: huge counts must not overflow a float
    return float(min(cap, base * 2.0**doublings))
