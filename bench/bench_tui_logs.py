#!/usr/bin/env python3
"""The logs view's reading side on a 1 GiB log (issue 16: "works on a 1 GB log without loading it").

    python bench/bench_tui_logs.py [--size-mb 1024] [--sparse] [--json]

A log of that size is written to a temporary directory (100-byte numbered lines, a few `ERROR`
lines and one rare word near the start; `--sparse`: a hole with 100 lines at its end, no disk
used) and deleted afterwards. Timed, each with wall and CPU time and the process's resident memory:

* baseline   — reading the file once in 1 MiB blocks (the I/O floor, same run, page cache warm);
* open       — `Window` + the first 60 lines from the end: what the view does to show the file;
* scroll     — 100 pages of 60 lines further back (`read_older`), as PageUp does;
* first error — `first_match(ERRORS)` from the start of the file (`e`);
* search     — `last_match` for the rare word from the end, i.e. a scan of almost the whole file
               backwards in 32 MiB budgets (`/word` then `N`, or a filter with few matches);
* filter     — `Window(match=...)` reading back a screen of a word that never occurs: the whole
               file, budget by budget, as the view's filter worker does.

With `--idle`: instead, the CPU the view takes while nothing is written, following all of 10
services' logs (20 files) for 10 s in a headless app, against the same app with an empty widget.

Nothing is asserted; the figures go in the report with the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devctl.tui import logsource as ls  # noqa: E402

MB = 1024 * 1024


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / MB


def timed(name: str, fn, out: dict) -> object:  # type: ignore[no-untyped-def,type-arg]
    c0, t0 = time.process_time(), time.perf_counter()
    result = fn()
    out[name] = {"wall_ms": round((time.perf_counter() - t0) * 1000, 1),
                 "cpu_ms": round((time.process_time() - c0) * 1000, 1), "rss_mb": round(rss_mb(), 1)}
    return result


def write_log(path: Path, size: int, sparse: bool) -> int:
    tail = b"".join(b"%09d %s\n" % (i, b"y" * 89) for i in range(100))
    if sparse:
        with open(path, "wb") as fh:
            fh.write(b"000000000 the rare word\n")
            fh.truncate(size)
            fh.seek(size)
            fh.write(b"\n" + tail)
        return size // 100
    block = bytearray()
    n = 0
    with open(path, "wb") as fh:
        fh.write(b"000000000 the rare word\n")
        written = 0
        while written < size:
            block.clear()
            for _ in range(10_000):
                n += 1
                word = b"ERROR db" if n % 1_000_003 == 0 else b"ok"
                block += b"%09d %s %s\n" % (n, word, b"x" * (87 - len(word)))
            fh.write(block)
            written += len(block)
    return n


def idle(seconds: float = 10.0) -> dict:  # type: ignore[type-arg]
    import asyncio

    from textual.app import App, ComposeResult
    from textual.widgets import Static

    from devctl.tui.context import TuiContext
    from devctl.tui.logs_view import LogsView

    out: dict = {"load": os.getloadavg()[0], "seconds": seconds}  # type: ignore[type-arg]
    with tempfile.TemporaryDirectory() as tmp:
        logs = Path(tmp) / ".devctl" / "logs"
        logs.mkdir(parents=True)
        for i in range(10):
            for stream in ("stdout", "stderr"):
                (logs / f"svc{i}.{stream}.log").write_text("".join(f"line {k}\n" for k in range(100)))
        ctx = TuiContext(Path(tmp), None)

        class Host(App[None]):
            def __init__(self, view: bool) -> None:
                super().__init__()
                self.view = view

            def compose(self) -> ComposeResult:
                yield LogsView(ctx) if self.view else Static("idle")

        async def run(view: bool) -> float:
            app = Host(view)
            async with app.run_test(size=(120, 40)) as pilot:
                await pilot.pause(1.0)
                c0 = time.process_time()
                await asyncio.sleep(seconds)
                return time.process_time() - c0

        for name, view in (("bare_app", False), ("logs_view_10_services", True),
                           ("bare_app_again", False), ("logs_view_again", True)):
            cpu = asyncio.run(run(view))
            out[name] = {"cpu_s": round(cpu, 3), "percent_of_a_core": round(100 * cpu / seconds, 2)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mb", type=int, default=1024)
    ap.add_argument("--sparse", action="store_true")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--idle", action="store_true")
    args = ap.parse_args()
    if args.idle:
        print(json.dumps(idle(), indent=None if args.json else 2))
        return
    out: dict = {"size_mb": args.size_mb, "sparse": args.sparse, "load": os.getloadavg()[0]}  # type: ignore[type-arg]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.stdout.log"
        t0 = time.perf_counter()
        lines = write_log(path, args.size_mb * MB, args.sparse)
        out["write_s"] = round(time.perf_counter() - t0, 1)
        out["lines"] = lines
        out["rss_before_mb"] = round(rss_mb(), 1)

        def baseline() -> None:
            with open(path, "rb") as fh:
                while fh.read(MB):
                    pass

        if not args.sparse:
            timed("baseline", baseline, out)
        chain = ls.Chain(path)
        window = ls.Window([chain])
        timed("open", lambda: window.apply(window.read_older(60)), out)
        out["open_shows"] = window.lines[-1].text[:9]

        def scroll() -> None:
            for _ in range(100):
                window.apply(window.read_older(60))

        timed("scroll_100_pages", scroll, out)
        if not args.sparse:
            hit = timed("first_error", lambda: ls.first_match([chain], ls.ERRORS, [ls.Pos(0, 0)]), out)
            out["first_error_line"] = hit.text[:20] if isinstance(hit, ls.Line) else None
        found = timed("search_rare_from_end", lambda: ls.last_match([chain], ls.text_needle("rare word"),
                                                                    [chain.end()]), out)
        out["search_found"] = isinstance(found, ls.Line)
        if not args.sparse:
            filt = ls.Window([chain], match=ls.text_needle("never there"))

            def scan() -> int:
                calls = 0
                while not filt.at_start() and calls < 10_000:
                    filt.apply(filt.read_older(60))
                    calls += 1
                return calls

            out["filter_calls"] = timed("filter_nothing_whole_file", scan, out)
        out["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        chain.close()
    if args.json:
        print(json.dumps(out))
        return
    for k, v in out.items():
        print(f"{k:28} {v}")


if __name__ == "__main__":
    main()
