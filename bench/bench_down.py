#!/usr/bin/env python3
"""`devctl down` of N services, split into its shares, next to a bare "SIGTERM them all" floor.

    python bench/bench_down.py [--rounds N] [--services N] [--before DIR] [--cli] [--json]

Per round, interleaved (a noisy moment hits every variant alike):
  bare       Popen the same N TCP listeners (`testdata/services/tcp_listen.py`, each exits on
             SIGTERM), wait until every port accepts, then SIGTERM every group at once and
             reap them all: the services' own exit, the floor any supervisor pays. Also the
             CPU each service spends between its SIGTERM and its end (its rusage at the reap
             minus its run time before the signal, /proc/PID/schedstat): what makes that floor
             (a Python interpreter tearing itself down), and that CPU over the box's cores,
             the least wall time it can take.
  devctl     in one process, what `devctl up` does after the pipeline (`up.prepare`,
             `daemon.launch`, `up.wait`), then `client.down()` timed from Python (no CLI
             start-up: that is `bench_startup.py`'s figure), split by the supervisor's events:
               to first exit   request sent → first service's `exited` event
               exits           first → last `exited` event (the services going)
               to reply        last `exited` → `shutdown` reply received by the client
               to gone         reply → supervisor's lock released (its own exit)
               after           lock released → `down()` returns (state re-read, straggler look)
             plus the supervisor's CPU time (user + sys) spent between the request and its exit.
  before     the same with another checkout (`--before DIR`, run through PYTHONPATH).
  --cli      instead of the split: `devctl up`, then `devctl down` timed (the installed script)
             (wall, and the CLI process's own CPU), the issue's figure: CLI start-up included.
             Next to it `python -c pass` (the same interpreter and environment) and the sum
             "bare + python -c pass": the floor of any `down` that is a Python command.
  --timeline with --cli: the CLI runs under a small wrapper (an audit hook stamps its first
             `connect`; the shutdown connection's reply and end of file are stamped) and the
             command is split: interpreter start, → request sent, → first / last `exited`,
             → reply, → end of file (supervisor gone), → `down` done, → process reaped.

Medians of `--rounds` rounds. Nothing is asserted; figures go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_supervisor import Devctl, free_ports, listener, tcp_services, wait_open  # noqa: E402
from benchlib import devctl_argv  # noqa: E402

PY = sys.executable

DRIVER = r"""
import json, os, sys, time
from pathlib import Path
from devctl.supervisor import client, daemon, up
from devctl.supervisor.paths import Paths, supervisor_alive

root = Path(sys.argv[1])
paths = Paths(root)
plan = json.loads((root / "plan.json").read_text())["services"]
services = up.prepare(plan, root)
pid = daemon.launch(services, root, [])
failed = up.wait(paths, [s["name"] for s in services], lambda r: None)
assert failed is None, failed

