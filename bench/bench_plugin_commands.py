#!/usr/bin/env python3
"""Plugin commands and streams, end to end through the real CLI.

    python bench/bench_plugin_commands.py [-r RUNS] [--events N] [--baseline DIR] [--json]

1. `devctl echo-args` with a warm command cache (median wall time of RUNS runs), next to
   running the same plugin by hand: start it, pipe in one `command.run` request, read the
   answer. The difference is devctl's overhead: interpreter + CLI start-up, reading the config,
   the config.mutate phase (answered by the provider itself) and the provider's start. Goal
   (issue 17): at most 100 ms. With `--baseline DIR` (another checkout, e.g. `git worktree add
   /tmp/base main`), `python -m devctl echo-args` from DIR and from this checkout run in the same
   rounds (PYTHONPATH picks the code; same interpreter and packages): before and after in one run.
   Each checkout runs in a repo of its own, the same as this one: two checkouts whose config
   caches differ would otherwise overwrite each other's `.devctl/cache/` in every round, and
   both parse `.devctl.yaml` (PyYAML) every time.
   In the same rounds, `bench/plugin_floor.py` does the same requests with blocking pipes and
   nothing but json and subprocess: the floor any Python host pays (its interpreter, the round
   trips), so devctl − floor is what devctl's own host adds.
2. `devctl stream ... --json` over a stream of N events (testdata/plugins/cmd_stream_many.py),
   stdout read through a pipe: events per second, both for the whole command (start-up
   included) and for the stream alone (minus the same command with a 0-event stream).
   Goal: at least 20,000 events per second. `--events 0` skips it.

Runs in a temporary repo; nothing is asserted.
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

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "testdata" / "plugins"
GOAL_OVERHEAD_MS = 100.0
GOAL_EVENTS_PER_S = 20_000.0


def env() -> dict[str, str]:
    """As a user runs it: bytecode caching on (a PYTHONDONTWRITEBYTECODE in the environment
    would make every run recompile devctl's sources, ~100 ms that no installed devctl pays)."""
    values = dict(os.environ, NO_COLOR="1", PYTHONUNBUFFERED="1")
    values.pop("PYTHONDONTWRITEBYTECODE", None)
    return values


def make_repo(root: Path) -> None:
    entries = "".join(
        f"  - id: {pid}\n    path: {sys.executable}\n    args: [{json.dumps(str(FIXTURES / script))}]\n"
        for pid, script in (("echo", "cmd_echo.py"), ("many", "cmd_stream_many.py"))
    )
    (root / ".devctl.yaml").write_text("plugins:\n" + entries)


#: CPU seconds (user + sys) of the last `timed` run, its children included: on a shared, loaded
#: box this moves far less than wall time, so it is reported next to it.
LAST_CPU = [0.0]


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(argv: list[str], cwd: Path, stdin: bytes = b"", code: str | None = None) -> tuple[float, bytes]:
    """Run `argv` once: (wall seconds, stdout). `code`: a devctl checkout to run (PYTHONPATH)."""
    cpu = _cpu()
    start = time.perf_counter()
    res = subprocess.run(argv, cwd=cwd, env=dict(env(), PYTHONPATH=code) if code else env(), input=stdin,
                         capture_output=True)
    took = time.perf_counter() - start
    LAST_CPU[0] = _cpu() - cpu
    if res.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({res.returncode}): {res.stderr.decode()[-2000:]}")
    return took, res.stdout


def by_hand_input() -> bytes:
    request = {"type": "request", "request_id": "bench-1", "op": "command.run",
               "ctx": {"repo_root": "", "cwd": "", "deadline_ms": 30000, "dry_run": False},
               "input": {"name": "echo-args", "argv": [], "config": {}}}
    return (json.dumps(request) + "\n").encode()


def bench_command(repo: Path, runs: int, baseline: str | None = None,
                  base_repo: Path | None = None) -> dict[str, float]:
    devctl = [sys.executable, "-m", "devctl"]
    timed([*devctl, "plugins", "list"], repo)  # warm the command cache
    timed([*devctl, "echo-args"], repo)  # and the OS file cache
    checkouts = {} if baseline is None else {"before": baseline, "after": str(ROOT)}
    #: Where each checkout runs: the baseline in its own repo (its caches stay its own).
    where = {"before": base_repo or repo, "after": repo}
    for name, code in checkouts.items():
        timed([*devctl, "plugins", "list"], where[name], code=code)  # that checkout's command cache
        timed([*devctl, "echo-args"], where[name], code=code)  # compiles that checkout's .pyc files
    through, through_cpu, hand, hand_cpu, floor, floor_cpu = [], [], [], [], [], []
    pair: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in checkouts}
    plugin = [sys.executable, str(FIXTURES / "cmd_echo.py")]
    bare_host = [sys.executable, str(Path(__file__).resolve().parent / "plugin_floor.py"), *plugin]
    for _ in range(runs):  # interleaved, so all see the same load
        through.append(timed([*devctl, "echo-args"], repo)[0])
        through_cpu.append(LAST_CPU[0])
        hand.append(timed(plugin, repo, by_hand_input())[0])
        hand_cpu.append(LAST_CPU[0])
        floor.append(timed(bare_host, repo)[0])
        floor_cpu.append(LAST_CPU[0])
        for name, code in checkouts.items():
            pair[name][0].append(timed([*devctl, "echo-args"], where[name], code=code)[0])
            pair[name][1].append(LAST_CPU[0])
    cli_only = [timed([*devctl, "--version"], repo)[0] for _ in range(runs)]
    bare = [timed([sys.executable, "-c", "pass"], repo)[0] for _ in range(runs)]
    devctl_ms = statistics.median(through) * 1000
    hand_ms = statistics.median(hand) * 1000
    cpu_ms = statistics.median(through_cpu) * 1000
    hand_cpu_ms = statistics.median(hand_cpu) * 1000
    return {"devctl_ms": devctl_ms, "by_hand_ms": hand_ms, "overhead_ms": devctl_ms - hand_ms,
            "devctl_cpu_ms": cpu_ms, "by_hand_cpu_ms": hand_cpu_ms, "overhead_cpu_ms": cpu_ms - hand_cpu_ms,
            "version_ms": statistics.median(cli_only) * 1000, "python_ms": statistics.median(bare) * 1000,
            "floor_ms": statistics.median(floor) * 1000, "floor_cpu_ms": statistics.median(floor_cpu) * 1000,
            **{f"{name}_{what}": statistics.median(values) * 1000 - base
               for name, (wall, cpu) in pair.items()
               for what, values, base in (("overhead_ms", wall, hand_ms),
                                          ("overhead_cpu_ms", cpu, hand_cpu_ms))}}


