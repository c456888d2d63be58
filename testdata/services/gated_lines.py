"""Fixture service: writes lines 1..N, waits for a gate file, writes N+1..2N, then idles.

Usage: gated_lines.py N GATE_PATH

A test can do something (kill the supervisor) between the two halves and then check that
every line arrived. The wait for the gate is bounded (60 s), then it writes anyway.
"""

import os
import signal
import sys
import time

signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
n, gate = int(sys.argv[1]), sys.argv[2]
out = sys.stdout
for i in range(1, n + 1):
    out.write(f"line {i}\n")
out.flush()
deadline = time.monotonic() + 60
while not os.path.exists(gate) and time.monotonic() < deadline:
    time.sleep(0.01)
for i in range(n + 1, 2 * n + 1):
    out.write(f"line {i}\n")
out.flush()
while True:
    time.sleep(3600)
