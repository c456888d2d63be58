"""Single processes: is this pid still the process we started, what did it spawn, who carries a mark.

Liveness never trusts a bare pid: a zombie passes `kill(pid, 0)`, and a recycled pid looks
alive. `pid_alive` checks the recorded create time and rejects zombies.
"""

from __future__ import annotations

import os

import psutil

from devctl.procs import procstat


def create_time(pid: int) -> float | None:
    """The kernel's start time of `pid` (what `pid_alive` compares against), or None."""
    try:
        return psutil.Process(pid).create_time()
    except psutil.Error:
        return None


def pid_alive(pid: int | None, created: float | None = None) -> bool:
    """True when `pid` runs, is not a zombie and, if given, started at `created` (±10 ms)."""
    if not pid or pid <= 0:
        return False
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        return created is None or abs(proc.create_time() - created) < 0.01
    except psutil.Error:
        return False


def any_alive(pids: list[int]) -> bool:
    """True when at least one of `pids` runs and is not a zombie (no create-time check)."""
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                return True
        except psutil.Error:
            continue
    return False


def descendants(pid: int) -> list[int]:
    """All live descendants of `pid` (children, grandchildren...)."""
    try:
        return [p.pid for p in psutil.Process(pid).children(recursive=True)]
    except psutil.Error:
        return []


def with_env(name: str, value: str) -> list[int]:
    """Live (non-zombie) pids whose environment has `name=value`, other than ours.

    The one trace a process cannot shed by re-parenting, `setsid` or `setpgid`: what it
    inherited. Used to find everything a supervisor run started after the supervisor died.
    Linux only (reads /proc); elsewhere, and for processes we may not inspect, nothing is found.
    """
    needle = f"{name}={value}".encode()
    me = os.getpid()
    found: list[int] = []
    try:
        names = os.listdir("/proc")
    except OSError:
        return found
    for entry in names:
        if not entry.isdigit() or int(entry) == me:
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as fh:
                if needle not in fh.read().split(b"\0"):
                    continue
        except OSError:
            continue
        if not procstat.is_dead(entry):
            found.append(int(entry))
    return found
