#!/usr/bin/env python3
"""The supervisor's speed and footprint, side by side with honcho and supervisord in one run.

    python bench/bench_supervisor.py [--log-mb MB] [--runs N] [--no-others] [--json]
    python bench/bench_supervisor.py --up-only [--rounds N] [--no-others] [--json]
    python bench/bench_supervisor.py --breakdown [--rounds N] [--json]
    python bench/bench_supervisor.py --supervisor [--rounds N] [--sizes 10 50] [--before DIR]
    python bench/bench_supervisor.py --paired --before DIR [--rounds N]

Measures (issue 3, "Speed and footprint"):
  up-N       `devctl up` with N trivial TCP services until every one is ready, minus the
             services' own start time (a bare launcher starting the same N programs and
             polling their ports, measured in the same run). honcho and supervisord: from
             launch until every port accepts (they have no "wait until ready").
  readiness  the supervisor's `ready` event minus the moment the service's listen() returned
             (the service prints its own timestamp), median over 10 services.
  down-50    `devctl down` of 50 services that exit on SIGTERM, until all are gone.
  status     `devctl status --json` with 10 services, median of N runs; `supervisorctl status`.
  log        a service writing MB of lines: its own write time under devctl vs `cmd > file`
             (and through honcho's / supervisord's pipes).
  rss/cpu    supervisor RSS with 1 and 100 services; CPU used over 5 s idle with 10 services.
             The fork-vs-exec launch of the supervisor is compared on up-10 as well.

--up-only: the issue's side-by-side table alone (about a minute): `up` wall of devctl (CLI, so
             pipeline included), honcho and supervisord at 10 and 50 services, and the bare
             launcher, interleaved per round so a noisy moment hits every tool; medians of
             `--rounds` rounds, with the devctl / honcho ratio. devctl's `up` runs in a new repo
             each time (it parses `.devctl.yaml`: the first `up` after an edit); a second
             figure is `up` in a repo devctl ran in before (the config's parse cached).
--breakdown: `devctl up` split into its shares (CLI start-up, pipeline, supervisor start,
             spawning, readiness noticed), from timestamps taken around the CLI's stages and
             the supervisor's events, plus the CPU time of the CLI and of the supervisor.
--paired:  `up` of 10 in a new repo, this devctl and the one in --before alternating, N pairs:
             the median and mean of the paired differences (a shared box drifts less within a
             pair than across a run) and each side's CPU: the CLI with its plugin, and the
             supervisor. Resolves differences of ~5 ms in 40-60 pairs where medians of 13
             rounds move by 20-40 ms between runs.
--supervisor: the supervisor's own share without the CLI and the pipeline, in-process as a
             CLI would do it after its pipeline (anyio run once, the CLI's modules loaded,
             psutil not): `up.prepare` + `daemon.launch` (fork until listening) + `up.wait`
             (until every service is ready), the supervisor's CPU time at that moment, and
             readiness after the port opened; rounds interleaved with `--before`, medians.

honcho and supervisord are installed into a throwaway venv under a temp dir with pip (by
package name) when not importable; `--no-others` skips them. Nothing is asserted; the
figures go to docs/performance.md ("Supervisor"). Default run: about 2-3 minutes.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
from benchlib import devctl_argv

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ROOT / "testdata" / "services"
PLUGIN = ROOT / "testdata" / "plugins" / "sup_plan.py"
PY = sys.executable


def free_ports(n: int) -> list[int]:
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def listener(port: int, *extra: str) -> list[str]:
    return [PY, "-S", str(SERVICES / "tcp_listen.py"), str(port), *extra]


def all_open(ports: list[int]) -> bool:
    for port in ports:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.05):
                pass
        except OSError:
            return False
    return True


def wait_open(ports: list[int], timeout: float = 60.0) -> float:
    """Seconds (perf_counter) at which every port accepted; polls every 5 ms."""
    deadline = time.perf_counter() + timeout
    pending = list(ports)
    while pending:
        if time.perf_counter() > deadline:
            raise RuntimeError(f"ports never opened: {pending[:5]}")
        pending = [p for p in pending if not all_open([p])]
        if pending:
            time.sleep(0.005)
    return time.perf_counter()


def kill_tree(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


# ---- devctl -------------------------------------------------------------------------------


class Devctl:
    #: `--before DIR`: another checkout of devctl (e.g. `git archive main`) run through PYTHONPATH,
    #: for a before/after comparison in one run. None: the installed devctl.
    src: Path | None = None

    def __init__(self, base: Path, name: str, src: Path | None = None):
        self.src = src
        self.root = base / name
        self.root.mkdir(exist_ok=True)
        (self.root / ".devctl.yaml").write_text(
            f"plugins:\n  - id: bench\n    path: {PY}\n    args: [{json.dumps(str(PLUGIN))}, plan.json]\n"
        )

    def plan(self, services: list[dict]) -> None:
        (self.root / "plan.json").write_text(json.dumps({"services": services}))

    def run(self, *args: str, env: dict | None = None) -> tuple[float, subprocess.CompletedProcess]:
        t0 = time.perf_counter()
        res = subprocess.run([*devctl_argv(), "-C", str(self.root), *args], capture_output=True,
                             text=True, env={**self.env(), **(env or {})}, check=False)
        return time.perf_counter() - t0, res

    def env(self) -> dict[str, str]:
        # PYTHONSAFEPATH: `python -c`/`-m` put the working directory first on sys.path, ahead of
        # PYTHONPATH, so a bench started from a checkout ran that checkout's devctl for
        # `--before DIR` too (every devctl this bench starts gets this environment).
        env = {**os.environ, "NO_COLOR": "1", "PYTHONSAFEPATH": "1"}
        if self.src is not None:
            env["PYTHONPATH"] = str(self.src)
        return env

    def up(self, env: dict | None = None) -> float:
        for attempt in range(3):
            took, res = self.run("up", env=env)
            if res.returncode == 0:
                return took
            # Another bench on the shared box took one of our OS-picked ports between
            # `free_ports` and the start ("health port ... is already in use"): new ports, again.
            if "is already in use" not in res.stderr or attempt == 2:
                break
            self.fresh_ports()
        raise RuntimeError(f"devctl up failed: {res.stderr[-2000:]}")

    def fresh_ports(self) -> None:
        """Give every planned tcp service a new OS-picked port (command and health address)."""
        plan = json.loads((self.root / "plan.json").read_text())
        for svc in plan["services"]:
            old = svc["health"]["address"].rpartition(":")[2]
            new = str(free_ports(1)[0])
            svc["command"] = [new if arg == old else arg for arg in svc["command"]]
            svc["health"]["address"] = f"127.0.0.1:{new}"
        self.plan(plan["services"])

    def down(self) -> float:
        return self.run("down")[0]

    def status(self) -> dict:
        return json.loads(self.run("status", "--json")[1].stdout)

    def events(self) -> list[dict]:
        path = self.root / ".devctl" / "events.ndjson"
        return [json.loads(x) for x in path.read_text().splitlines()]


def tcp_services(ports: list[int], *extra: str) -> list[dict]:
    return [{"name": f"s{i}", "command": listener(p, *extra),
             "health": {"type": "tcp", "address": f"127.0.0.1:{p}"}} for i, p in enumerate(ports)]


def bench_plan(base: Path, n: int) -> float:
    """`devctl plan --json` on the same repo: the pipeline's share of `up` (plugins, not the supervisor)."""
    d = Devctl(base, f"plan{n}")
    d.plan(tcp_services(free_ports(n)))
    return statistics.median(d.run("plan", "--json")[0] for _ in range(3))


