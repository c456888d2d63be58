"""Which TCP ports processes listen on (Linux `/proc`), for showing them: `devctl tui`'s PORTS.

Why by hand: psutil finds a process's sockets by reading `/proc/net/tcp*` once per process
asked; the dashboard asks about every process of every service every few seconds, so the
tables are read once per call here and each process only lists its descriptors. Pure parsing
(`listen_table`) is split from the reads so it is tested on fixed text. Elsewhere than Linux,
or without permission, the answer is simply empty: a display never fails for it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

#: `st` of a listening socket in /proc/net/tcp.
LISTEN = "0A"
TABLES = ("/proc/net/tcp", "/proc/net/tcp6")


def listen_table(text: str) -> dict[int, int]:
    """{socket inode: port} of the LISTEN rows of a /proc/net/tcp(6) table."""
    out: dict[int, int] = {}
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 10 or fields[3] != LISTEN:
            continue
        try:
            port = int(fields[1].rsplit(":", 1)[1], 16)
            inode = int(fields[9])
        except (IndexError, ValueError):
            continue
        if inode:
            out[inode] = port
    return out


def socket_inodes(pid: int) -> set[int]:
    """The socket inodes among `pid`'s open descriptors (empty when gone or not ours)."""
    found: set[int] = set()
    base = f"/proc/{pid}/fd"
    try:
        names = os.listdir(base)
    except OSError:
        return found
    for name in names:
        try:
            target = os.readlink(f"{base}/{name}")
        except OSError:
            continue
        if target.startswith("socket:["):
            try:
                found.add(int(target[8:-1]))
            except ValueError:
                continue
    return found


def listening_ports(pids: Iterable[int]) -> dict[int, list[int]]:
    """{pid: sorted TCP ports it listens on} for the given pids (those with none left out)."""
    table: dict[int, int] = {}
    for path in TABLES:
        try:
            with open(path, encoding="ascii", errors="replace") as fh:
                table.update(listen_table(fh.read()))
        except OSError:
            continue
    if not table:
        return {}
    out: dict[int, list[int]] = {}
    for pid in pids:
        ports = sorted({table[i] for i in socket_inodes(pid) if i in table})
        if ports:
            out[pid] = ports
    return out
