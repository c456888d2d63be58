"""SIGKILL the supervisor at a random moment during `up`, a restart or `down`; then check.

Usage: kill_supervisor.py REPO_ROOT PHASE N SEED      PHASE: up | restart | down

Each trial starts 5 services (one forks a child and a setsid grandchild) with the real
supervisor, as cycles.py does, and SIGKILLs the supervisor at a random moment of PHASE:
- up:      0-400 ms after the supervisor is listening (services spawning, probing, settling);
- restart: 0-400 ms into a `restart` of every service (stopping and starting);
- down:    0-150 ms into `down` (the supervisor is stopping services).
Then it checks what a user relies on:
1. `status` (client.read_status, what `devctl status` prints) says the supervisor is not
   running and never calls a service live whose process is gone, nor dead whose process runs;
2. `down` (client.down) stops everything: no process that inherited this trial's marker
   (an env var every service and descendant inherits) is left, no socket, lock or state file.
Prints one JSON line {"phase", "trials", "problems": [...], "delays_ms": [...]}; exit 1 on problems.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sys
import threading
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))
sys.path.insert(0, str(HERE))

from cycles import plan  # noqa: E402

from devctl.errors import DevctlError  # noqa: E402
from devctl.procs.groups import signal_pids  # noqa: E402
from devctl.procs.pids import pid_alive, with_env  # noqa: E402
from devctl.supervisor import client, daemon  # noqa: E402
from devctl.supervisor import up as up_core  # noqa: E402
from devctl.supervisor.paths import Paths  # noqa: E402

LIVE = {"starting", "running", "healthy", "unhealthy", "stopping"}


def marked(marker: str) -> list[int]:
    """Live processes whose environment carries TRIAL_MARKER=marker (however they detached)."""
    return with_env("TRIAL_MARKER", marker)


def trial(root: Path, phase: str, i: int, rng: random.Random) -> tuple[list[str], int]:
    paths = Paths(root)
    marker = uuid.uuid4().hex
    os.environ["TRIAL_MARKER"] = marker
    pidfile = root / f"tree.{i}.pids"
    services = up_core.prepare(plan(pidfile), root)
    names = [s["name"] for s in services]
    sup = daemon.launch(services, root)
    problems: list[str] = []
    delay = rng.uniform(0, 0.15 if phase == "down" else 0.4)
    worker_error: list[BaseException] = []

    def run(fn) -> threading.Thread:
        def body() -> None:
            try:
                fn()
            except DevctlError as exc:  # a clear error is an acceptable answer to a killed peer
                worker_error.append(exc)
            except BaseException as exc:  # noqa: BLE001 - reported as a problem below
                worker_error.append(exc)
                problems.append(f"trial {i}: {phase} raised {type(exc).__name__}: {exc}")
        t = threading.Thread(target=body, daemon=True)
        t.start()
        return t

    worker = None
    if phase != "up":
        failed = up_core.wait(paths, names, lambda _r: None)
        if failed is not None:
            return [f"trial {i}: setup failed: {failed.get('error')}"], 0
        if phase == "restart":
            worker = run(lambda: client.request(paths, "restart", services=[], wait_s=30, timeout=60))
        else:
            worker = run(lambda: client.down(paths))
    time.sleep(delay)
    os.kill(sup, signal.SIGKILL)
    if worker is not None:
        worker.join(60)
        if worker.is_alive():
            problems.append(f"trial {i}: {phase} still blocked 60 s after the supervisor died")
    deadline = time.monotonic() + 5
    while client.is_running(paths) and time.monotonic() < deadline:
        time.sleep(0.01)

    problems += truth_problems(paths, i)

    client.down(paths, 1.0)
    deadline = time.monotonic() + 3
    while (left := marked(marker)) and time.monotonic() < deadline:
        time.sleep(0.02)
    if left:
        problems.append(f"trial {i}: after down, still running: {describe(left)}")
        signal_pids(left, signal.SIGKILL)  # leave the machine clean for the next trial
    for p in (paths.state, paths.sock, paths.lock):
        if p.exists():
            problems.append(f"trial {i}: {p.name} left after down")
    pidfile.unlink(missing_ok=True)
    return problems, round(delay * 1000)


def truth_problems(paths: Paths, i: int) -> list[str]:
    """What `status` gets wrong about the processes. A service that the killed supervisor had
    just signalled may die between the read and the check: a mismatch counts only if it is
    still there on a fresh read (up to 3 reads, 100 ms apart)."""
    for _ in range(3):
        found = []
        snap = client.read_status(paths)
        if snap["supervisor"]["running"]:
            found.append(f"trial {i}: status says the supervisor runs")
        for s in snap["services"]:
            running = pid_alive(s.get("pid"), s.get("create_time"))
            said = s["state"] in LIVE
            if said and not running:
                found.append(f"trial {i}: status calls {s['name']} {s['state']}, pid {s.get('pid')} is gone")
            if running and not said:
                found.append(f"trial {i}: status calls {s['name']} {s['state']} but pid {s['pid']} runs")
        if not found:
            return []
        time.sleep(0.1)
    return found


def describe(pids: list[int]) -> str:
    out = []
    for pid in pids:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                cmd = fh.read().replace(b"\0", b" ").decode(errors="replace")[-60:]
        except OSError:
            cmd = "?"
        out.append(f"{pid} {cmd}")
    return "; ".join(out)


def main() -> int:
    root, phase, n, seed = Path(sys.argv[1]).resolve(), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    rng = random.Random(seed)
    problems: list[str] = []
    delays = []
    for i in range(n):
        p, d = trial(root, phase, i, rng)
        problems += p
        delays.append(d)
    print(json.dumps({"phase": phase, "trials": n, "seed": seed, "problems": problems, "delays_ms": delays}))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
