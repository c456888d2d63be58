"""Fixture service: becomes ready after a delay, by creating the file `ready` in its cwd.

Usage: ready_after.py DELAY
An exec health probe (testdata/services/health_probe.py) looks for that file, so readiness is
the service's own, not a port's. A (re)start removes the file first: each run earns its own
readiness. Exits 0 on SIGTERM.
"""

import contextlib
import os
import signal
import sys
import time

delay = float(sys.argv[1])
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
with contextlib.suppress(FileNotFoundError):
    os.remove("ready")
print(f"starting, ready in {delay} s", flush=True)
time.sleep(delay)
with open("ready", "w") as fh:
    fh.write(str(os.getpid()))
print("ready", flush=True)
while True:
    time.sleep(3600)
