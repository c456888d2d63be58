#!/usr/bin/env python3
"""Health probes: how fast readiness is noticed, and what probing many slow starters costs.

    python bench/bench_health.py [--json]

Measures (issue 14, "Health beyond TCP and HTTP"):
  tcp-ready-D   the supervisor's `ready` event minus the moment the service's listen() returned
                (it prints its own timestamp), 10 tcp services that bind after D seconds; median
                and max. Starting probes back off with the time spent starting (5 %, 25 ms..1 s),
                so the latency grows for slow starters, by design.
  exec-ready    the same for an exec probe (testdata/services/health_probe.py, a python script)
                against a service that creates its `ready` file after 1 s (the file's mtime).
  probe-cpu-50  CPU seconds the supervisor spends while 50 tcp services take 5 s to bind, minus
                the same with 0.2 s: the cost of probing slow starters.
Nothing is asserted; figures go to docs/performance.md. About a minute on an idle machine.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

import psutil
from bench_supervisor import PY, SERVICES, Devctl, free_ports, tcp_services


def latencies(d: Devctl, stamp_of) -> dict:
    ready = {e["service"]: e["ts"] for e in d.events() if e["event"] == "ready"}
    lat = [ts - stamp_of(name) for name, ts in ready.items()]
    return {"median_ms": round(statistics.median(lat) * 1000, 1), "max_ms": round(max(lat) * 1000, 1)}


def tcp_ready(base: Path, delay: float) -> dict:
    d = Devctl(base, f"tcp{delay}")
    d.plan(tcp_services(free_ports(10), "--delay", str(delay), "--stamp"))

    def stamp(name: str) -> float:
        log = (d.root / ".devctl" / "logs" / f"{name}.stdout.log").read_text()
        return float(next(x for x in log.splitlines() if x.startswith("listening-at")).split()[1])

    try:
        d.up()
        return latencies(d, stamp)
    finally:
        d.down()


def exec_ready(base: Path) -> dict:
    d = Devctl(base, "exec")
    services = []
    for i in range(5):
        (d.root / f"s{i}").mkdir(exist_ok=True)
        services.append({"name": f"s{i}", "cwd": f"s{i}", "env": {"PROBE_TOKEN": "t"},
                         "command": [PY, str(SERVICES / "ready_after.py"), "1"],
                         "health": {"type": "exec", "command": [PY, str(SERVICES / "health_probe.py")]}})
    d.plan(services)
    try:
        d.up()
        return latencies(d, lambda name: os.stat(d.root / name / "ready").st_mtime)
    finally:
        d.down()


def supervisor_cpu(base: Path, delay: float) -> float:
    d = Devctl(base, f"cpu{delay}")
    d.plan(tcp_services(free_ports(50), "--delay", str(delay)))
    try:
        d.up()
        proc = psutil.Process(d.status()["supervisor"]["pid"])
        return sum(proc.cpu_times()[:2])
    finally:
        d.down()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        out = {f"tcp-ready-{d}": tcp_ready(base, d) for d in (0.3, 3.0)}
        out["exec-ready"] = exec_ready(base)
        out["probe-cpu-50"] = {"cpu_s": round(supervisor_cpu(base, 5.0) - supervisor_cpu(base, 0.2), 2)}
    if "--json" in sys.argv:
        print(json.dumps(out))
        return
    for name, figures in out.items():
        print(f"{name:14} " + "  ".join(f"{k} {v}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
