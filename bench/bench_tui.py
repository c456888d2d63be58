#!/usr/bin/env python3
"""`devctl tui` in a real terminal (a pty): first frame, idle CPU, keys under a flooding log.

    python bench/bench_tui.py [-n RUNS] [--services 10] [--seconds 10] [--rate 10000] [--keys 20] [--json]

Three figures, each against the issue's goal (nothing here is asserted):

1. **time to first frame**: from spawning `devctl -C REPO tui` on a 100x30 pty until the header
   (`devctl  ·  <repo>`) has been written to the terminal, RUNS times, interleaved with
   `python -c pass` (spawn to exit) so a noisy moment hits both alike; medians of the wall time
   and of the CPU time (user+sys) spent until then, which a loaded machine disturbs less, and
   the differences. Goal: under 300 ms.
2. **idle CPU**: a repo with SERVICES sleeping services, `devctl up`; the TUI on its services
   view, left alone for SECONDS after its first frame (and a 2 s settle); its CPU time
   (user+sys, children included) over that time, as % of one core. Goal: under 2 %.
3. **keys under load**: a service writing RATE lines a second; the TUI on the logs view
   following it (key 2); `f` pressed KEYS times, each time waiting until the status line says
   `paused` / `following`; the time from writing the key to the pty until the answer was
   written back, median and worst. Goal: keys keep answering (no freeze).

Everything runs in a temporary directory and is stopped at the end (`devctl down`, the TUI by
its process group). Report the load average with the figures (printed): the machine is shared.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
from benchlib import devctl_argv

from devctl.procs.groups import stop_group_sync
from devctl.procs.start import popen

COLS, ROWS = 100, 30
FIRST_FRAME_GOAL_MS = 300.0
IDLE_GOAL_PERCENT = 2.0
#: The logs view's status line (devctl.tui.logs_view) says which of the two it is in.
FOLLOWING, PAUSED = b"following", b"paused"

SLEEPER = "import signal, sys\nsignal.signal(signal.SIGTERM, lambda *_: sys.exit(0))\nsignal.pause()\n"
FLOOD = """import os, sys, time
rate = int(os.environ["RATE"]); burst = max(1, rate // 100); n = 0; nxt = time.monotonic()
while True:
    lines = []
    for _ in range(burst):
        n += 1
        lines.append(f"flood: line {n} " + "x" * 40 + "\\n")
    sys.stdout.write("".join(lines)); sys.stdout.flush()
    nxt += burst / rate
    delay = nxt - time.monotonic()
    if delay > 0:
        time.sleep(delay)
    else:
        nxt = time.monotonic()
"""


def bench_env() -> dict[str, str]:
    env = dict(os.environ, TERM="xterm-256color", COLUMNS=str(COLS), LINES=str(ROWS))
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # it would recompile every source on every run
    env.pop("NO_COLOR", None)
    return env


class Terminal:
    """A program on a pty of COLS x ROWS, its output read (and timestamped) by a thread."""

    def __init__(self, argv: list[str], cwd: Path) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
        self.master = master
        self.output = bytearray()
        self.cond = threading.Condition()
        self.closed = False
        self.started = time.perf_counter()
        self.proc = popen(argv, stdin=slave, stdout=slave, stderr=slave, cwd=cwd, env=bench_env())
        os.close(slave)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:  # EIO: the program closed the terminal
                data = b""
            with self.cond:
                if not data:
                    self.closed = True
                    self.cond.notify_all()
                    return
                self.output += data
                self.cond.notify_all()

    def wait_for(self, pattern: bytes, start: int = 0, timeout: float = 30.0) -> tuple[float, int]:
        """(perf_counter time it appeared, offset after it), searching output from `start`."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                found = self.output.find(pattern, start)
                if found >= 0:
                    return time.perf_counter(), found + len(pattern)
                left = deadline - time.monotonic()
                if left <= 0 or self.closed:
                    tail = bytes(self.output[-400:])
                    raise TimeoutError(f"no {pattern!r} on the terminal within {timeout} s; "
                                       f"last output: {tail!r}")
                self.cond.wait(min(left, 0.5))

    def size(self) -> int:
        with self.cond:
            return len(self.output)

    def send(self, keys: bytes) -> float:
        os.write(self.master, keys)
        return time.perf_counter()

    def close(self) -> None:
        """`q` (the dashboard's quit key), then the process group if it is still there."""
        if self.proc.poll() is None:
            with contextlib.suppress(OSError):
                os.write(self.master, b"q")
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=8)
        stop_group_sync(self.proc.pid, grace=2.0)
        self.proc.wait()
        self._reader.join(timeout=2)
        os.close(self.master)