SHARE = """
import json, sys, time
from pathlib import Path
import anyio, psutil  # already loaded by the pipeline in a real `up`
from devctl.supervisor import client, daemon, up
from devctl.supervisor.paths import Paths
root = Path(sys.argv[1])
plan = json.loads((root / "plan.json").read_text())["services"]
t0 = time.perf_counter()
services = up.prepare(plan, root)
daemon.launch(services, root, [])
failed = up.wait(Paths(root), [s["name"] for s in services], lambda r: None)
took = time.perf_counter() - t0
client.down(Paths(root))
print(json.dumps({"share_s": took, "failed": failed is not None}))
"""


def bench_share(base: Path, n: int) -> float:
    """The supervisor's share of `up`: prepare + launch + wait, without CLI start-up and pipeline."""
    d = Devctl(base, f"share{n}")
    d.plan(tcp_services(free_ports(n)))
    res = subprocess.run([PY, "-c", SHARE, str(d.root)], capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])["share_s"]


SUPERVISOR_SHARE = """
import json, statistics, sys, time
from pathlib import Path
import anyio
anyio.run(anyio.sleep, 0)  # a real `up` forks after its pipeline ran on anyio
import devctl.cli.main, devctl.cli.up_run  # what the CLI has loaded when it forks
from devctl.supervisor import client, daemon, up
from devctl.supervisor.paths import Paths
root = Path(sys.argv[1])
plan = json.loads((root / "plan.json").read_text())["services"]
t0 = time.perf_counter()
services = up.prepare(plan, root)
pid = daemon.launch(services, root, [])
t1 = time.perf_counter()
failed = up.wait(Paths(root), [s["name"] for s in services], lambda r: None)
t2 = time.perf_counter()
import psutil  # after the fork: the CLI has not loaded it, the supervisor must not inherit it
cpu = psutil.Process(pid).cpu_times()
client.down(Paths(root))
events = [json.loads(x) for x in (root / ".devctl" / "events.ndjson").read_text().splitlines()]
ready = {e["service"]: e["ts"] for e in events if e["event"] == "ready"}
lat = []
for name, ts in ready.items():
    log = (root / ".devctl" / "logs" / f"{name}.stdout.log").read_text()
    lat += [ts - float(x.split()[1]) for x in log.splitlines() if x.startswith("listening-at")][:1]
print(json.dumps({"launch_ms": (t1 - t0) * 1000, "wait_ms": (t2 - t1) * 1000, "failed": failed is not None,
                  "cpu_ms": (cpu.user + cpu.system) * 1000, "ready_med_ms": statistics.median(lat) * 1000}))
"""


