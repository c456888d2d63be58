"""Stopping a set of processes that moves while we look at it: freeze first, then kill.

Signalling pids one by one loses to a process that forks and exits every few milliseconds:
by the time the signal lands, the pid it was meant for is gone and its child lives on. A
stopped process cannot fork, so the way to win is to SIGSTOP what is seen, look again, SIGSTOP
what is new, until a look finds nothing new, and only then SIGKILL everything (SIGKILL ends a
stopped process; no SIGCONT is needed). Where a whole process group is provably ours, the
group is stopped with one `killpg`, which the kernel delivers atomically with respect to fork.

What this cannot do without cgroups: a chain that changes session on every hop and hops
faster than one look at /proc may still get away; docs/reliability.md says so.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable

from devctl.procs import procstat
from devctl.procs.groups import group_members, signal_pids
from devctl.procs.pids import descendants, env_var

#: Looks at the moving set before giving up on catching the last of it.
ROUNDS = 200
#: Consecutive empty looks that count as "nothing left": one can miss a process in mid-hop.
EMPTY_LOOKS = 3
#: Looks before deciding there is nothing to stop at all (each may cost tens of ms).
FIRST_LOOKS = 2

#: `group_ok(pid, pgid)`: `pid` (returned by a look) is in group `pgid`; is the whole group ours?
GroupCheck = Callable[[int, int], bool]
Look = Callable[[], list[int]]


class _Groups:
    """Process groups proven ours (by the caller's `group_ok`), found through the pids seen."""

    def __init__(self, group_ok: GroupCheck | None):
        self.ok = group_ok
        self.known: set[int] = set()
        self.own = os.getpgid(0)  # never our own group

    def note(self, pids: list[int]) -> list[int]:
        """Learn the groups of `pids`; returns the groups that are new."""
        new: list[int] = []
        if self.ok is None:
            return new
        for pid in pids:
            # Zombies too: a process that forks and exits is usually one by the time we look,
            # and the group it died in is the one its child is in.
            pgid = procstat.pgrp(pid)
            if pgid is None or pgid in self.known or pgid == self.own:
                continue
            if self.ok(pid, pgid):
                self.known.add(pgid)
                new.append(pgid)
        return new

    def signal(self, sig: int, only: list[int] | None = None) -> None:
        for pgid in self.known if only is None else only:
            with contextlib.suppress(OSError):
                os.killpg(pgid, sig)

    def alive(self) -> bool:
        return any(group_members(pgid) for pgid in self.known)


def _look_hard(look: Look, skip: set[int], tries: int = EMPTY_LOOKS) -> list[int]:
    """What `look()` finds that is not in `skip`, looking up to `tries` times."""
    for _ in range(tries):
        found = [pid for pid in look() if pid not in skip]
        if found:
            return found
    return []


def freeze_and_kill(look: Look, *, group_ok: GroupCheck | None = None, rounds: int = ROUNDS,
                    _groups: _Groups | None = None) -> int:
    """SIGSTOP everything `look()` returns, again and again until nothing new shows up, then
    SIGKILL it all. Returns how many processes were frozen and killed.

    `group_ok` may say a process's whole group is ours: the group is then stopped and killed
    with `killpg` too, which no fork escapes (never our own group).
    """
    groups = _groups or _Groups(group_ok)
    groups.signal(signal.SIGSTOP)
    frozen: set[int] = set()
    for _ in range(rounds):
        new = _look_hard(look, frozen)
        if not new:
            break
        signal_pids(new, signal.SIGSTOP)
        frozen.update(new)
        groups.signal(signal.SIGSTOP, groups.note(new))
    groups.signal(signal.SIGKILL)
    signal_pids(sorted(frozen), signal.SIGKILL)
    return len(frozen)


def stop_set(look: Look, *, sig: int = signal.SIGTERM, grace: float = 2.0,
             group_ok: GroupCheck | None = None, first_looks: int = FIRST_LOOKS) -> int:
    """Ask politely (`sig`), wait up to `grace` for `look()` to come back empty, then
    `freeze_and_kill` whatever may be left. Returns how many were frozen and killed.

    One empty look proves nothing: a scan of /proc can miss a process that forks and exits
    while the scan runs (the child's pid is listed after the scan passed it, the parent is
    gone when its turn comes). So a look is repeated before it counts as empty, the groups
    seen are signalled whole (a group cannot hide from `killpg`), and once anything was seen
    the freeze always runs. `first_looks=1` when a miss is already ruled out (e.g. a
    subreaper that froze its own tree before exiting).
    """
    groups = _Groups(group_ok)
    first = _look_hard(look, set(), first_looks)
    if not first:
        return 0
    groups.note(first)
    signal_pids(first, sig)
    groups.signal(sig)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        seen = look()
        groups.signal(sig, groups.note(seen))
        if not seen and not groups.alive():
            break
        time.sleep(0.02)
    return freeze_and_kill(look, _groups=groups)


def marker_group_check(name: str, value: str) -> GroupCheck:
    """`group_ok` for a look by environment marker (`pids.with_env(name, value)`): the group of
    a process the look just saw marked is ours (a service's session holds only what it
    started). Read again to be sure: a live process must still carry the marker; a zombie
    cannot be anyone else (its pid is not reused before it is reaped, and then it is gone)."""

    def ok(pid: int, pgid: int) -> bool:
        if procstat.pgrp(pid) != pgid:
            return False
        if env_var(pid, name) == value:
            return True
        # Unreadable environment: fine if it died in the meantime (a zombie's is empty).
        return procstat.is_dead(pid) and procstat.pgrp(pid) == pgid

    return ok


def live_descendants(root: int) -> list[int]:
    """Descendants of `root` that are neither zombies nor being torn down."""
    return [pid for pid in descendants(root) if not procstat.is_dead(pid)]


def stop_descendants(root: int, *, sig: int = signal.SIGTERM, grace: float = 1.0) -> int:
    """Stop every live descendant of `root` (`stop_set`). For a child subreaper, orphans come
    back to it, so its descendants are everything it (or its children) ever started.

    Returns once what it killed is gone (at most `KILLED_GONE_S` more): a SIGKILL takes effect
    a moment after it is sent, and the supervisor, which calls this last, tells `devctl down`
    it is gone right afterwards (`control.release_held`)."""
    killed = stop_set(lambda: live_descendants(root), sig=sig, grace=grace)
    if killed:
        deadline = time.monotonic() + KILLED_GONE_S
        while live_descendants(root) and time.monotonic() < deadline:
            time.sleep(0.005)
    return killed


#: How long `stop_descendants` waits for what it SIGKILLed to be gone.
KILLED_GONE_S = 2.0
