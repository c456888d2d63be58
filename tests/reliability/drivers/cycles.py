"""Drive N `up`/`down` cycles of 5 real services through the real supervisor, as fast as it goes.

Usage: cycles.py REPO_ROOT N [--grace S]

Each cycle does what `devctl up` does after the pipeline (check the plan, fork the detached
supervisor, wait on its event stream until every service is ready) and then what `devctl down`
does, in this one process: that skips an interpreter start and the plugin pipeline per cycle
but exercises the same supervisor, socket, state file and stop path. One service forks a child
and a grandchild that calls setsid (tree_listen.py); every service has a TCP health
check, so readiness is noticed within milliseconds and a cycle costs well under a second.

After every `down` it checks that every pid seen (the state file's pids and descendants, and
the pids the fork tree wrote itself) is gone and that no socket, lock or state file is left.
Prints one JSON line: {"cycles", "leaks", "stale", "up_s": [...], "down_s": [...]}; exit 1 on
any leak or stale file.
"""

from __future__ import annotations

import json
import socket
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "testdata" / "reliability"
SERVICES = ROOT / "testdata" / "services"
sys.path.insert(0, str(ROOT))

from devctl.procs.pids import pid_alive  # noqa: E402
from devctl.supervisor import client, daemon  # noqa: E402
from devctl.supervisor import up as up_core  # noqa: E402
from devctl.supervisor.paths import Paths  # noqa: E402
from devctl.supervisor.state_store import read_state  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def plan(pidfile: Path) -> list[dict]:
    """5 services, all with a TCP health check (ready within milliseconds, no settle time)."""
    py = sys.executable

    def tcp(name: str, script: Path, *args: str, port: int, **extra) -> dict:
        return {"name": name, "command": [py, str(script), str(port), *args],
                "health": {"type": "tcp", "address": f"127.0.0.1:{port}", "timeout_ms": 20000}, **extra}

    return [
        tcp("tree", FIXTURES / "tree_listen.py", str(pidfile), port=free_port()),
        tcp("a", SERVICES / "tcp_listen.py", port=free_port()),
        tcp("b", SERVICES / "tcp_listen.py", port=free_port(), depends_on=["a"]),
        tcp("c", SERVICES / "tcp_listen.py", port=free_port(), env={"API_TOKEN": "x"}),
        tcp("d", SERVICES / "tcp_listen.py", port=free_port()),
    ]


def wait_lines(path: Path, n: int, timeout: float = 20.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            lines = path.read_text().splitlines()
            if len(lines) >= n:
                return lines
        time.sleep(0.01)
    raise SystemExit(f"{path}: fewer than {n} lines after {timeout} s")


def one_cycle(root: Path, i: int, grace: float | None) -> tuple[list[str], list[str], float, float]:
    paths = Paths(root)
    pidfile = root / f"tree.{i}.pids"
    services = up_core.prepare(plan(pidfile), root)
    names = [s["name"] for s in services]
    t0 = time.monotonic()
    daemon.launch(services, root)
    failed = up_core.wait(paths, names, lambda _r: None)
    if failed is not None:
        raise SystemExit(f"cycle {i}: {up_core.failure(paths, failed)}")
    t_up = time.monotonic() - t0
    seen: dict[int, tuple[str, float | None]] = {}
    for line in wait_lines(pidfile, 3):
        role, pid = line.split()
        seen[int(pid)] = (f"tree/{role}", None)
    state = read_state(paths.state) or {}
    for svc in state.get("services", []):
        seen[svc["pid"]] = (svc["name"], svc["create_time"])
        for pid, ct in svc.get("descendants", []):
            seen[pid] = (f"{svc['name']}/descendant", ct)
    sup = state.get("supervisor", {})
    seen[sup["pid"]] = ("supervisor", sup["create_time"])
    t1 = time.monotonic()
    client.down(paths, grace)
    t_down = time.monotonic() - t1
    # `down` returns once the supervisor let go of its lock; its process exits a moment later.
    sup_pid, sup_ct = sup["pid"], sup["create_time"]
    deadline = time.monotonic() + 2.0
    while pid_alive(sup_pid, sup_ct) and time.monotonic() < deadline:
        time.sleep(0.005)
    leaks = [f"cycle {i}: {who} {pid}" for pid, (who, ct) in seen.items() if pid_alive(pid, ct)]
    stale = [f"cycle {i}: {p.name}" for p in (paths.state, paths.sock, paths.lock) if p.exists()]
    pidfile.unlink()
    return leaks, stale, t_up, t_down


def main() -> int:
    root, n = Path(sys.argv[1]).resolve(), int(sys.argv[2])
    grace = float(sys.argv[sys.argv.index("--grace") + 1]) if "--grace" in sys.argv else None
    leaks: list[str] = []
    stale: list[str] = []
    ups: list[float] = []
    downs: list[float] = []
    for i in range(n):
        lk, st, t_up, t_down = one_cycle(root, i, grace)
        leaks += lk
        stale += st
        ups.append(round(t_up, 4))
        downs.append(round(t_down, 4))
    print(json.dumps({"cycles": n, "leaks": leaks, "stale": stale, "up_s": ups, "down_s": downs}))
    return 1 if leaks or stale else 0


if __name__ == "__main__":
    sys.exit(main())
