"""SIGKILL a state writer in the middle of writing, N times; the state file must always parse.

Usage: state_kill.py STATE_DIR N SEED

A forked child rewrites STATE_DIR/state.json in a loop with devctl's own `write_state`
(generation g, ~1 MB of services so one write takes milliseconds); the parent SIGKILLs it after
a random 0-30 ms, then reads the file with devctl's `read_state`. Each read must give a whole
state, old or new: version 1 and a generation no older than the last one seen. Forking (not
exec) makes a kill cost ~1 ms, so thousands fit in a CI run.

Prints one JSON line: {"kills", "mid_write" (kills that left a temp file: the write was cut),
"generations" (distinct generations seen), "problems"}; exit 1 on any problem.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from devctl.errors import DevctlError  # noqa: E402
from devctl.supervisor.state_store import read_state, write_state  # noqa: E402


def payload(gen: int) -> dict:
    svc = {"name": "svc", "state": "running", "command": ["x" * 200] * 20, "env": {"K": "v" * 100}}
    return {"gen": gen, "services": [dict(svc, name=f"s{gen}-{i}") for i in range(200)]}


def writer(path: Path, start: int) -> None:
    gen = start
    while True:
        gen += 1
        write_state(path, payload(gen))


def main() -> int:
    state_dir, n, seed = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(seed)
    path = state_dir / "state.json"
    write_state(path, payload(0))
    last, gens, mid, problems = 0, set(), 0, []
    for i in range(n):
        pid = os.fork()
        if pid == 0:
            try:
                writer(path, 1_000_000 * (i + 1))
            finally:
                os._exit(0)
        time.sleep(rng.uniform(0, 0.03))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        temps = list(state_dir.glob(".state.*.tmp"))
        mid += bool(temps)
        for t in temps:  # what a half write leaves is a temp file, never a half state.json
            t.unlink()
        try:
            data = read_state(path)
        except DevctlError as exc:
            problems.append(f"kill {i}: {exc}")
            continue
        if data is None or data.get("version") != 1 or len(data.get("services", [])) != 200:
            problems.append(f"kill {i}: incomplete state {str(data)[:100]}")
            continue
        gen = data["gen"]
        if gen < last:
            problems.append(f"kill {i}: generation went back from {last} to {gen}")
        last = gen
        gens.add(gen)
    print(json.dumps({"kills": n, "mid_write": mid, "generations": len(gens), "problems": problems}))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