def supervisor_once(base: Path, n: int, tag: str, src: Path | None = None) -> dict:
    d = Devctl(base, f"sup{n}{tag}", src)
    d.plan(tcp_services(free_ports(n), "--stamp"))
    res = subprocess.run([PY, "-c", SUPERVISOR_SHARE, str(d.root)], capture_output=True, text=True,
                         env=d.env(), check=False)
    if res.returncode != 0:
        d.down()
        raise RuntimeError(f"the supervisor's share failed: {res.stderr[-2000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def supervisor_share(tmp: Path, rounds: int, before: Path | None, sizes: tuple[int, ...]) -> dict:
    """Medians of `rounds` runs per size of `supervisor_once` (and of `before`, interleaved)."""
    rows: dict = {}
    for i in range(rounds):
        for n in sizes:
            runs = [(f"{n}", None, f"-{i}"), (f"{n} before", before, f"-b{i}")][: 2 if before else 1]
            # Alternate which one goes first: a run pays for what the previous one left behind
            # (its services' teardown, the page cache), and in a fixed order one side always pays.
            for col, src, tag in runs if i % 2 == 0 else runs[::-1]:
                rows.setdefault(col, []).append(supervisor_once(tmp, n, tag, src))
    keys = ("launch_ms", "wait_ms", "cpu_ms", "ready_med_ms")
    return {col: {k: statistics.median(r[k] for r in rs) for k in keys} for col, rs in rows.items()}


def baseline_start(n: int) -> float:
    """A bare launcher: Popen the same N programs, wait until every port accepts."""
    ports = free_ports(n)
    t0 = time.perf_counter()
    procs = [subprocess.Popen(listener(p), stdout=subprocess.DEVNULL, start_new_session=True) for p in ports]
    t1 = wait_open(ports)
    for p in procs:
        kill_tree(p)
    return t1 - t0


def bench_devctl_up(base: Path, n: int, tag: str, env: dict | None = None, src: Path | None = None) -> dict:
    d = Devctl(base, f"up{n}{tag}", src)
    d.plan(tcp_services(free_ports(n)))
    try:
        took = d.up(env)
        return {"up_s": took}
    finally:
        d.down()


def bench_readiness(base: Path) -> dict:
    d = Devctl(base, "ready")
    d.plan(tcp_services(free_ports(10), "--delay", "0.5", "--stamp"))
    try:
        d.up()
        lat = []
        ready = {e["service"]: e["ts"] for e in d.events() if e["event"] == "ready"}
        for name, ts in ready.items():
            log = (d.root / ".devctl" / "logs" / f"{name}.stdout.log").read_text()
            stamp = float(next(x for x in log.splitlines() if x.startswith("listening-at")).split()[1])
            lat.append(ts - stamp)
        return {"median_ms": statistics.median(lat) * 1000, "max_ms": max(lat) * 1000}
    finally:
        d.down()


def bench_devctl_down(base: Path, n: int) -> dict:
    d = Devctl(base, f"down{n}")
    d.plan(tcp_services(free_ports(n)))
    d.up()
    return {"down_s": d.down()}


def bench_status(base: Path, runs: int) -> tuple[dict, Devctl]:
    d = Devctl(base, "status")
    d.plan(tcp_services(free_ports(10)))
    d.up()
    times = [d.run("status", "--json")[0] for _ in range(runs)]
    return {"median_ms": statistics.median(times) * 1000}, d


def supervisor_pid(d: Devctl) -> int:
    return d.status()["supervisor"]["pid"]


def rss_mib(pid: int) -> float:
    return psutil.Process(pid).memory_info().rss / 2**20


def idle_cpu(pid: int, seconds: float = 5.0) -> float:
    proc = psutil.Process(pid)
    before = sum(proc.cpu_times()[:2])
    time.sleep(seconds)
    return (sum(proc.cpu_times()[:2]) - before) / seconds * 100


def bench_rss(base: Path) -> dict:
    out = {}
    for n in (1, 100):
        d = Devctl(base, f"rss{n}")
        d.plan(tcp_services(free_ports(n)))
        d.up()
        try:
            time.sleep(1.5)  # a sweep and a few probes have run
            out[f"rss_{n}_mib"] = rss_mib(supervisor_pid(d))
        finally:
            d.down()
    return out


WRITER = """
import sys, time
total = int(sys.argv[1]) * 2**20
line = b"x" * 99 + b"\\n"
chunk = line * 10486
out = sys.stdout.buffer
t0 = time.perf_counter(); done = 0
while done < total:
    out.write(chunk); done += len(chunk)
out.flush()
sys.stderr.write(f"wrote-in {time.perf_counter() - t0:.6f}\\n"); sys.stderr.flush()
time.sleep(3600)
"""


def writer_cmd(tmp: Path, mb: int) -> list[str]:
    script = tmp / "writer.py"
    script.write_text(WRITER)
    return [PY, "-S", str(script), str(mb)]


def wait_wrote(path: Path, timeout: float = 600) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            for line in path.read_text().splitlines():
                if line.startswith("wrote-in"):
                    return float(line.split()[1])
        time.sleep(0.1)
    raise RuntimeError(f"writer never finished ({path})")


def bench_log_direct(tmp: Path, mb: int) -> float:
    out, err = tmp / "direct.out", tmp / "direct.err"
    with open(out, "wb") as fo, open(err, "wb") as fe:
        proc = subprocess.Popen(writer_cmd(tmp, mb), stdout=fo, stderr=fe, start_new_session=True)
    try:
        return wait_wrote(err)
    finally:
        kill_tree(proc)
        out.unlink()


def bench_log_devctl(base: Path, mb: int) -> float:
    d = Devctl(base, "log")
    d.plan([{"name": "writer", "command": writer_cmd(base, mb)}])
    d.up()
    try:
        return wait_wrote(d.root / ".devctl" / "logs" / "writer.stderr.log")
    finally:
        d.down()
        (d.root / ".devctl" / "logs" / "writer.stdout.log").unlink()


# ---- honcho and supervisord ----------------------------------------------------------------


#: `--others-venv DIR`: where honcho and supervisor are installed (kept between runs); default: a temp dir.
OTHERS_VENV: Path | None = None


def ensure_others(tmp: Path) -> dict[str, str] | None:
    """Executables of honcho, supervisord and supervisorctl (installed into a temp venv if needed)."""
    found = {n: shutil.which(n, path=os.path.dirname(PY)) for n in ("honcho", "supervisord", "supervisorctl")}
    if all(found.values()):
        return found  # type: ignore[return-value]
    venv = OTHERS_VENV or tmp / "others-venv"
    if all((venv / "bin" / n).exists() for n in ("honcho", "supervisord", "supervisorctl")):
        return {n: str(venv / "bin" / n) for n in ("honcho", "supervisord", "supervisorctl")}
    print("installing honcho and supervisor into a throwaway venv…", file=sys.stderr)
    subprocess.run([PY, "-m", "venv", str(venv)], check=True)
    pip = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "honcho", "supervisor"],
                         capture_output=True, text=True, check=False)
    if pip.returncode != 0:
        print(f"could not install them, skipping: {pip.stderr[-500:]}", file=sys.stderr)
        return None
    return {n: str(venv / "bin" / n) for n in ("honcho", "supervisord", "supervisorctl")}


