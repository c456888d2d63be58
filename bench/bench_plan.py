#!/usr/bin/env python3
"""`devctl plan` with one plugin, next to running that plugin by hand, in one run.

    python bench/bench_plan.py [-r RUNS] [--services N] [--baseline DIR] [--json]

In a temporary repo whose `.devctl.yaml` names one Python plugin (testdata/plugins/sup_plan.py)
that declares only `validate.run` and `launch.plan` and plans N trivial TCP services (default
10, as in issue 17's `up` bench). Per round, interleaved so every command sees the same load:

- **by hand**: start the plugin with the same interpreter, pipe in the very request devctl sends
  (`launch.plan`; config.mutate is not declared, so devctl sends nothing else), read the answer,
  close stdin so it exits. This is the floor: one interpreter start plus the plugin's own work.
- **devctl plan --json** and **devctl plan** (the readable table), output piped, through the
  installed `devctl` script next to this interpreter (what users run), else `python -m devctl`.
- **python -c pass**: the bare interpreter, for reference.
- with `--baseline DIR` (another checkout of devctl, e.g. `git worktree add /tmp/base main`):
  `python -m devctl plan --json` from DIR and from this checkout (PYTHONPATH chooses the
  code, the same interpreter and packages run both), for a before/after in one run. DIR runs in
  a repo of its own, the same as this one: two checkouts whose config caches differ (a
  different cache version) would otherwise overwrite each other's `.devctl/cache/config.json`
  in every round and both parse `.devctl.yaml` (PyYAML) every time.

Medians of wall time and of CPU time (user + sys, child processes included: the plugin's CPU is
in both, so the difference is devctl's own). Goal (issue 17): `devctl plan` at most 120 ms over
the plugin by hand. Children run without PYTHONDONTWRITEBYTECODE (a development-shell setting
that makes every run recompile devctl: ~100 ms no installed devctl pays). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import devctl_argv

ROOT = Path(__file__).resolve().parent.parent
PLUGIN = ROOT / "testdata" / "plugins" / "sup_plan.py"
GOAL_OVERHEAD_MS = 120.0


def env() -> dict[str, str]:
    values = dict(os.environ, NO_COLOR="1", COLUMNS="120")
    values.pop("PYTHONDONTWRITEBYTECODE", None)
    return values


def make_repo(root: Path, services: int) -> Path:
    plan = {"services": [{"name": f"svc{i}", "command": ["{python}", "-S", "@tcp_listen.py", str(20000 + i)],
                          "health": {"type": "tcp", "address": f"127.0.0.1:{20000 + i}"}}
                         for i in range(services)]}
    plan_file = root / "plan.json"
    plan_file.write_text(json.dumps(plan))
    (root / ".devctl.yaml").write_text(
        "plugins:\n  - id: plan\n"
        f"    path: {json.dumps(sys.executable)}\n"
        f"    args: [{json.dumps(str(PLUGIN))}, {json.dumps(str(plan_file))}]\n")
    return plan_file


def by_hand_input(repo: Path) -> bytes:
    """The request devctl sends (same shape and size): launch.plan with an empty config."""
    request = {"type": "request", "request_id": "plan-1", "op": "launch.plan",
               "ctx": {"repo_root": str(repo), "cwd": str(repo), "deadline_ms": 30000, "dry_run": False},
               "input": {"config": {}}}
    return (json.dumps(request) + "\n").encode()


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(argv: list[str], cwd: Path, stdin: bytes = b"",
          code: str | None = None) -> tuple[float, float, bytes]:
    """(wall s, CPU s incl. children, stdout) of one run; exits the bench if it failed.
    `code`: a devctl checkout to run instead of the installed one (PYTHONPATH)."""
    values = env() if code is None else dict(env(), PYTHONPATH=code)
    cpu = _cpu()
    start = time.perf_counter()
    res = subprocess.run(argv, cwd=cwd, env=values, input=stdin, capture_output=True)
    took = time.perf_counter() - start
    used = _cpu() - cpu
    if res.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({res.returncode}): {res.stderr.decode()[-2000:]}")
    return took, used, res.stdout


#: argv, stdin, the checkout to run (None: the installed one), the repo to run it in.
Command = tuple[list[str], bytes, "str | None", Path]


def commands(repo: Path, baseline: str | None, base_repo: Path) -> dict[str, Command]:
    devctl = devctl_argv()
    table: dict[str, Command] = {
        "plugin by hand": ([sys.executable, str(PLUGIN), str(repo / "plan.json")], by_hand_input(repo), None,
                           repo),
        "devctl plan --json": ([*devctl, "plan", "--json"], b"", None, repo),
        "devctl plan": ([*devctl, "plan"], b"", None, repo),
        "python -c pass": ([sys.executable, "-c", "pass"], b"", None, repo),
    }
    if baseline is not None:
        module = [sys.executable, "-m", "devctl", "plan", "--json"]
        table["baseline plan --json"] = (module, b"", baseline, base_repo)
        table["this plan --json (-m)"] = (module, b"", str(ROOT), repo)
    return table


def measure(repo: Path, runs: int, services: int, baseline: str | None,
            base_repo: Path) -> dict[str, dict[str, float]]:
    table = commands(repo, baseline, base_repo)
    for name, (argv, stdin, code, cwd) in table.items():  # warm the OS file cache and the .pyc files
        _, _, out = timed(argv, cwd, stdin, code)
        if "--json" in name and len(json.loads(out)["services"]) != services:
            raise SystemExit(f"{name} did not plan every service")
    wall: dict[str, list[float]] = {name: [] for name in table}
    cpu: dict[str, list[float]] = {name: [] for name in table}
    for _ in range(runs):
        for name, (argv, stdin, code, cwd) in table.items():
            took, used, _ = timed(argv, cwd, stdin, code)
            wall[name].append(took * 1000)
            cpu[name].append(used * 1000)
    return {name: {"wall_ms": statistics.median(wall[name]), "cpu_ms": statistics.median(cpu[name]),
                   "best_wall_ms": min(wall[name])} for name in table}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-r", "--runs", type=int, default=15)
    parser.add_argument("--services", type=int, default=10)
    parser.add_argument("--baseline", metavar="DIR", help="another devctl checkout to compare with")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="devctl-bench-plan-") as tmp:
        repo = Path(tmp).resolve() / "repo"
        base_repo = Path(tmp).resolve() / "baseline"
        for where in (repo, base_repo):
            where.mkdir()
            make_repo(where, args.services)
        figures = measure(repo, args.runs, args.services, args.baseline, base_repo)
    load = (load_before + os.getloadavg()[0]) / 2
    hand = figures["plugin by hand"]
    overhead = {name: {"wall": f["wall_ms"] - hand["wall_ms"], "cpu": f["cpu_ms"] - hand["cpu_ms"]}
                for name, f in figures.items() if name.startswith("devctl")}
    result = {"runs": args.runs, "services": args.services, "load": load,
              "goal_overhead_ms": GOAL_OVERHEAD_MS, "figures": figures, "overhead_ms": overhead}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"load average {load:.1f}; {args.services} services; median of {args.runs} interleaved runs")
    print(f"{'command':<22} {'wall ms':>9} {'over hand':>10} {'CPU ms':>9} {'over hand':>10} "
          f"{'best wall':>10}")
    for name, f in figures.items():
        over_wall = "" if name == "plugin by hand" else f"{f['wall_ms'] - hand['wall_ms']:+.1f}"
        over_cpu = "" if name == "plugin by hand" else f"{f['cpu_ms'] - hand['cpu_ms']:+.1f}"
        print(f"{name:<22} {f['wall_ms']:>9.1f} {over_wall:>10} {f['cpu_ms']:>9.1f} {over_cpu:>10} "
              f"{f['best_wall_ms']:>10.1f}")
    print(f"goal: devctl plan <= {GOAL_OVERHEAD_MS:.0f} ms over the plugin by hand")


if __name__ == "__main__":
    main()
