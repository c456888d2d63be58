#!/usr/bin/env python3
"""Start-up cost of the devctl CLI, next to a bare interpreter measured in the same run.

    python bench/bench_startup.py [-n RUNS] [--down-runs N] [--services N] [--baseline DIR] [--json]

Every command of the CLI-start-up goals (issue 17, docs/performance.md "Start-up") runs RUNS
times as a fresh subprocess, round-robin, so a noisy moment hits every command alike; each is
reported as its median and best wall time and its median CPU time (user + sys, children
included: far steadier than wall time on a shared box), each also as a delta against
`python -c pass` run by the same interpreter in the same loop:

- `--version`, `status --json` (goals met before: must not get worse);
- `--help` as users see it from the second time on (replayed from the help cache), and as
  rendered (`DEVCTL_NO_HELP_CACHE=1`, what the first run in a terminal costs);
- `status`, the readable table: nothing recorded; 10 services recorded by a supervisor that is
  gone (states judged from their pids); 10 services under a live supervisor; the last once more
  as a terminal gets it (`FORCE_COLOR=1`, `COLUMNS=60`: colour codes, and the table folded to
  the width), which takes the same renderer as the piped table;
- `down` with nothing running (the CLI's own share of `down`);
- a plugin command with a warm command cache (`devctl echo-args`, testdata/plugins/cmd_echo.py)
  next to the same plugin run by hand (one `command.run` request piped in);
- then, DOWN_RUNS times, `devctl down` of SERVICES (50) running services after an `up`, once
  every one has started (said "sleeping" in its log).

`--baseline DIR` (another checkout, e.g. `git worktree add /tmp/before main`) adds a
"(before)" twin of every devctl figure, run as `python -m devctl` with PYTHONPATH=DIR in the
same rounds — a before/after under the same load; the devctl figures then also run as
`python -m devctl`, so both sides start the same way.

The help cache lives in a temporary XDG_CACHE_HOME, filled by the warm-up round. Every
environment started is stopped with `devctl down` at the end. Nothing here is asserted.
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
FIXTURES = ROOT / "testdata" / "plugins"
SUP_PLAN = FIXTURES / "sup_plan.py"
BASE = "python -c pass"
#: (figure, goal in ms over the baseline, or None: only "no worse than before").
GOALS = {
    "devctl --version": 60.0,
    "devctl --help": 100.0,
    "devctl status (nothing recorded)": 100.0,
    "devctl status (table, no supervisor)": 100.0,
    "devctl status (table, supervisor)": 100.0,
    "devctl status --json": 100.0,
}
PLUGIN_GOAL_MS = 100.0  # over running the plugin by hand
DOWN_GOAL_MS = 300.0  # down of 50 services, absolute


def bench_env(cache_home: str) -> dict[str, str]:
    """As a user runs it: bytecode caching on (PYTHONDONTWRITEBYTECODE would make every run
    recompile devctl's sources), no colour, a fixed width, a help cache of our own."""
    values = dict(os.environ, NO_COLOR="1", COLUMNS="100", XDG_CACHE_HOME=cache_home)
    values.pop("PYTHONDONTWRITEBYTECODE", None)
    return values


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_once(argv: list[str], cwd: Path, env: dict[str, str], stdin: bytes = b"") -> tuple[float, float]:
    """(wall ms, CPU ms incl. children) of one run."""
    cpu, start = _children_cpu(), time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, input=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=False)
    return (time.perf_counter() - start) * 1000.0, (_children_cpu() - cpu) * 1000.0