def make_repo(base: Path, name: str, services: dict[str, str], env: dict[str, str] | None = None) -> Path:
    """A repo whose `.devctl.yaml` declares each service as `python3 <its script>`."""
    repo = base / name
    repo.mkdir()
    lines = ["services:"]
    for svc, script in services.items():
        (repo / f"{svc}.py").write_text(script)
        lines += [f"  {svc}:", f"    command: [{json.dumps(sys.executable)}, {svc}.py]"]
        if env:
            lines.append("    env: {" + ", ".join(f"{k}: {json.dumps(v)}" for k, v in env.items()) + "}")
    (repo / ".devctl.yaml").write_text("\n".join(lines) + "\n")
    return repo


def devctl(repo: Path, *args: str) -> None:
    subprocess.run([*devctl_argv(), "-C", str(repo), *args], env=bench_env(), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=180)


@contextmanager
def running(repo: Path) -> Iterator[None]:
    devctl(repo, "up")
    try:
        yield
    finally:
        devctl(repo, "down")


def header(repo: Path) -> bytes:
    return f"devctl  ·  {repo.name}".encode()


def first_frame(base: Path, runs: int) -> dict[str, dict[str, list[float]]]:
    """Wall and CPU milliseconds to the first frame (the TUI) or to the exit (the baseline)."""
    repo = make_repo(base, "first-frame", {"idle": SLEEPER})  # not up: the frame says so
    names = ("python -c pass", "devctl tui")
    wall: dict[str, list[float]] = {n: [] for n in names}
    cpu: dict[str, list[float]] = {n: [] for n in names}

    def tui_once() -> None:
        term = Terminal([*devctl_argv(), "-C", str(repo), "tui"], repo)
        try:
            at, _ = term.wait_for(header(repo))
            cpu["devctl tui"].append(cpu_seconds(term.proc.pid) * 1000)
            wall["devctl tui"].append((at - term.started) * 1000)
        finally:
            term.close()

    def python_once() -> None:
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", "pass"], env=bench_env())
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall["python -c pass"].append((time.perf_counter() - start) * 1000)
        cpu["python -c pass"].append((usage.ru_utime + usage.ru_stime) * 1000)

    tui_once(), python_once()  # warm the OS caches and .pyc files
    for values in (*wall.values(), *cpu.values()):
        values.clear()
    for _ in range(runs):
        python_once()
        tui_once()
    return {"wall_ms": wall, "cpu_ms": cpu}


def cpu_seconds(pid: int) -> float:
    t = psutil.Process(pid).cpu_times()
    return t.user + t.system + t.children_user + t.children_system


def idle_cpu(base: Path, services: int, seconds: float) -> dict[str, float]:
    repo = make_repo(base, "idle", {f"svc{i:02d}": SLEEPER for i in range(1, services + 1)})
    with running(repo):
        term = Terminal([*devctl_argv(), "-C", str(repo), "tui"], repo)
        try:
            term.wait_for(header(repo))
            term.wait_for(f"svc{services:02d}".encode())  # the table has every service
            # The TUI runs as `devctl` (the script) or `python -m devctl`: either way the pty's
            # child is the dashboard itself.
            time.sleep(2.0)  # settle: the feed's first samples, the first repaints
            before, t0 = cpu_seconds(term.proc.pid), time.monotonic()
            time.sleep(seconds)
            used, wall = cpu_seconds(term.proc.pid) - before, time.monotonic() - t0
            return {"cpu_s": used, "wall_s": wall, "percent": 100 * used / wall,
                    "output_kib": term.size() / 1024}
        finally:
            term.close()


