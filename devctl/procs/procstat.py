"""`/proc/<pid>/stat`: the one parser of the kernel's per-process status line (Linux).

Why read it by hand: everything devctl asks about a process on a hot path — is it a zombie,
which group is it in, how much CPU and memory has it used — is on this one line, and one
`os.read` of it is several times cheaper than psutil (which reads `stat` twice and `statm`
once). Group scans while stopping 50 services and the Dofek 300-process scan depend on that.

The line is `pid (comm) state ppid pgrp ...`; `comm` may hold spaces and parentheses, so the
fields are split after the LAST `)`. `fields(raw)[0]` is the state, as in `proc(5)` field 3.
"""

from __future__ import annotations

import os

#: Indexes into `fields()` (proc(5) field number minus 3).
STATE, PPID, PGRP, UTIME, STIME, STARTTIME, RSS_PAGES = 0, 1, 2, 11, 12, 19, 21
#: The unit of `utime`, `stime` and `starttime`.
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
#: States of a process that has exited but was not reaped (or is being torn down).
DEAD_STATES = (b"Z", b"X")


def read(pid: int | str) -> bytes | None:
    """The raw stat line of `pid`, or None when it is gone (or not readable, or not Linux)."""
    try:  # os.open/os.read: a third cheaper than open(), which builds two file objects
        fd = os.open(f"/proc/{pid}/stat", os.O_RDONLY)
    except OSError:
        return None
    try:
        return os.read(fd, 4096) or None
    except OSError:
        return None
    finally:
        os.close(fd)


def fields(raw: bytes) -> list[bytes]:
    """The space-separated fields after `(comm)`: `[state, ppid, pgrp, ...]`."""
    return raw[raw.rfind(b")") + 2:].split()


def comm(raw: bytes) -> str:
    """The kernel's name of the process (cut at 15 bytes), between the first `(` and last `)`."""
    return raw[raw.find(b"(") + 1:raw.rfind(b")")].decode("utf-8", "replace")


def live_pgrp(pid: int | str) -> int | None:
    """The process group of `pid` when it is alive (neither zombie nor dead), else None."""
    raw = read(pid)
    if raw is None:
        return None
    try:
        parts = fields(raw)
        return None if parts[STATE] in DEAD_STATES else int(parts[PGRP])
    except (IndexError, ValueError):
        return None


def pgrp(pid: int | str) -> int | None:
    """The process group of `pid` in any state, zombies included (a zombie keeps the group it
    died in, and its pid, until reaped), or None when it is gone."""
    raw = read(pid)
    if raw is None:
        return None
    try:
        return int(fields(raw)[PGRP])
    except (IndexError, ValueError):
        return None


def is_dead(pid: int | str) -> bool:
    """True when `pid` is gone, a zombie or being torn down (or its line cannot be read)."""
    raw = read(pid)
    if raw is None:
        return True
    parts = fields(raw)
    return not parts or parts[STATE] in DEAD_STATES


def boot_time() -> float | None:
    """`btime` of /proc/stat: when the machine booted, in seconds since the epoch (whole seconds).

    Read every time, as psutil does: the kernel derives it from the wall clock, so it moves
    when the clock is set, and a create time must agree with psutil's computed at the same moment."""
    try:
        fd = os.open("/proc/stat", os.O_RDONLY)
    except OSError:
        return None
    try:
        data = b""
        while chunk := os.read(fd, 65536):
            data += chunk
    except OSError:
        return None
    finally:
        os.close(fd)
    at = data.find(b"\nbtime ")
    if at < 0:
        return None
    try:
        return float(data[at + 7:data.find(b"\n", at + 1)])
    except ValueError:
        return None


def create_time(pid: int | str) -> float | None:
    """When `pid` started, in seconds since the epoch, or None when it is gone (or not Linux).

    The same figure as `psutil.Process(pid).create_time()` — starttime / clock ticks + boot time,
    in that float arithmetic — because recorded create times are compared with psutil's
    (`pids.pid_alive`, ±10 ms). Two small reads instead of importing psutil (~10-80 ms of
    import in the supervisor, which records one for every service it starts)."""
    raw = read(pid)
    return None if raw is None else started(raw)


def started(raw: bytes) -> float | None:
    """`create_time` from a stat line already read (one read answers "alive?" and "since when?")."""
    try:
        ticks = int(fields(raw)[STARTTIME])
    except (IndexError, ValueError):
        return None
    booted = boot_time()
    return None if booted is None else float(ticks) / CLOCK_TICKS + booted
