#!/usr/bin/env python3
"""Sequential request round trips to a minimal Python plugin, through devctl and without it.

    python bench/bench_roundtrip.py [-n REQUESTS] [-r RUNS] [--baseline DIR] [--json]

Three measurements of the same plugin (testdata/plugins/host_min.py), each RUNS times, median:

* plugin loop   — the plugin alone: N requests piped in from a buffer, output to /dev/null. Its
                  own per-request cost (parse, answer, flush), with no waiting for a peer.
* raw pipes     — a plain Python loop writes one request line and blocks on the answer line
                  (subprocess pipes, no event loop, no validation): the floor for a round trip.
* devctl        — `PluginClient.request()`: encode, send, wait on the reactor, route by
                  request_id, validate the response frame, deadline.

"host overhead" = devctl − raw pipes: what devctl adds to each round trip. The issue's goal is
at least 5,000 round trips per second. With `--baseline DIR` (another checkout of devctl, e.g.
one from before a change), DIR's own copy of this script runs right after, on the same plugin,
with DIR's code (PYTHONPATH), and its devctl figure is printed next to this one's. Nothing here
is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
PLUGIN = ROOT / "testdata" / "plugins" / "host_min.py"
GOAL_RPS = 5000.0
WARMUP = 200


def request_line(i: int) -> bytes:
    from devctl.protocol import frames
    from devctl.protocol.ndjson import encode

    return encode(frames.build_request(f"min-{i}", "ping", repo_root=str(ROOT), deadline_ms=30000))


def env() -> dict[str, str]:
    return dict(os.environ, PYTHONUNBUFFERED="1")


def plugin_loop(n: int) -> float:
    """Seconds per request for the plugin alone (input already buffered, output discarded)."""
    data = b"".join(request_line(i) for i in range(n))
    start = time.perf_counter()
    argv = [sys.executable, str(PLUGIN)]
    subprocess.run(argv, input=data, stdout=subprocess.DEVNULL, env=env(), check=True)
    total = time.perf_counter() - start
    empty = time.perf_counter()
    subprocess.run(argv, input=b"", stdout=subprocess.DEVNULL, env=env(), check=True)
    startup = time.perf_counter() - empty
    return max(total - startup, 0.0) / n


def raw_pipes(n: int) -> float:
    """Seconds per round trip with blocking pipes and no devctl."""
    proc = subprocess.Popen([sys.executable, str(PLUGIN)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            env=env(), bufsize=0)
    assert proc.stdin and proc.stdout
    stdout = proc.stdout
    stdout.readline()  # handshake
    lines = [request_line(i) for i in range(WARMUP + n)]
    write, readline = proc.stdin.write, stdout.readline
    for line in lines[:WARMUP]:
        write(line)
        json.loads(readline())
    start = time.perf_counter()
    for line in lines[WARMUP:]:
        write(line)
        json.loads(readline())
    elapsed = time.perf_counter() - start
    proc.stdin.close()
    proc.wait()
    return elapsed / n


def through_devctl(n: int) -> float:
    """Seconds per round trip through PluginClient.request()."""
    from devctl.plugins import start_plugin

    argv = [sys.executable, str(PLUGIN)]
    spec = SimpleNamespace(id="min", path=str(PLUGIN), args=[], env={}, workdir=ROOT, priority=0,
                           executable=sys.executable, argv=lambda: argv)
    client = start_plugin(spec, ROOT)
    try:
        request = client.request
        for _ in range(WARMUP):
            request("ping", {}, timeout=30)
        start = time.perf_counter()
        for _ in range(n):
            request("ping", {}, timeout=30)
        return (time.perf_counter() - start) / n
    finally:
        client.close()


def baseline(directory: str, n: int, runs: int) -> float:
    """Microseconds per round trip through the devctl host of checkout `directory` (its own
    copy of this script, its code first on PYTHONPATH)."""
    script = Path(directory) / "bench" / "bench_roundtrip.py"
    res = subprocess.run([sys.executable, str(script), "-n", str(n), "-r", str(runs), "--json"],
                         env=dict(env(), PYTHONPATH=directory, PYTHONSAFEPATH="1"), capture_output=True,
                         text=True, check=True)
    return float(json.loads(res.stdout)["us_per_request"]["devctl"])


def measure(n: int, runs: int) -> dict[str, float]:
    """Median microseconds per request for each way of driving the plugin (round-robin runs)."""
    samples: dict[str, list[float]] = {"plugin loop": [], "raw pipes": [], "devctl": []}
    for _ in range(runs):
        samples["plugin loop"].append(plugin_loop(n) * 1e6)
        samples["raw pipes"].append(raw_pipes(n) * 1e6)
        samples["devctl"].append(through_devctl(n) * 1e6)
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--requests", type=int, default=5000, help="round trips per run")
    parser.add_argument("-r", "--runs", type=int, default=5, help="runs per measurement (median)")
    parser.add_argument("--baseline", metavar="DIR", help="another devctl checkout to compare with")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    us = measure(args.requests, args.runs)
    if args.baseline:
        us["baseline devctl"] = baseline(args.baseline, args.requests, args.runs)
    overhead = us["devctl"] - us["raw pipes"]
    rps = 1e6 / us["devctl"]
    if args.json:
        print(json.dumps({"us_per_request": us, "host_overhead_us": overhead, "devctl_rps": rps,
                          "goal_rps": GOAL_RPS, "requests": args.requests, "runs": args.runs}))
        return
    print(f"{args.requests} sequential requests x {args.runs} runs (median), plugin: {PLUGIN.name}")
    print(f"{'path':<14}{'us/request':>12}{'requests/s':>13}")
    for name, value in us.items():
        print(f"{name:<14}{value:>12.1f}{1e6 / value if value else float('inf'):>13,.0f}")
    print(f"host overhead per request (devctl - raw pipes): {overhead:.1f} us")
    verdict = "met" if rps >= GOAL_RPS else "MISSED"
    print(f"goal >= {GOAL_RPS:,.0f} round trips/s through devctl: {verdict} ({rps:,.0f}/s)")


if __name__ == "__main__":
    main()