def keys_under_flood(base: Path, rate: int, keys: int) -> dict[str, object]:
    repo = make_repo(base, "flood", {"flood": FLOOD}, env={"RATE": str(rate)})
    log = repo / ".devctl" / "logs" / "flood.stdout.log"
    with running(repo):
        term = Terminal([*devctl_argv(), "-C", str(repo), "tui"], repo)
        try:
            term.wait_for(header(repo))
            term.send(b"2")  # the logs view: all services (here: the flood), following
            _, offset = term.wait_for(b"flood: line")
            _, offset = term.wait_for(FOLLOWING, offset)
            size0, t0 = log.stat().st_size, time.monotonic()
            latencies: dict[str, list[float]] = {"pause": [], "follow": []}
            for i in range(keys):
                expect, kind = (PAUSED, "pause") if i % 2 == 0 else (FOLLOWING, "follow")
                start_at = term.size()
                sent = term.send(b"f")
                at, _ = term.wait_for(expect, start_at, timeout=30)
                latencies[kind].append((at - sent) * 1000)
            written = (log.stat().st_size - size0) / (time.monotonic() - t0)
            return {"latencies_ms": latencies, "log_bytes_per_s": written}
        finally:
            term.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--runs", type=int, default=15, help="first-frame runs (default 15)")
    parser.add_argument("--services", type=int, default=10, help="services for the idle figure (default 10)")
    parser.add_argument("--seconds", type=float, default=10.0, help="idle measurement (default 10 s)")
    parser.add_argument("--rate", type=int, default=10_000, help="lines/s of the flooding service (10000)")
    parser.add_argument("--keys", type=int, default=20, help="key presses under the flood (default 20)")
    parser.add_argument("--only", choices=["first-frame", "idle", "keys"], help="run one part")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    result: dict[str, object] = {"load_before": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="bench-tui-") as tmp:
        base = Path(tmp)
        if args.only in (None, "first-frame"):
            result["first_frame"] = first_frame(base, args.runs)
        if args.only in (None, "idle"):
            result["idle"] = idle_cpu(base, args.services, args.seconds)
        if args.only in (None, "keys"):
            result["keys"] = keys_under_flood(base, args.rate, args.keys)
    result["load_after"] = os.getloadavg()
    if args.json:
        print(json.dumps(result, indent=2))
        return
    report(result, args)


def report(result: dict[str, object], args: argparse.Namespace) -> None:
    load = result["load_before"]
    print(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (2 cores shared)")  # type: ignore[index]
    if "first_frame" in result:
        ff: dict[str, dict[str, list[float]]] = result["first_frame"]  # type: ignore[assignment]
        print(f"\nfirst frame ({args.runs} runs each, interleaved, {COLS}x{ROWS} pty): "
              "wall to the header drawn (the baseline: to its exit), and CPU (user+sys) until then")
        med = {kind: {k: statistics.median(v) for k, v in by.items()} for kind, by in ff.items()}
        for name in ff["wall_ms"]:
            best = min(ff["wall_ms"][name])
            print(f"  {name:<16} wall median {med['wall_ms'][name]:7.1f} ms (best {best:7.1f})"
                  f"   cpu median {med['cpu_ms'][name]:7.1f} ms")
        tui, base = med["wall_ms"]["devctl tui"], med["wall_ms"]["python -c pass"]
        verdict = "met" if tui < FIRST_FRAME_GOAL_MS else "NOT met"
        print(f"  devctl tui - python -c pass: wall {tui - base:+.1f} ms, cpu "
              f"{med['cpu_ms']['devctl tui'] - med['cpu_ms']['python -c pass']:+.1f} ms (medians); "
              f"goal < {FIRST_FRAME_GOAL_MS:.0f} ms to the first frame: {verdict}")
    if "idle" in result:
        idle: dict[str, float] = result["idle"]  # type: ignore[assignment]
        verdict = "met" if idle["percent"] < IDLE_GOAL_PERCENT else "NOT met"
        print(f"\nidle with {args.services} services: {idle['cpu_s'] * 1000:.0f} ms CPU in "
              f"{idle['wall_s']:.1f} s = {idle['percent']:.2f} % of a core "
              f"({idle['output_kib']:.0f} KiB written to the terminal in all); "
              f"goal < {IDLE_GOAL_PERCENT:.0f} %: {verdict}")
    if "keys" in result:
        keys: dict[str, object] = result["keys"]  # type: ignore[assignment]
        lat: dict[str, list[float]] = keys["latencies_ms"]  # type: ignore[assignment]
        rate = keys["log_bytes_per_s"]
        print(f"\nkeys while a service writes {args.rate} lines/s ({rate / 1e6:.1f} MB/s measured), "  # type: ignore[operator]
              f"logs view following it: `f` x{args.keys}")
        for kind, values in lat.items():
            if values:
                print(f"  {kind:<7} median {statistics.median(values):7.1f} ms   worst {max(values):7.1f} ms")
    load = result["load_after"]
    print(f"\nload average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")  # type: ignore[index]


if __name__ == "__main__":
    main()