def bench_stream(repo: Path, runs: int, events: int) -> dict[str, float]:
    base = [sys.executable, "-m", "devctl", "stream", "--plugin", "many", "--op", "numbers.count", "--json"]
    empty = [timed([*base, "--input", '{"count": 0}'], repo)[0] for _ in range(runs)]
    full: list[float] = []
    for _ in range(runs):
        took, out = timed([*base, "--input", json.dumps({"count": events})], repo)
        lines = out.count(b"\n")
        if lines != events + 1:
            raise SystemExit(f"expected {events + 1} lines, got {lines}")
        full.append(took)
    wall = statistics.median(full)
    stream_only = max(wall - statistics.median(empty), 1e-9)
    return {"events": events, "wall_s": wall, "events_per_s_wall": events / wall,
            "events_per_s_stream": events / stream_only}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-r", "--runs", type=int, default=15)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--baseline", metavar="DIR", help="another devctl checkout to compare with")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="devctl-bench-") as tmp:
        repo = Path(tmp) / "repo"
        base_repo = Path(tmp) / "baseline"
        for each in (repo, base_repo):
            each.mkdir()
            make_repo(each)
        command = bench_command(repo, args.runs, args.baseline, base_repo)
        stream = bench_stream(repo, max(3, args.runs // 5), args.events) if args.events > 0 else None
    result = {"command": command, "stream": stream, "load": os.getloadavg()[0],
              "goals": {"overhead_ms": GOAL_OVERHEAD_MS, "events_per_s": GOAL_EVENTS_PER_S}}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"load average {result['load']:.1f}; median of {args.runs} runs")
    print(f"devctl echo-args (warm cache)  {command['devctl_ms']:7.1f} ms")
    print(f"plugin by hand                 {command['by_hand_ms']:7.1f} ms")
    goal = f"(goal <= {GOAL_OVERHEAD_MS:.0f} ms)"
    print(f"overhead                       {command['overhead_ms']:7.1f} ms   {goal}")
    print(f"CPU time (children included)   {command['devctl_cpu_ms']:7.1f} ms devctl, "
          f"{command['by_hand_cpu_ms']:.1f} ms by hand: {command['overhead_cpu_ms']:.1f} ms more")
    print(f"  (python -c pass              {command['python_ms']:7.1f} ms)")
    print(f"  (bare blocking-pipes host    {command['floor_ms']:7.1f} ms, "
          f"CPU {command['floor_cpu_ms']:.1f} ms: bench/plugin_floor.py, any Python host's floor)")
    print(f"  (devctl --version, no typer  {command['version_ms']:7.1f} ms)")
    for name in ("before", "after"):
        if f"{name}_overhead_ms" in command:
            wall, cpu = command[f"{name}_overhead_ms"], command[f"{name}_overhead_cpu_ms"]
            print(f"-m devctl echo-args, {name:6s}: {wall:7.1f} ms wall, {cpu:7.1f} ms CPU over by hand")
    if stream is None:
        return
    print(f"stream --json, {stream['events']:,} events: {stream['wall_s']:.2f} s wall")
    print(f"  events/s incl. start-up      {stream['events_per_s_wall']:9,.0f}")
    print(f"  events/s, stream alone       {stream['events_per_s_stream']:9,.0f}   "
          f"(goal >= {GOAL_EVENTS_PER_S:,.0f})")


if __name__ == "__main__":
    main()
