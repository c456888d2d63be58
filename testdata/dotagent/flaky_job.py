#!/usr/bin/env python3
"""An agent command: fails (exit 7) while `counter file < N`, then prints a report.

usage: flaky_job.py COUNTER_FILE N [--sleep SECONDS]
"""
import sys
import time
from pathlib import Path

counter, need = Path(sys.argv[1]), int(sys.argv[2])
if "--sleep" in sys.argv:
    time.sleep(float(sys.argv[sys.argv.index("--sleep") + 1]))
runs = int(counter.read_text()) if counter.exists() else 0
counter.write_text(str(runs + 1))
if runs + 1 < need:
    print(f"flaky: run {runs + 1} failing", file=sys.stderr)
    sys.exit(7)
print(f"report: run {runs + 1} ok")
print("line two")