def cpu(pid):
    # seconds on a CPU of its main thread (the event loop), ns resolution
    try:
        with open(f"/proc/{pid}/schedstat", "rb") as fh:
            return int(fh.read().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        return None

stamps = {}
cpu0 = cpu(pid)
from devctl.supervisor import control
real_connect, real_replies = control.connect, control._replies
def connect(*a, **k):
    stamps.setdefault("sent", time.time())
    return real_connect(*a, **k)
def replies(sock):
    for reply in real_replies(sock):
        if "reply" not in stamps:
            stamps["reply"] = time.time()
            stamps["cpu_at_reply"] = cpu(pid)
        yield reply
control.connect, control._replies = connect, replies
real_alive = supervisor_alive
def alive(lock):
    res = real_alive(lock)
    if not res and "reply" in stamps and "gone" not in stamps:
        stamps["gone"] = time.time()
    return res
client.supervisor_alive = alive
t0 = time.time()
client.down(paths)
t1 = time.time()
events = [json.loads(x) for x in paths.events.read_text().splitlines()]
exits = [e["ts"] for e in events if e["event"] == "exited"]
print(json.dumps({"start": t0, "end": t1, **stamps, "first_exit": min(exits), "last_exit": max(exits),
                  "cpu0": cpu0}))
"""


def _ran_s(pid: int) -> float:
    """Seconds `pid` has run on a CPU so far (its main thread; ns resolution)."""
    with open(f"/proc/{pid}/schedstat", "rb") as fh:
        return int(fh.read().split()[0]) / 1e9


#: `--timeline`: runs `devctl -C ROOT down` as the installed script does (`main()`, no runpy),
#: stamping its stages.
TIMELINE = r"""
import os, sys, time
st = {"interp": time.time()}
cpu = {}
def hook(event, args):
    if event == "socket.connect" and "connect" not in st:
        st["connect"] = time.time()
        cpu["connect"] = time.process_time()
sys.addaudithook(hook)
def stamped(control):
    real_replies = control._replies
    def replies(sock):
        for reply in real_replies(sock):
            if "reply" not in st:
                st["reply"] = time.time()
                cpu["reply"] = time.process_time()
            yield reply
        st.setdefault("eof", time.time())
    control._replies = replies
class Patch:
    # stamps the replies once `down` itself imports control.py: importing it here would load
    # pathlib (and more) before the request, which `down` no longer does
    def find_spec(self, name, path=None, target=None):
        if name != "devctl.supervisor.control":
            return None
        for finder in sys.meta_path:
            spec = finder is not self and finder.find_spec(name, path, target)
            if spec:
                run = spec.loader.exec_module
                spec.loader.exec_module = lambda module: (run(module), stamped(module))
                return spec
        return None
sys.meta_path.insert(0, Patch())
import atexit
def report():
    st["done"] = time.time()
    cpu["done"] = time.process_time()
    st["cpu"] = cpu
    import json
    os.write(2, ("STAMPS " + json.dumps(st) + "\n").encode())
atexit.register(report)
sys.argv = ["devctl", "-C", sys.argv[1], "down"]
from devctl.cli.main import main
main()
"""


def bare(n: int) -> dict[str, float]:
    """SIGTERM to every group at once, then reap all: seconds until the last one is reaped,
    and the CPU the services spent on their way out (see the module docstring)."""
    ports = free_ports(n)
    procs = [subprocess.Popen(listener(p), stdout=subprocess.DEVNULL, start_new_session=True) for p in ports]
    try:
        wait_open(ports)
        time.sleep(0.2)  # let the last ones finish starting, as after `up`
        ran = {p.pid: _ran_s(p.pid) for p in procs}
        t0 = time.perf_counter()
        for p in procs:
            os.killpg(p.pid, signal.SIGTERM)
        exit_cpu: list[float] = []
        first = None
        for _ in procs:
            pid, _status, usage = os.wait4(-1, 0)
            first = first or time.perf_counter() - t0
            exit_cpu.append(usage.ru_utime + usage.ru_stime - ran[pid])
        took = time.perf_counter() - t0
        for p in procs:
            p.returncode = 0  # reaped above by wait4 (for its rusage): Popen must not wait again
    finally:
        for p in procs:
            if p.returncode is None:  # something failed before it was reaped
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(p.pid, signal.SIGKILL)
                p.wait()
    cores = os.cpu_count() or 1
    return {"total": took, "first reaped": first or took,
            "exit CPU per service": statistics.median(exit_cpu), "exit CPU, all services": sum(exit_cpu),
            f"that CPU / {cores} cores": sum(exit_cpu) / cores}


def python_pass(env: dict[str, str]) -> float:
    """`python -c pass` with the environment the devctl commands get: the interpreter's share."""
    t0 = time.perf_counter()
    subprocess.run([PY, "-c", "pass"], env=env, check=True)
    return time.perf_counter() - t0


def devctl(base: Path, n: int, tag: str, src: Path | None) -> dict[str, float]:
    d = Devctl(base, f"down{n}{tag}", src)
    d.plan(tcp_services(free_ports(n)))
    env = d.env()
    res = subprocess.run([PY, "-c", DRIVER, str(d.root)], capture_output=True, text=True, env=env,
                         check=False, timeout=120)
    if res.returncode != 0:
        subprocess.run([*devctl_argv(), "-C", str(d.root), "down"], env=env, capture_output=True, check=False)
        raise RuntimeError(res.stderr[-3000:])
    s = json.loads(res.stdout.strip().splitlines()[-1])
    out = {
        "total": s["end"] - s["start"],
        "to first exit": s["first_exit"] - s["sent"],
        "exits": s["last_exit"] - s["first_exit"],
        "to reply": s["reply"] - s["last_exit"],
        "to gone": s.get("gone", s["reply"]) - s["reply"],
        "after": s["end"] - s.get("gone", s["reply"]),
    }
    if s.get("cpu0") is not None and s.get("cpu_at_reply") is not None:
        out["supervisor CPU to reply"] = s["cpu_at_reply"] - s["cpu0"]
    return out


def cli(base: Path, n: int, tag: str, src: Path | None, timeline: bool = False) -> dict[str, float]:
    """`devctl down` through the CLI after a CLI `up`: wall and the CLI's own CPU (user + sys)."""
    d = Devctl(base, f"cli{n}{tag}", src)
    d.plan(tcp_services(free_ports(n)))
    d.up()
    time.sleep(0.2)
    env = d.env()
    command = [PY, "-c", TIMELINE, str(d.root)] if timeline else [*devctl_argv(), "-C", str(d.root), "down"]
    started = time.time()
    t0 = time.perf_counter()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _pid, status, usage = os.wait4(proc.pid, 0)
    took = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stderr.close()
    if proc.returncode != 0:
        raise RuntimeError(err.decode(errors="replace")[-3000:])
    out = {"total": took, "CLI CPU": usage.ru_utime + usage.ru_stime, "python -c pass": python_pass(env)}
    if timeline:
        ended = started + took
        st = json.loads(next(line for line in err.decode().splitlines() if line.startswith("STAMPS "))[7:])
        events = (d.root / ".devctl" / "events.ndjson").read_text().splitlines()
        exits = [e["ts"] for e in map(json.loads, events) if e["event"] == "exited"]
        out.update({
            "interpreter start": st["interp"] - started, "→ request sent": st["connect"] - st["interp"],
            "→ first exited": min(exits) - st["connect"], "first → last exited": max(exits) - min(exits),
            "→ reply": st["reply"] - max(exits), "→ end of file": st["eof"] - st["reply"],
            "→ down done": st["done"] - st["eof"], "→ process reaped": ended - st["done"],
            # the CLI's own CPU (user + sys) up to its request, while the services exit, after
            "CLI CPU → request sent": st["cpu"]["connect"],
            "CLI CPU request → reply": st["cpu"]["reply"] - st["cpu"]["connect"],
            "CLI CPU reply → done": st["cpu"]["done"] - st["cpu"]["reply"],
        })
    return out


def retried(use_cli: bool, base: Path, n: int, tag: str, src: Path | None,
            timeline: bool = False) -> dict[str, float]:
    """One round; again (up to 3 times) when another program took a port between `free_ports`
    and the services' start (a shared box), which `up` refuses before starting anything."""
    for attempt in range(3):
        try:
            if use_cli:
                return cli(base, n, f"{tag}.{attempt}", src, timeline)
            return devctl(base, n, f"{tag}.{attempt}", src)
        except RuntimeError as exc:
            if "already in use" not in str(exc) or attempt == 2:
                raise
    raise AssertionError("unreachable")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--services", type=int, default=50)
    ap.add_argument("--before", type=Path, default=None, help="another devctl checkout, run interleaved")
    ap.add_argument("--cli", action="store_true", help="time `devctl down` through the CLI instead")
    ap.add_argument("--timeline", action="store_true", help="with --cli: split the command by time stamps")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rows: dict[str, list[dict[str, float]]] = {}
    load0 = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-down-") as tmp:
        for i in range(args.rounds):
            rows.setdefault("bare", []).append(bare(args.services))
            rows.setdefault("devctl", []).append(retried(args.cli, Path(tmp), args.services, f"-{i}", None,
                                                         args.timeline))
            if args.before is not None:
                rows.setdefault("before", []).append(retried(args.cli, Path(tmp), args.services, f"-b{i}",
                                                             args.before.resolve(), args.timeline))
    load1 = os.getloadavg()
    if args.cli:  # the floor of a `down` that is a Python command, per round
        for i, row in enumerate(rows["bare"]):
            row["+ python -c pass"] = row["total"] + rows["devctl"][i]["python -c pass"]
    med = {k: {f: statistics.median(r[f] for r in v if f in r) for f in v[0]} for k, v in rows.items()}
    if args.json:
        print(json.dumps({"load": [load0, load1], "medians": med, "raw": rows}, indent=2))
        return 0
    print(f"{'devctl down (CLI)' if args.cli else 'down'} of {args.services} services, medians of "
          f"{args.rounds} rounds; load average "
          f"{load0[0]:.1f} at the start, {load1[0]:.1f} at the end")
    for name, fields in med.items():
        print(f"  {name}")
        for field, value in fields.items():
            print(f"    {field:<26} {value * 1000:8.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
