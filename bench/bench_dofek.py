#!/usr/bin/env python3
"""The Dofek host's own cost: CPU at a 1 s refresh, per-cycle overhead, process-scan cost.

    python bench/bench_dofek.py [--seconds S] [--plugins N] [--json]

Three measurements (goals from the issue; nothing here is asserted):

* host CPU      — N copies of testdata/dofek/ok.py at refresh_ms=1000 for S seconds; the
                  bench process's own CPU time (the host, excluding its children) divided
                  by wall time, including rendering the dashboard to text every tick.
                  Goal: < 2 % of one core with 5 plugins.
* cycle overhead — per tick: scan + polls until every reply is in + snapshot, minus the
                  slowest plugin's reply time (send → reply line read). Goal: <= 10 ms.
* scan cost     — one `Scanner.scan()` with at least 300 processes on the machine (sleepers
                  are spawned in their own process group to get there, and that group is
                  killed afterwards), for both sources. Goal: <= 5 ms.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import anyio  # noqa: E402

from devctl.dofek.config import DofekConfig, PluginConf  # noqa: E402
from devctl.dofek.poller import DofekHost  # noqa: E402
from devctl.dofek.render import render_text  # noqa: E402
from devctl.dofek.scan import ProcfsSource, PsutilSource, Scanner  # noqa: E402
from devctl.procs.groups import stop_group_sync  # noqa: E402

OK_PLUGIN = ROOT / "testdata" / "dofek" / "ok.py"


def _cpu_self() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def host_run(seconds: float, plugins: int, refresh_ms: int, tmp: Path) -> dict:
    confs = tuple(PluginConf(name=f"p{i}", command=sys.executable, args=(str(OK_PLUGIN), f"p{i}"),
                             cwd=ROOT, executable=sys.executable) for i in range(plugins))
    host = DofekHost(DofekConfig(path=None, refresh_ms=refresh_ms, plugins=confs), log_dir=tmp,
                     scanner=Scanner(gpu=False))
    ticks = max(3, int(seconds * 1000 / refresh_ms))
    cycles: list[dict] = []
    marks: dict[str, float] = {}

    def on_tick(snap: dict) -> None:
        t0 = time.perf_counter()
        render_text(snap, width=120)
        render_ms = (time.perf_counter() - t0) * 1000
        slowest = max((p["reply_ms"] or 0.0) for p in snap["plugins"]) if snap["plugins"] else 0.0
        if snap["tick"] == 2:  # start the CPU clock after spawning and the first replies
            marks["cpu"], marks["wall"] = _cpu_self(), time.monotonic()
        if snap["tick"] == ticks:  # and stop it before the shutdown
            marks["cpu_end"], marks["wall_end"] = _cpu_self(), time.monotonic()
        cycles.append({**host.last_cycle, "slowest_reply_ms": slowest, "render_ms": render_ms})

    anyio.run(lambda: host.run(on_tick, ticks=ticks))
    cpu = (marks["cpu_end"] - marks["cpu"]) / (marks["wall_end"] - marks["wall"]) * 100
    steady = cycles[1:]
    overhead = [c["scan_ms"] + c["polls_ms"] + c["snapshot_ms"] - c["slowest_reply_ms"] for c in steady]
    overhead_no_scan = [c["polls_ms"] + c["snapshot_ms"] - c["slowest_reply_ms"] for c in steady]
    return {
        "plugins": plugins, "refresh_ms": refresh_ms, "ticks": len(cycles),
        "host_cpu_percent_of_core": round(cpu, 2),
        "cycle_overhead_ms_median": round(statistics.median(overhead), 2),
        "cycle_overhead_ms_max": round(max(overhead), 2),
        "cycle_overhead_without_scan_ms_median": round(statistics.median(overhead_no_scan), 2),
        "slowest_reply_ms_median": round(statistics.median(c["slowest_reply_ms"] for c in steady), 2),
        "render_ms_median": round(statistics.median(c["render_ms"] for c in steady), 2),
    }


def spawn_sleepers(target: int) -> subprocess.Popen | None:
    """A process group of sleepers topping the machine up to `target` processes."""
    import psutil

    missing = target - len(psutil.pids())
    if missing <= 0:
        return None
    code = ("import subprocess, sys, time\n"
            f"kids = [subprocess.Popen(['sleep', '600']) for _ in range({missing})]\n"
            "print('ready', flush=True)\n"
            "time.sleep(600)\n")
    leader = subprocess.Popen([sys.executable, "-c", code], start_new_session=True, stdout=subprocess.PIPE,
                              text=True)
    leader.stdout.readline()
    return leader


def scan_cost(repeats: int = 30) -> dict:
    import psutil

    leader = spawn_sleepers(300)
    try:
        out = {"processes": len(psutil.pids())}
        sources = {"procfs": ProcfsSource, "psutil": PsutilSource}
        if not sys.platform.startswith("linux"):
            sources.pop("procfs")
        for name, source in sources.items():
            scanner = Scanner(source(), gpu=False)
            scanner.scan()  # warm: the first scan also primes caches
            times = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                scanner.scan()
                times.append((time.perf_counter() - t0) * 1000)
            out[f"{name}_scan_ms_median"] = round(statistics.median(times), 2)
            out[f"{name}_scan_ms_min"] = round(min(times), 2)
        return out
    finally:
        if leader is not None:
            stop_group_sync(leader.pid, grace=1.0, child_pid=leader.pid)
            leader.wait()
            leader.stdout.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--plugins", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        host = host_run(args.seconds, args.plugins, 1000, Path(tmp))
        fast = host_run(min(args.seconds, 10.0), args.plugins, 100, Path(tmp))
    result = {"host_1s": host, "host_100ms": fast, "scan": scan_cost()}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    label = f"host CPU, {host['plugins']} plugins @1 s"
    print(f"{label:42} {host['host_cpu_percent_of_core']:8.2f} %   (goal < 2 %)")
    print(f"{'cycle overhead beyond replies (median)':42} {host['cycle_overhead_ms_median']:8.2f} ms"
          "  (goal <= 10 ms)")
    print(f"{'  of which without the scan':42} {host['cycle_overhead_without_scan_ms_median']:8.2f} ms")
    print(f"{'  at 100 ms refresh (median)':42} {fast['cycle_overhead_ms_median']:8.2f} ms")
    print(f"{'slowest plugin reply (median)':42} {host['slowest_reply_ms_median']:8.2f} ms")
    print(f"{'render to text (median)':42} {host['render_ms_median']:8.2f} ms")
    scan = result["scan"]
    for name in ("procfs", "psutil"):
        if f"{name}_scan_ms_median" in scan:
            print(f"{name + ' scan, ' + str(scan['processes']) + ' processes (median)':42} "
                  f"{scan[name + '_scan_ms_median']:8.2f} ms  (goal <= 5 ms)")


if __name__ == "__main__":
    main()