def procfile(dirpath: Path, commands: list[list[str]]) -> Path:
    import shlex

    path = dirpath / "Procfile"
    path.write_text("".join(f"s{i}: {shlex.join(c)}\n" for i, c in enumerate(commands)))
    return path


def honcho_run(tools: dict, tmp: Path, commands: list[list[str]], ports: list[int],
               out_file: Path | None = None) -> dict:
    d = Path(tempfile.mkdtemp(dir=tmp))
    procfile(d, commands)
    out = open(out_file or os.devnull, "wb")  # noqa: SIM115
    t0 = time.perf_counter()
    proc = subprocess.Popen([tools["honcho"], "start"], cwd=d, stdout=out, stderr=subprocess.STDOUT,
                            start_new_session=True)
    result = {"proc": proc, "out": out}
    if ports:
        result["up_s"] = wait_open(ports) - t0
    return result


def honcho_stop(run: dict) -> float:
    t0 = time.perf_counter()
    run["proc"].send_signal(signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        run["proc"].wait(timeout=30)
    took = time.perf_counter() - t0
    kill_tree(run["proc"])
    run["out"].close()
    return took


SUPERVISORD_CONF = """[unix_http_server]
file=%(here)s/s.sock
[supervisord]
logfile=%(here)s/supervisord.log
pidfile=%(here)s/supervisord.pid
nodaemon=true
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
[supervisorctl]
serverurl=unix://%(here)s/s.sock
"""


def supervisord_run(tools: dict, tmp: Path, commands: list[list[str]], ports: list[int]) -> dict:
    import shlex

    d = Path(tempfile.mkdtemp(dir=tmp))
    conf = d / "supervisord.conf"
    text = SUPERVISORD_CONF
    for i, c in enumerate(commands):
        text += (f"[program:s{i}]\ncommand={shlex.join(c)}\nstartsecs=0\nstopwaitsecs=10\n"
                 f"stdout_logfile=%(here)s/s{i}.out\nstdout_logfile_maxbytes=0\n"
                 f"stderr_logfile=%(here)s/s{i}.err\nstderr_logfile_maxbytes=0\n")
    conf.write_text(text)
    t0 = time.perf_counter()
    proc = subprocess.Popen([tools["supervisord"], "-c", str(conf)], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    result = {"proc": proc, "conf": conf, "dir": d}
    if ports:
        result["up_s"] = wait_open(ports) - t0
    return result


def supervisorctl(tools: dict, run: dict, *args: str) -> float:
    t0 = time.perf_counter()
    subprocess.run([tools["supervisorctl"], "-c", str(run["conf"]), *args], capture_output=True, check=False)
    return time.perf_counter() - t0


def supervisord_stop(tools: dict, run: dict) -> float:
    t0 = time.perf_counter()
    supervisorctl(tools, run, "shutdown")
    with contextlib.suppress(subprocess.TimeoutExpired):
        run["proc"].wait(timeout=30)
    took = time.perf_counter() - t0
    kill_tree(run["proc"])
    return took


def bench_others(tools: dict, tmp: Path, runs: int, mb: int) -> dict:
    res: dict = {"honcho": {}, "supervisord": {}}
    for n in (10, 50):
        ports = free_ports(n)
        h = honcho_run(tools, tmp, [listener(p) for p in ports], ports)
        res["honcho"][f"up_{n}_s"] = h["up_s"]
        time.sleep(0.5)
        if n == 50:
            res["honcho"]["down_50_s"] = honcho_stop(h)
        else:
            res["honcho"]["rss_10_mib"] = rss_mib(h["proc"].pid)
            honcho_stop(h)
        ports = free_ports(n)
        s = supervisord_run(tools, tmp, [listener(p) for p in ports], ports)
        res["supervisord"][f"up_{n}_s"] = s["up_s"]
        time.sleep(0.5)
        if n == 10:
            res["supervisord"]["status_ms"] = statistics.median(
                supervisorctl(tools, s, "status") for _ in range(runs)) * 1000
            res["supervisord"]["rss_10_mib"] = rss_mib(s["proc"].pid)
            res["supervisord"]["idle_cpu_pct"] = idle_cpu(s["proc"].pid)
            supervisord_stop(tools, s)
        else:
            res["supervisord"]["down_50_s"] = supervisord_stop(tools, s)
    # log throughput through their pipes
    cmd = writer_cmd(tmp, mb)
    out = tmp / "honcho.out"
    h = honcho_run(tools, tmp, [cmd], [], out_file=out)
    res["honcho"]["log_write_s"] = _wait_in_output(out)
    honcho_stop(h)
    out.unlink()
    s = supervisord_run(tools, tmp, [cmd], [])
    res["supervisord"]["log_write_s"] = wait_wrote(s["dir"] / "s0.err")
    supervisord_stop(tools, s)
    (s["dir"] / "s0.out").unlink()
    return res


def _wait_in_output(path: Path, timeout: float = 600) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(path, "rb") as fh:
            fh.seek(max(0, os.path.getsize(path) - 4096))
            for line in fh.read().decode(errors="replace").splitlines():
                if "wrote-in" in line:
                    return float(line.rsplit("wrote-in", 1)[1].split()[0])
        time.sleep(0.2)
    raise RuntimeError("honcho writer never finished")


def side_by_side(dv: dict, h: dict, s: dict, base: dict) -> str:
    """The issue's table: `up` wall per tool at 10 and 50 services, and devctl / honcho."""
    lines = ["| services | devctl `up` | honcho `start` | supervisord | bare launcher | devctl / honcho |",
             "|---|---:|---:|---:|---:|---:|"]
    for n in (10, 50):
        d, hv, sv = dv.get(f"up_{n}_s"), h.get(f"up_{n}_s"), s.get(f"up_{n}_s")
        ratio = f"{d / hv:.2f}" if d and hv else "-"
        cells = [f"{d * 1000:,.0f} ms", f"{hv * 1000:,.0f} ms" if hv else "-",
                 f"{sv * 1000:,.0f} ms" if sv else "-", f"{base[f'start_{n}_s'] * 1000:,.0f} ms", ratio]
        lines.append(f"| {n} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def up_warm(d: Devctl, n: int) -> float:
    """`up` in a repo where devctl ran before (its config cache is warm), with fresh ports.

    `bench_devctl_up` makes a new repo per run, so its `devctl up` parses `.devctl.yaml` (PyYAML
    and the config loader: ~45 ms of CPU on the 2-core box), as the first `up` after an edit of
    the config does. Every later command in a repo reads the parse from `.devctl/cache/`."""
    d.plan(tcp_services(free_ports(n)))
    if not (d.root / ".devctl" / "cache").is_dir():
        d.run("plan")
    try:
        return d.up()
    finally:
        d.down()


def up_only(tmp: Path, rounds: int, others: bool, before: Path | None = None) -> dict:
    """`up` of 10 and 50 services per tool, interleaved per round; medians. With `before`, the
    devctl in that directory runs in each round too ("before")."""
    tools = ensure_others(tmp) if others else None
    samples: dict[str, list[float]] = {}

    def add(key: str, value: float) -> None:
        samples.setdefault(key, []).append(value)

    warm = {n: Devctl(tmp, f"warm{n}") for n in (10, 50)}
    for i in range(rounds):
        for n in (10, 50):
            add(f"baseline/start_{n}_s", baseline_start(n))
            add(f"devctl/up_{n}_s", bench_devctl_up(tmp, n, f"-r{i}")["up_s"])
            add(f"devctl/up_{n}_warm_s", up_warm(warm[n], n))
            if before is not None:
                add(f"before/up_{n}_s", bench_devctl_up(tmp, n, f"-b{i}", src=before)["up_s"])
            if tools:
                ports = free_ports(n)
                hr = honcho_run(tools, tmp, [listener(p) for p in ports], ports)
                add(f"honcho/up_{n}_s", hr["up_s"])
                honcho_stop(hr)
                ports = free_ports(n)
                sr = supervisord_run(tools, tmp, [listener(p) for p in ports], ports)
                add(f"supervisord/up_{n}_s", sr["up_s"])
                supervisord_stop(tools, sr)
        d = Devctl(tmp, f"down-r{i}")
        d.plan(tcp_services(free_ports(50)))
        d.up()
        add("devctl/down_50_s", d.down())
        if before is not None:
            d = Devctl(tmp, f"down-b{i}", before)
            d.plan(tcp_services(free_ports(50)))
            d.up()
            add("before/down_50_s", d.down())
    out: dict = {tool: {} for tool in ("devctl", "before", "baseline", "honcho", "supervisord")}
    out["rounds"] = rounds
    for key, values in samples.items():
        tool, name = key.split("/")
        out[tool][name] = statistics.median(values)
        out[tool][name + "_all"] = values
    return out


def paired(tmp: Path, rounds: int, before: Path, n: int = 10) -> dict:
    """`up` of n services in a new repo, this devctl and `before` alternating (which goes first
    alternates too), `rounds` pairs: the median and mean of the paired differences, which
    cancel most of a shared box's drift, and the CPU of each side (the CLI with its plugin,
    from the children's rusage; the supervisor, read right after `up` returns)."""
    import resource

    rows: dict[str, list[tuple[float, float, float]]] = {"now": [], "before": []}

    def one(tag: str, src: Path | None, i: int) -> tuple[float, float, float]:
        d = Devctl(tmp, f"pair-{tag}{i}", src)
        d.plan(tcp_services(free_ports(n)))
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        took = d.up()
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        try:
            sup = psutil.Process(d.status()["supervisor"]["pid"]).cpu_times()
        finally:
            d.down()
        cli = r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime
        return took * 1000, cli * 1000, (sup.user + sup.system) * 1000

    for i in range(rounds):
        sides = [("now", None), ("before", before)]
        for tag, src in sides if i % 2 == 0 else sides[::-1]:
            rows[tag].append(one(tag, src, i))
    diffs = [a[0] - b[0] for a, b in zip(rows["now"], rows["before"], strict=True)]
    out: dict = {"services": n, "pairs": rounds, "median_diff_ms": statistics.median(diffs),
                 "mean_diff_ms": statistics.mean(diffs), "now_faster": sum(d < 0 for d in diffs)}
    for tag, got in rows.items():
        wall, cli, sup = zip(*got, strict=True)
        out[tag] = {"up_ms": statistics.median(wall), "cli_and_plugin_cpu_ms": statistics.median(cli),
                    "supervisor_cpu_ms": statistics.median(sup)}
    return out


def print_paired(res: dict) -> None:
    for tag in ("now", "before"):
        r = res[tag]
        print(f"{tag:>6}: up of {res['services']} {r['up_ms']:6.1f} ms; CPU: CLI and plugin "
              f"{r['cli_and_plugin_cpu_ms']:5.1f} ms, supervisor {r['supervisor_cpu_ms']:5.1f} ms")
    print(f"paired difference (now - before) over {res['pairs']} pairs: "
          f"median {res['median_diff_ms']:+.1f} ms, mean {res['mean_diff_ms']:+.1f} ms; "
          f"now faster in {res['now_faster']} of {res['pairs']}")


BREAKDOWN = """
import json, resource, sys, time
T = {"spawned": float(sys.argv[1]), "interpreter": time.time()}
out = sys.argv[2]
sys.argv = ["devctl", *sys.argv[3:]]
import devctl.cli.main as main
import devctl.cli.up_run as cmds
from devctl.supervisor import daemon, up
def timed(mod, name, key):
    fn = getattr(mod, name)
    def wrapper(*a, **k):
        T.setdefault(key + "_start", time.time())
        try:
            return fn(*a, **k)
        finally:
            T[key + "_end"] = time.time()
    setattr(mod, name, wrapper)
timed(cmds, "_plan", "pipeline")
timed(daemon, "launch", "launch")
timed(up, "wait", "wait")
try:
    main.main(sys.argv[1:])  # given its argv, main does not end the process at once (cli/teardown.py)
finally:
    T["exit"] = time.time()
    ru, rc = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    T["cpu_cli"], T["cpu_plugins"] = ru.ru_utime + ru.ru_stime, rc.ru_utime + rc.ru_stime
    with open(out, "w") as fh:
        json.dump(T, fh)
"""


def breakdown_once(base: Path, n: int, tag: str, src: Path | None = None) -> dict:
    """One `devctl up` of n services (each prints when its port opened), split into shares (ms)."""
    d = Devctl(base, f"bd{n}{tag}", src)
    d.plan(tcp_services(free_ports(n), "--stamp"))
    out = base / f"bd{n}{tag}.json"
    t0 = time.time()
    res = subprocess.run([PY, "-c", BREAKDOWN, repr(t0), str(out), "-C", str(d.root), "up"],
                         capture_output=True, text=True, env=d.env(), check=False)
    wall = time.time() - t0
    try:
        if res.returncode != 0:
            raise RuntimeError(f"devctl up failed: {res.stderr[-2000:]}")
        t = json.loads(out.read_text())
        sup = psutil.Process(d.status()["supervisor"]["pid"]).cpu_times()
        events = d.events()
    finally:
        d.down()
    first = {}
    for e in events:
        first.setdefault((e["service"], e["event"]), e["ts"])
    started = sorted(ts for (_s, ev), ts in first.items() if ev == "started")
    ready = {svc: ts for (svc, ev), ts in first.items() if ev == "ready"}
    opened = {}
    for name in ready:
        log = (d.root / ".devctl" / "logs" / f"{name}.stdout.log").read_text()
        opened[name] = float(next(x for x in log.splitlines() if x.startswith("listening-at")).split()[1])
    lat = [ready[k] - opened[k] for k in ready]
    listening = first[(None, "supervisor_started")]

    def ms(a: float, b: float) -> float:
        return (b - a) * 1000

    return {
        "wall": wall * 1000,
        "cli start-up (interpreter, imports, config) ": ms(t0, t["pipeline_start"]),
        "pipeline (plugins, phases)": ms(t["pipeline_start"], t["pipeline_end"]),
        "checks before start (prepare)": ms(t["pipeline_end"], t["launch_start"]),
        "supervisor start (fork, imports, lock, socket)": ms(t["launch_start"], listening),
        "first service spawned": ms(listening, started[0]),
        "spawning (first to last)": ms(started[0], started[-1]),
        "last spawned to last port open (services' own start)": ms(started[-1], max(opened.values())),
        "last port open to its ready event": ms(max(opened.values()), max(ready.values())),
        "last ready to `up` returning": ms(max(ready.values()), t["exit"]),
        "readiness after port open, median": statistics.median(lat) * 1000,
        "readiness after port open, max": max(lat) * 1000,
        "CPU: CLI (incl. pipeline)": t["cpu_cli"] * 1000,
        "CPU: plugin processes": t["cpu_plugins"] * 1000,
        "CPU: supervisor": (sup.user + sup.system) * 1000,
    }


def breakdown(tmp: Path, rounds: int, before: Path | None = None, sizes: tuple[int, ...] = (10, 50)) -> dict:
    """Medians of `rounds` breakdowns per size (and of the `before` devctl, interleaved)."""
    rows: dict = {}
    for i in range(rounds):
        for n in sizes:
            rows.setdefault(f"{n}", []).append(breakdown_once(tmp, n, f"-{i}"))
            if before is not None:
                rows.setdefault(f"{n} before", []).append(breakdown_once(tmp, n, f"-b{i}", before))
    return {col: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for col, rs in rows.items()}


def print_breakdown(res: dict) -> None:
    cols = sorted(res, key=lambda c: (int(c.split()[0]), c))
    print("| share of `devctl up` (ms, medians) | " + " | ".join(f"{c} services" for c in cols) + " |")
    print("|---|" + "---:|" * len(cols))
    for key in res[cols[0]]:
        print(f"| {key.strip()} | " + " | ".join(f"{res[c][key]:,.0f}" for c in cols) + " |")


def print_supervisor(res: dict) -> None:
    cols = sorted(res, key=lambda c: (int(c.split()[0]), c))
    labels = {"launch_ms": "prepare + launch (fork until listening)",
              "wait_ms": "wait until every service is ready",
              "cpu_ms": "CPU: supervisor", "ready_med_ms": "readiness after port open, median"}
    print("| the supervisor's share (ms, medians) | " + " | ".join(f"{c} services" for c in cols) + " |")
    print("|---|" + "---:|" * len(cols))
    for key, label in labels.items():
        print(f"| {label} | " + " | ".join(f"{res[c][key]:,.0f}" for c in cols) + " |")


# ---- main ----------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--log-mb", type=int, default=256,
                    help="bytes the log writer writes, in MiB (the issue's figure: 1024)")
    ap.add_argument("--runs", type=int, default=15, help="runs of `status --json`")
    ap.add_argument("--no-others", action="store_true", help="skip honcho and supervisord")
    ap.add_argument("--json", action="store_true", help="print the raw figures as JSON")
    ap.add_argument("--up-only", action="store_true",
                    help="only the side-by-side `up` table (and devctl's down of 50), interleaved")
    ap.add_argument("--breakdown", action="store_true", help="only `devctl up` split into its shares")
    ap.add_argument("--supervisor", action="store_true",
                    help="only the supervisor's share (in-process launch + wait) and its CPU time")
    ap.add_argument("--paired", action="store_true",
                    help="only `up` of 10, this devctl and --before alternating: paired differences and CPU")
    ap.add_argument("--rounds", type=int, default=3,
                    help="rounds for --up-only / --breakdown (medians), pairs for --paired")
    ap.add_argument("--sizes", type=int, nargs="+", default=[10, 50],
                    help="with --breakdown: the numbers of services (default: 10 50)")
    ap.add_argument("--before", type=Path, default=None,
                    help="with --up-only / --breakdown: also run the devctl sources in this directory "
                         "(e.g. `git archive main | tar -x -C DIR`), interleaved, for a before/after")
    ap.add_argument("--others-venv", type=Path, default=None,
                    help="install honcho and supervisor here and reuse them (default: a throwaway venv)")
    args = ap.parse_args()
    global OTHERS_VENV
    OTHERS_VENV = args.others_venv
    with tempfile.TemporaryDirectory(prefix="devctl-bench-") as tmpdir:
        tmp = Path(tmpdir)
        if args.up_only or args.breakdown or args.supervisor or args.paired:
            load = os.getloadavg()
            if args.paired:
                if args.before is None:
                    ap.error("--paired needs --before DIR")
                res = paired(tmp, args.rounds, args.before)
            elif args.up_only:
                res = up_only(tmp, args.rounds, not args.no_others, args.before)
            elif args.supervisor:
                res = supervisor_share(tmp, args.rounds, args.before, tuple(args.sizes))
            else:
                res = breakdown(tmp, args.rounds, args.before, tuple(args.sizes))
            load_end = os.getloadavg()
            if args.json:
                print(json.dumps({"result": res, "load_before": load, "load_after": load_end}, indent=2))
            elif args.up_only:
                print(side_by_side(res["devctl"], res["honcho"], res["supervisord"], res["baseline"]))
                if res["before"]:
                    print("\nbefore (--before):")
                    print(side_by_side(res["before"], res["honcho"], res["supervisord"], res["baseline"]))
                dv, hv = res["devctl"], res["honcho"]
                for n in (10, 50):
                    ratio = f", {dv[f'up_{n}_warm_s'] / hv[f'up_{n}_s']:.2f} x honcho" if hv else ""
                    print(f"devctl up of {n} with its config cache warm (a repo devctl ran in before): "
                          f"{dv[f'up_{n}_warm_s'] * 1000:,.0f} ms{ratio}")
                downs = [f"{k} {res[k]['down_50_s'] * 1000:.0f} ms" for k in ("devctl", "before") if res[k]]
                print(f"\ndevctl down of 50: {', '.join(downs)}; medians of {args.rounds} rounds")
            elif args.paired:
                print_paired(res)
            elif args.supervisor:
                print_supervisor(res)
            else:
                print_breakdown(res)
            if not args.json:
                print(f"load average (1/5/15 min): before {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}, "
                      f"after {load_end[0]:.1f} / {load_end[1]:.1f} / {load_end[2]:.1f}")
            return
        r: dict = {"devctl": {}, "baseline": {}}
        dv = r["devctl"]
        for n in (10, 50):
            r["baseline"][f"start_{n}_s"] = statistics.median(baseline_start(n) for _ in range(3))
            dv[f"up_{n}_s"] = statistics.median(bench_devctl_up(tmp, n, f"-{i}")["up_s"] for i in range(3))
        exec_env = {"DEVCTL_SUPERVISOR_MODE": "exec"}
        dv["up_10_exec_s"] = statistics.median(
            bench_devctl_up(tmp, 10, f"-exec{i}", exec_env)["up_s"] for i in range(3))
        dv["plan_10_s"] = bench_plan(tmp, 10)
        for n in (10, 50):
            dv[f"share_{n}_s"] = statistics.median(bench_share(tmp, n) for _ in range(3))
        r["readiness"] = bench_readiness(tmp)
        dv["down_50_s"] = bench_devctl_down(tmp, 50)["down_s"]
        status, d = bench_status(tmp, args.runs)
        dv["status_ms"] = status["median_ms"]
        pid = supervisor_pid(d)
        dv["rss_10_mib"] = rss_mib(pid)
        dv["idle_cpu_pct"] = idle_cpu(pid)
        d.down()
        dv.update(bench_rss(tmp))
        r["baseline"]["log_write_s"] = bench_log_direct(tmp, args.log_mb)
        dv["log_write_s"] = bench_log_devctl(tmp, args.log_mb)
        if not args.no_others:
            tools = ensure_others(tmp)
            if tools:
                r.update(bench_others(tools, tmp, args.runs, args.log_mb))
        r["log_mb"] = args.log_mb
    if args.json:
        print(json.dumps(r, indent=2))
    else:
        report(r)


def report(r: dict) -> None:
    dv, base = r["devctl"], r["baseline"]
    h, s = r.get("honcho", {}), r.get("supervisord", {})

    def ms(x: float | None) -> str:
        return "-" if x is None else f"{x * 1000:.0f} ms"

    rows = [
        ("up, 10 services (minus own start)", ms(dv["up_10_s"] - base["start_10_s"]),
         ms(h.get("up_10_s", 0) - base["start_10_s"]) if h else "-",
         ms(s.get("up_10_s", 0) - base["start_10_s"]) if s else "-"),
        ("up, 50 services (minus own start)", ms(dv["up_50_s"] - base["start_50_s"]),
         ms(h.get("up_50_s", 0) - base["start_50_s"]) if h else "-",
         ms(s.get("up_50_s", 0) - base["start_50_s"]) if s else "-"),
        ("supervisor share of up, 10 (minus own start)", ms(dv["share_10_s"] - base["start_10_s"]), "-", "-"),
        ("supervisor share of up, 50 (minus own start)", ms(dv["share_50_s"] - base["start_50_s"]), "-", "-"),
        ("readiness after port open (median)", f"{r['readiness']['median_ms']:.0f} ms", "-", "-"),
        ("down, 50 services", ms(dv["down_50_s"]), ms(h.get("down_50_s")), ms(s.get("down_50_s"))),
        ("status --json, 10 services (median)", f"{dv['status_ms']:.0f} ms", "-",
         f"{s['status_ms']:.0f} ms" if s else "-"),
        (f"log: {r['log_mb']} MiB written (cmd > file: {base['log_write_s']:.2f} s)",
         f"{dv['log_write_s']:.2f} s", f"{h['log_write_s']:.2f} s" if h else "-",
         f"{s['log_write_s']:.2f} s" if s else "-"),
        ("RSS with 1 / 10 / 100 services",
         f"{dv['rss_1_mib']:.1f} / {dv['rss_10_mib']:.1f} / {dv['rss_100_mib']:.1f} MiB",
         f"- / {h['rss_10_mib']:.1f} / - MiB" if h else "-",
         f"- / {s['rss_10_mib']:.1f} / - MiB" if s else "-"),
        ("idle CPU, 10 services", f"{dv['idle_cpu_pct']:.2f} %", "-",
         f"{s['idle_cpu_pct']:.2f} %" if s else "-"),
    ]
    print(side_by_side(dv, h, s, base))
    print()
    print("| measure | devctl | honcho | supervisord |")
    print("|---|---:|---:|---:|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print(f"\nbaseline start of the services themselves: 10 = {ms(base['start_10_s'])}, "
          f"50 = {ms(base['start_50_s'])}; devctl up-10 wall {ms(dv['up_10_s'])}, of which the "
          f"pipeline (`devctl plan --json`) {ms(dv['plan_10_s'])}; supervisor exec'd instead of "
          f"forked: up-10 wall {ms(dv['up_10_exec_s'])}")


if __name__ == "__main__":
    main()
