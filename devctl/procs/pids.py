"""Single processes: is this pid still the process we started, what did it spawn, who carries a mark.

Liveness never trusts a bare pid: a zombie passes `kill(pid, 0)`, and a recycled pid looks
alive. `pid_alive` checks the recorded create time and rejects zombies.

Signalling needs more than liveness: `proven` says a pid is the very process that was
recorded — its exact create time, or a marker (`DEVCTL_RUN=<run id>`) in the environment it
started with. A pid with neither (a forged `[pid, null]`, a state file from before a reboot,
a recycled pid) is never signalled.
"""

from __future__ import annotations

import os

from devctl.procs import procstat


def create_time(pid: int) -> float | None:
    """The kernel's start time of `pid` (what `pid_alive` compares against), or None.

    Linux: from /proc (`procstat.create_time`, psutil's figure without importing psutil: the
    supervisor records one per service it starts)."""
    if _PROC_STAT:
        return procstat.create_time(pid)
    import psutil  # lazily: ~10 ms of import that most commands never need

    try:
        return psutil.Process(pid).create_time()
    except psutil.Error:
        return None


def pid_alive(pid: int | None, created: float | None = None) -> bool:
    """True when `pid` runs, is not a zombie and, if given, started at `created` (±10 ms)."""
    if not pid or pid <= 0:
        return False
    if _PROC_STAT:  # one read of /proc/<pid>/stat says it all: no psutil (~10-25 ms) for `status`
        raw = procstat.read(pid)
        if raw is None:
            return False
        parts = procstat.fields(raw)
        if not parts or parts[procstat.STATE] in procstat.DEAD_STATES:
            return False
        since = procstat.started(raw) if created is not None else None
        return created is None or (since is not None and abs(since - created) < 0.01)
    import psutil  # lazily: not Linux

    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        return created is None or abs(proc.create_time() - created) < 0.01
    except psutil.Error:
        return False


def proven(pid: object, created: object, marker: tuple[str, str] | None = None) -> bool:
    """True when `pid` runs and is provably the recorded process: it started at `created`
    (a number, ±10 ms), or its environment holds `marker` (name, value).

    Values come from files a user (or anyone who may write `.devctl/`) can edit, so anything
    that is not a positive int pid is refused here rather than trusted.
    """
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return False
    if isinstance(created, (int, float)) and not isinstance(created, bool) and pid_alive(pid, float(created)):
        return True
    if marker is not None and marker[1] and pid_alive(pid):
        return env_var(pid, marker[0]) == marker[1]
    return False


def any_alive(pids: list[int]) -> bool:
    """True when at least one of `pids` runs and is not a zombie (no create-time check).

    Linux answers from `/proc/<pid>/stat` (the same reading `group_members` uses), so stopping a
    plugin, which asks this every time, does not import psutil."""
    if not pids:
        return False
    if _PROC_STAT:
        return any(procstat.live_pgrp(pid) is not None for pid in pids)
    import psutil  # lazily: ~10 ms of import that most commands never need

    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                return True
        except psutil.Error:
            continue
    return False


#: Linux: a process's state and group are one read of /proc/<pid>/stat away.
_PROC_STAT = os.path.isdir("/proc/self")


#: Linux lists each thread's children in /proc: a look at one process, not at the whole table.
_PROC_CHILDREN = os.path.isdir("/proc/self/task")


def children(pid: int) -> list[int]:
    """Direct children of `pid`. Linux: `/proc/<pid>/task/*/children` (cheap: no process-table
    scan, which is what psutil does); elsewhere psutil."""
    if not _PROC_CHILDREN:
        import psutil  # lazily: ~10 ms of import that most commands never need

        try:
            return [p.pid for p in psutil.Process(pid).children()]
        except psutil.Error:
            return []
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children", "rb") as fh:
                found.extend(int(x) for x in fh.read().split())
        except (OSError, ValueError):
            continue
    return found


def descendants(pid: int, limit: int = 10_000) -> list[int]:
    """All descendants of `pid` (children, grandchildren...; breadth-first), at most `limit`."""
    out: list[int] = []
    queue = children(pid)
    while queue and len(out) < limit:
        child = queue.pop(0)
        out.append(child)
        queue.extend(children(child))
    return out


def env_var(pid: int, name: str) -> str | None:
    """The value of `name` in the environment `pid` started with, if we may read it (Linux)."""
    prefix = f"{name}=".encode()
    try:
        with open(f"/proc/{pid}/environ", "rb") as fh:
            for item in fh.read().split(b"\0"):
                if item.startswith(prefix):
                    return item[len(prefix):].decode("utf-8", "replace")
    except OSError:
        return None
    return None


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
    # Newest first: a process that forks and exits in a loop has the highest pids, and is
    # then read microseconds after the listing instead of after every other process.
    for pid in sorted((int(e) for e in names if e.isdigit()), reverse=True):
        if pid == me:
            continue
        entry = str(pid)
        try:
            with open(f"/proc/{entry}/environ", "rb") as fh:
                if needle not in fh.read().split(b"\0"):
                    continue
        except OSError:
            continue
        if not procstat.is_dead(entry):
            found.append(int(entry))
    return found


def lock_holders(path: str, exclude: int | None = None) -> list[int]:
    """Our user's live processes holding an flock on `path` through an open descriptor,
    even after the file was removed (`rm -rf .devctl`): the link then reads `path (deleted)`.

    Cheap: /proc/locks names the few processes holding any flock; only their descriptors are
    read. Linux only; elsewhere (or when /proc/locks cannot be read) nothing is found.
    """
    try:
        with open("/proc/locks", "rb") as fh:
            lines = fh.read().decode("ascii", "replace").splitlines()
    except OSError:
        return []
    candidates: set[int] = set()
    for line in lines:
        parts = line.split()
        if len(parts) > 4 and parts[1] == "FLOCK" and parts[4].isdigit():
            candidates.add(int(parts[4]))
    targets = {path, f"{path} (deleted)"}
    uid = os.getuid()
    found: list[int] = []
    for pid in sorted(candidates - {0, exclude or 0}):
        try:
            if os.stat(f"/proc/{pid}").st_uid != uid:
                continue
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") in targets:
                    found.append(pid)
                    break
            except OSError:
                continue
    return [pid for pid in found if not procstat.is_dead(pid)]
