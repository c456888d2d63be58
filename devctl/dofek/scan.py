"""The machine's processes, once per tick: what every poll carries, and what the watchlist shows.

One scan serves both needs: `{pid, name, vram_bytes}` for the poll, CPU% and RSS for the
watchlist, the process group for devctl services. CPU% comes from the difference of CPU time
between two scans (like `top`), so the first scan shows 0.

Two sources give the same rows:
- `PsutilSource`, portable, used everywhere psutil runs.
- `ProcfsSource`, Linux only: psutil reads `/proc/<pid>/stat` twice and `statm` once per
  process (about 60 µs each on a loaded 2-core box); everything we need is in `stat`, so
  reading it once is ~3x cheaper, which is what keeps a 300-process scan near its 5 ms
  budget. Its names follow psutil's rule (the kernel cuts names at 15 bytes, so a 15-byte
  name is completed from the command line) and a test checks both sources agree.

`vram_bytes` comes from NVML when the optional `gpu` extra is installed and a GPU answers;
otherwise it is None for every process.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from typing import Any

import psutil

from devctl.procs import procstat


@dataclass(slots=True)
class ProcInfo:
    pid: int
    name: str
    cpu_percent: float
    rss: int
    pgid: int | None = None
    vram_bytes: int | None = None


class PsutilSource:
    """(pid, name, cpu_seconds, rss, pgid) rows via psutil."""

    def rows(self) -> list[tuple[int, str, float, int, int | None]]:
        out = []
        for proc in psutil.process_iter(["name", "cpu_times", "memory_info", "status"]):
            info = proc.info
            if info["status"] == psutil.STATUS_ZOMBIE or info["cpu_times"] is None:
                continue
            try:
                pgid: int | None = os.getpgid(proc.pid)
            except OSError:
                pgid = None
            times = info["cpu_times"]
            mem = info["memory_info"]
            rss = mem.rss if mem else 0
            out.append((proc.pid, info["name"] or "?", times.user + times.system, rss, pgid))
        return out


class ProcfsSource:
    """The same rows from one read of `/proc/<pid>/stat` per process (Linux)."""

    def __init__(self) -> None:
        self.ticks = os.sysconf("SC_CLK_TCK")
        self.page = os.sysconf("SC_PAGE_SIZE")
        #: Full names of processes whose `comm` was cut, keyed by (pid, comm).
        self._long_names: dict[tuple[int, str], str] = {}

    def rows(self) -> list[tuple[int, str, float, int, int | None]]:
        out = []
        ticks, page = self.ticks, self.page
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            raw = procstat.read(entry)
            if raw is None:
                continue  # exited between listdir and open
            fields = procstat.fields(raw)
            if fields[procstat.STATE] == b"Z":
                continue
            pid = int(entry)
            name = procstat.comm(raw)
            if len(name) >= 15:
                name = self._full_name(pid, name)
            cpu = (int(fields[procstat.UTIME]) + int(fields[procstat.STIME])) / ticks
            out.append((pid, name, cpu, int(fields[procstat.RSS_PAGES]) * page, int(fields[procstat.PGRP])))
        return out

    def _full_name(self, pid: int, comm: str) -> str:
        """psutil's rule: a cut name is replaced by argv[0]'s basename when that extends it."""
        key = (pid, comm)
        cached = self._long_names.get(key)
        if cached is not None:
            return cached
        full = comm
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv0 = f.read().split(b"\0", 1)[0].decode("utf-8", "replace")
            base = os.path.basename(argv0)
            if base.startswith(comm):
                full = base
        except OSError:
            pass
        if len(self._long_names) > 4096:
            self._long_names.clear()
        self._long_names[key] = full
        return full


def default_source() -> PsutilSource | ProcfsSource:
    if sys.platform.startswith("linux") and os.path.isfile("/proc/self/stat"):
        return ProcfsSource()
    return PsutilSource()


class Scanner:
    """Turns successive raw scans into `ProcInfo` rows with CPU% and (optionally) VRAM."""

    def __init__(self, source: Any = None, *, gpu: bool = True, clock: Any = time.monotonic):
        self.source = source or default_source()
        self.clock = clock
        self._prev: dict[int, float] = {}
        self._prev_at: float | None = None
        self._vram = VramReader() if gpu else None

    def scan(self) -> list[ProcInfo]:
        now = self.clock()
        rows = self.source.rows()
        elapsed = (now - self._prev_at) if self._prev_at is not None else 0.0
        prev = self._prev
        vram = self._vram.usage() if self._vram else None
        out = []
        current: dict[int, float] = {}
        for pid, name, cpu_s, rss, pgid in rows:
            current[pid] = cpu_s
            before = prev.get(pid)
            pct = 100.0 * (cpu_s - before) / elapsed if before is not None and elapsed > 0 else 0.0
            vbytes = vram.get(pid, 0) if vram is not None else None
            out.append(ProcInfo(pid, name, max(pct, 0.0), rss, pgid, vbytes))
        self._prev, self._prev_at = current, now
        return out

    @property
    def gpu_available(self) -> bool:
        return bool(self._vram and self._vram.available)


def poll_processes(procs: list[ProcInfo]) -> list[dict[str, Any]]:
    """The `processes` array of a poll request."""
    return [{"pid": p.pid, "name": p.name, "vram_bytes": p.vram_bytes} for p in procs]


class VramReader:
    """Per-process GPU memory via NVML (`pynvml`), or nothing when unavailable.

    Initialised once; any NVML failure disables it for the rest of the run rather than
    costing an exception per tick.
    """

    def __init__(self) -> None:
        self.available = False
        self._nvml: Any = None
        self._handles: list[Any] = []
        try:
            import pynvml  # the optional `gpu` extra (nvidia-ml-py)

            pynvml.nvmlInit()
            count = pynvml.nvmlDeviceGetCount()
            self._handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(count)]
            self._nvml = pynvml
            self.available = bool(self._handles)
        except Exception:  # ImportError, no driver, no GPU: VRAM is simply unknown
            self.available = False

    def usage(self) -> dict[int, int] | None:
        if not self.available:
            return None
        nvml = self._nvml
        used: dict[int, int] = {}
        try:
            for handle in self._handles:
                # A process can be listed as both compute and graphics on one device:
                # take the larger figure per device, then add devices up.
                on_device: dict[int, int] = {}
                for getter in (nvml.nvmlDeviceGetComputeRunningProcesses,
                               nvml.nvmlDeviceGetGraphicsRunningProcesses):
                    for proc in getter(handle):
                        amount = getattr(proc, "usedGpuMemory", None)
                        if isinstance(amount, int):
                            on_device[proc.pid] = max(on_device.get(proc.pid, 0), amount)
                for pid, amount in on_device.items():
                    used[pid] = used.get(pid, 0) + amount
        except Exception:
            self.available = False
            return None
        return used
