#!/usr/bin/env python3
"""Reading log files without newlines: every reader must be linear (issue 12, item 8).

    python bench/bench_logs.py [--sizes 10,40,100] [--json]

For each size (MB) a file of that many bytes with no newline at all is written, and timed:

* baseline   — reading the file once in 1 MiB blocks (the I/O floor, measured in the same run);
* tail       — `logs.tail_lines(path, 50)`: `devctl logs` without -f, and what `up` shows of a
               failing service's stderr (the quadratic reader before the fix: 12 s at 40 MB);
* generations — `logs.tail_generations(path, 50)`: `devctl logs -n 50`;
* follow     — `logs._Source.poll()` from the start of the file until it is drained (`logs -f`, `up -a`);
* all        — `logs.all_lines(path)` (`logs --tail 0`);
* stderr tail — `procs.tails.StderrTail.feed` over the same bytes in 64 KiB chunks (plugin stderr);
* cli        — `python -m devctl logs svc` end to end on a repo holding the file (includes start-up).

Linear means each column grows like the baseline, 10 → 40 → 100 MB.

Then the log writer's throughput (`logs: {timestamps: true, max_size: 64MiB}`): the same
lines (80 bytes each) written straight to a file (what a service without `logs:` does) and
through a pipe into a real `python -m devctl.supervisor.logwriter` process.
Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devctl.procs.tails import StderrTail  # noqa: E402
from devctl.supervisor import logs, logwriter  # noqa: E402

MB = 1024 * 1024


def _timed(fn) -> float:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _baseline(path: Path) -> None:
    with open(path, "rb") as fh:
        while fh.read(MB):
            pass


def _follow(path: Path) -> None:
    src = logs._Source("svc", path)
    src.open(at_end=False)
    while True:
        src.poll()
        if not src.active:
            break
    src.close()


def _stderr_tail(path: Path) -> None:
    tail = StderrTail()
    with open(path, "rb") as fh:
        while chunk := fh.read(65536):
            tail.feed(chunk)
    tail.flush()


def _cli(repo: Path) -> None:
    subprocess.run([sys.executable, "-m", "devctl", "logs", "svc", "--stdout"], cwd=repo, check=True,
                   stdout=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(ROOT)})


def measure(size_mb: int, workdir: Path) -> dict[str, float]:
    repo = workdir / f"repo{size_mb}"
    logdir = repo / ".devctl" / "logs"
    logdir.mkdir(parents=True)
    (repo / ".devctl.yaml").write_text("plugins: []\n")
    path = logdir / "svc.stdout.log"
    block = b"x" * MB
    with open(path, "wb") as fh:
        for _ in range(size_mb):
            fh.write(block)
    row = {
        "baseline": _timed(lambda: _baseline(path)),
        "tail": _timed(lambda: logs.tail_lines(path, 50)),
        "generations": _timed(lambda: logs.tail_generations(path, 50)),
        "follow": _timed(lambda: _follow(path)),
        "all": _timed(lambda: list(logs.all_lines(path))),
        "stderr_tail": _timed(lambda: _stderr_tail(path)),
        "cli": _timed(lambda: _cli(repo)),
    }
    path.unlink()
    return row


def writer_throughput(size_mb: int, workdir: Path) -> dict[str, float]:
    """MB/s writing `size_mb` of 80-byte lines to a file directly, and through the log writer."""
    line = b"x" * 79 + b"\n"
    block = line * (65536 // len(line))
    blocks = size_mb * MB // len(block)
    direct = workdir / "direct.log"
    t0 = time.perf_counter()
    fd = os.open(direct, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    for _ in range(blocks):
        os.write(fd, block)
    os.close(fd)
    t_direct = time.perf_counter() - t0
    r, w = os.pipe()
    path = workdir / "written.log"
    opts = {"timestamps": True, "max_size": 64 * MB, "keep": 100}
    t0 = time.perf_counter()
    proc = subprocess.Popen(logwriter.argv([(r, path)], opts), pass_fds=[r],
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    os.close(r)
    for _ in range(blocks):
        os.write(w, block)
    os.close(w)
    proc.wait()
    t_writer = time.perf_counter() - t0
    mb = blocks * len(block) / MB
    return {"MB": round(mb, 1), "direct_MBps": round(mb / t_direct), "writer_MBps": round(mb / t_writer)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,40,100", help="File sizes in MB, comma-separated.")
    parser.add_argument("--json", action="store_true", help="Print the numbers as JSON.")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        rows = {size: measure(size, Path(tmp)) for size in sizes}
        writer = writer_throughput(max(sizes), Path(tmp))
    if args.json:
        print(json.dumps({"readers": rows, "writer": writer}, indent=2))
        return
    cols = list(next(iter(rows.values())))
    print("seconds to read a log file with no newline (lower is better; linear = grows like baseline)")
    print(f"{'MB':>5} " + " ".join(f"{c:>12}" for c in cols))
    for size, row in rows.items():
        print(f"{size:>5} " + " ".join(f"{row[c]:>12.3f}" for c in cols))
    print(f"\nlog writer, {writer['MB']} MB of 80-byte lines: straight to the file "
          f"{writer['direct_MBps']} MB/s, through the writer (timestamps + rotation) "
          f"{writer['writer_MBps']} MB/s")


if __name__ == "__main__":
    main()