def run_ok(argv: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    res = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({res.returncode}):\n{res.stderr[-2000:]}")
    return res


def sup_repo(root: Path, services: int) -> Path:
    """A repo whose one plugin plans `services` sleepers (testdata/services/sleeper.py)."""
    root.mkdir()
    (root / ".devctl.yaml").write_text(
        f"plugins:\n  - id: sup\n    path: {sys.executable}\n"
        f"    args: [{json.dumps(str(SUP_PLAN))}, plan.json]\n")
    plan = [{"name": f"s{i}", "command": ["{python}", "@sleeper.py"]} for i in range(services)]
    (root / "plan.json").write_text(json.dumps({"services": plan}))
    return root


def settled(root: Path, services: int, timeout: float = 60.0) -> None:
    """Wait until every sleeper of `root` has said "sleeping" (its interpreter is up and idle).

    These services have no health check, so `up` returns once they are spawned, while their 50
    interpreters are still starting on two cores; a `down` timed at that moment would time
    their start-up too, not the stop of 50 running services that the goal is about."""
    logs = [root / ".devctl" / "logs" / f"s{i}.stdout.log" for i in range(services)]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(log.exists() and b"sleeping" in log.read_bytes() for log in logs):
            return
        time.sleep(0.05)
    raise RuntimeError(f"the {services} services of {root} did not settle in {timeout:.0f} s")


def stale_repo(root: Path, services: int) -> Path:
    """What a supervisor that died leaves: `services` recorded services whose processes are gone."""
    state_dir = root / ".devctl"
    state_dir.mkdir(parents=True)
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    pid = int(gone.stdout)
    records = [{"name": f"s{i}", "state": "running", "pid": pid, "pgid": pid, "create_time": 1000.0,
                "started_at": 1000.0, "restarts": 0, "health": None, "error": "", "depends_on": [],
                "logs": {"stdout": str(state_dir / "logs" / f"s{i}.stdout.log")},
                "stop_signal": "SIGTERM", "stop_timeout_ms": 300, "descendants": []} for i in range(services)]
    state = {"version": 1, "supervisor": {"pid": pid, "create_time": 1000.0, "run_id": ""},
             "services": records}
    (state_dir / "state.json").write_text(json.dumps(state))
    return root


def by_hand_input() -> bytes:
    """The one request `devctl echo-args` makes of its provider, piped in by hand."""
    request = {"type": "request", "request_id": "bench-1", "op": "command.run",
               "ctx": {"repo_root": "", "cwd": "", "deadline_ms": 30000, "dry_run": False},
               "input": {"name": "echo-args", "argv": [], "config": {}}}
    return (json.dumps(request) + "\n").encode()


def measure(runs: int, down_runs: int, services: int, tmp: Path, baseline: Path | None = None) -> dict:
    env = bench_env(str(tmp / "cache"))
    no_help_cache = {**env, "DEVCTL_NO_HELP_CACHE": "1"}
    devctl = devctl_argv() if baseline is None else [sys.executable, "-m", "devctl"]
    echo = [sys.executable, str(FIXTURES / "cmd_echo.py")]
    empty = tmp / "empty"
    empty.mkdir()
    stale = stale_repo(tmp / "stale", 10)
    live = sup_repo(tmp / "live", 10)
    plugin = tmp / "plugin"
    plugin.mkdir()
    (plugin / ".devctl.yaml").write_text(
        f"plugins:\n  - id: echo\n    path: {sys.executable}\n"
        f"    args: [{json.dumps(str(FIXTURES / 'cmd_echo.py'))}]\n")
    run_ok([*devctl, "plugins", "list"], plugin, env)  # a warm command cache
    started: list[Path] = []
    try:
        run_ok([*devctl, "up"], live, env)
        started.append(live)
        cmds: list[tuple[str, list[str], Path, dict[str, str], bytes]] = [
            (BASE, [sys.executable, "-c", "pass"], empty, env, b""),
            ("devctl --version", [*devctl, "--version"], empty, env, b""),
            ("devctl --help", [*devctl, "--help"], empty, env, b""),
            ("devctl --help (rendered)", [*devctl, "--help"], empty, no_help_cache, b""),
            ("devctl status (nothing recorded)", [*devctl, "status"], empty, env, b""),
            ("devctl status (table, no supervisor)", [*devctl, "status"], stale, env, b""),
            ("devctl status (table, supervisor)", [*devctl, "status"], live, env, b""),
            ("devctl status (as on a terminal)", [*devctl, "status"], live,
             {**env, "FORCE_COLOR": "1", "NO_COLOR": "", "COLUMNS": "60"}, b""),
            ("devctl status --json", [*devctl, "status", "--json"], empty, env, b""),
            ("devctl down (nothing running)", [*devctl, "down"], empty, env, b""),
            ("cmd_echo.py by hand", echo, plugin, env, by_hand_input()),
            ("devctl echo-args", [*devctl, "echo-args"], plugin, env, b""),
        ]
        if baseline is not None:
            cmds += [(f"{name} (before)", argv, cwd, {**cmd_env, "PYTHONPATH": str(baseline)}, stdin)
                     for name, argv, cwd, cmd_env, stdin in cmds if name.startswith("devctl")]
        wall: dict[str, list[float]] = {c[0]: [] for c in cmds}
        cpu: dict[str, list[float]] = {c[0]: [] for c in cmds}
        for round_ in range(runs + 1):  # round 0 warms the OS caches, .pyc files and the help cache
            for name, argv, cwd, cmd_env, stdin in cmds:
                w, c = time_once(argv, cwd, cmd_env, stdin)
                if round_:
                    wall[name].append(w)
                    cpu[name].append(c)
        downs: list[float] = []
        big = sup_repo(tmp / f"down{services}", services)
        for _ in range(down_runs):
            run_ok([*devctl, "up"], big, env)
            started.append(big)
            settled(big, services)
            downs.append(time_once([*devctl, "down"], big, env)[0])
            started.remove(big)
    finally:
        for repo in started:
            subprocess.run([*devctl, "down", "--timeout", "2"], cwd=repo, env=env, capture_output=True,
                           check=False)
    return {"runs": runs, "wall": wall, "cpu": cpu, "down": downs, "services": services}


def summarize(raw: dict) -> dict:
    wall, cpu = raw["wall"], raw["cpu"]
    med = {k: statistics.median(v) for k, v in wall.items()}
    best = {k: min(v) for k, v in wall.items()}
    cpu_med = {k: statistics.median(v) for k, v in cpu.items()}
    hand, through = "cmd_echo.py by hand", "devctl echo-args"
    return {
        "median_ms": med, "best_ms": best, "cpu_median_ms": cpu_med,
        "delta_median_ms": {k: med[k] - med[BASE] for k in med},
        "delta_cpu_ms": {k: cpu_med[k] - cpu_med[BASE] for k in cpu_med},
        "plugin_overhead_ms": med[through] - med[hand],
        "plugin_overhead_cpu_ms": cpu_med[through] - cpu_med[hand],
        "down_ms": statistics.median(raw["down"]) if raw["down"] else None,
        "down_all_ms": raw["down"],
    }


def report(s: dict, raw: dict, load: tuple[float, float]) -> None:
    med, best, cpu, d_med, d_cpu = (s["median_ms"], s["best_ms"], s["cpu_median_ms"], s["delta_median_ms"],
                                    s["delta_cpu_ms"])
    print(f"load average {load[0]:.2f} at the start, {load[1]:.2f} at the end; {raw['runs']} runs each")
    print(f"{'command':<38} {'median':>8} {'Δ base':>8} {'best':>8} {'Δ base':>8} {'CPU':>8} {'Δ base':>8}")
    for name in med:
        marks = ("", "", "") if name == BASE else (
            f"{d_med[name]:+.1f}", f"{best[name] - best[BASE]:+.1f}", f"{d_cpu[name]:+.1f}")
        print(f"{name:<38} {med[name]:>8.1f} {marks[0]:>8} {best[name]:>8.1f} {marks[1]:>8} "
              f"{cpu[name]:>8.1f} {marks[2]:>8}")
    print("\ngoals (median wall time over `python -c pass`):")
    for name, goal in GOALS.items():
        verdict = "met" if d_med[name] <= goal else "NOT met"
        was = f"; before {d_med[name + ' (before)']:+.1f}" if name + " (before)" in d_med else ""
        print(f"  {name:<38} {d_med[name]:+7.1f} ms (CPU {d_cpu[name]:+.1f}{was})  ≤ {goal:.0f}: {verdict}")
    over = s["plugin_overhead_ms"]
    name = "devctl echo-args over the plugin by hand"
    was = ""
    if "devctl echo-args (before)" in med:
        was = f"; before {med['devctl echo-args (before)'] - med['cmd_echo.py by hand']:+.1f}"
    print(f"  {name:<38} {over:+7.1f} ms (CPU {s['plugin_overhead_cpu_ms']:+.1f}{was})"
          f"  ≤ {PLUGIN_GOAL_MS:.0f}: {'met' if over <= PLUGIN_GOAL_MS else 'NOT met'}")
    if s["down_ms"] is not None:
        runs = ", ".join(f"{x:.0f}" for x in s["down_all_ms"])
        name = f"devctl down of {raw['services']} services"
        print(f"  {name:<38} {s['down_ms']:7.1f} ms ({runs})"
              f"  ≤ {DOWN_GOAL_MS:.0f}: {'met' if s['down_ms'] <= DOWN_GOAL_MS else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--runs", type=int, default=20, help="runs per command (default 20)")
    parser.add_argument("--down-runs", type=int, default=3,
                        help="`up` + timed `down` rounds (default 3; 0: skip)")
    parser.add_argument("--services", type=int, default=50,
                        help="services for the `down` rounds (default 50)")
    parser.add_argument("--baseline", type=Path, default=None,
                        help="another checkout of devctl to measure alongside (PYTHONPATH=DIR)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    start_load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="devctl-bench-startup-") as tmp:
        raw = measure(args.runs, args.down_runs, args.services, Path(tmp), args.baseline)
    load = (start_load, os.getloadavg()[0])
    summary = summarize(raw)
    if args.json:
        print(json.dumps({"runs": args.runs, "load": load, **summary}, indent=2))
        return
    report(summary, raw, load)


if __name__ == "__main__":
    main()
