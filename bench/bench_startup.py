#!/usr/bin/env python3
"""Start-up cost of the devctl CLI, next to a bare interpreter measured in the same run.

    python bench/bench_startup.py [-n RUNS] [--json]

Each command runs RUNS times as a fresh subprocess (round-robin, so a noisy moment hits every
command alike); the table shows the median and the best run, each with its delta against
`python -c pass`. `status` runs in an empty temporary directory (no supervisor, so it answers
"not running", exit 3).
The issue's goal: `--version` within 60 ms of the baseline. Nothing here is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

GOAL_MS = 60.0


def devctl_argv() -> list[str]:
    """The installed `devctl` script next to this interpreter (what users run), else `-m devctl`."""
    script = os.path.join(os.path.dirname(sys.executable), "devctl")
    return [script] if os.access(script, os.X_OK) else [sys.executable, "-m", "devctl"]


def commands() -> list[tuple[str, list[str]]]:
    devctl = devctl_argv()
    return [
        ("python -c pass", [sys.executable, "-c", "pass"]),
        ("devctl --version", [*devctl, "--version"]),
        ("devctl --help", [*devctl, "--help"]),
        ("devctl status", [*devctl, "status"]),
        ("devctl status --json", [*devctl, "status", "--json"]),
    ]


def time_once(argv: list[str], cwd: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return (time.perf_counter() - start) * 1000.0


def measure(runs: int) -> dict[str, list[float]]:
    env = dict(os.environ, NO_COLOR="1", COLUMNS="100")
    timings: dict[str, list[float]] = {name: [] for name, _ in commands()}
    with tempfile.TemporaryDirectory() as cwd:
        for argv in (a for _, a in commands()):  # warm the OS caches (and .pyc files) once
            time_once(argv, cwd, env)
        for _ in range(runs):
            for name, argv in commands():
                timings[name].append(time_once(argv, cwd, env))
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--runs", type=int, default=20, help="runs per command (default 20)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    timings = measure(args.runs)
    median = {name: statistics.median(v) for name, v in timings.items()}
    best = {name: min(v) for name, v in timings.items()}
    base = "python -c pass"
    if args.json:
        print(json.dumps({"runs": args.runs, "median_ms": median, "best_ms": best}, indent=2))
        return
    # The best run is the least disturbed by other load on the machine; the median is typical.
    header = f"{'command':<22} {'median ms':>10} {'vs base':>9} {'best ms':>9} {'vs base':>9}"
    print(f"{header}   ({args.runs} runs each)")
    for name in timings:
        d_med = "" if name == base else f"{median[name] - median[base]:+.1f}"
        d_best = "" if name == base else f"{best[name] - best[base]:+.1f}"
        print(f"{name:<22} {median[name]:>10.1f} {d_med:>9} {best[name]:>9.1f} {d_best:>9}")
    delta = median["devctl --version"] - median[base]
    verdict = "met" if delta <= GOAL_MS else "NOT met"
    print(f"\ngoal: --version within {GOAL_MS:.0f} ms of the baseline (median): {verdict} ({delta:+.1f} ms)")


if __name__ == "__main__":
    main()
