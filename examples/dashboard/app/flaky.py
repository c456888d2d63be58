"""Crashes now and then: runs FLAKY_MIN_S..FLAKY_MAX_S seconds, then exits 1 with an error.

devctl restarts it (restart: on-failure) with backoff; the TUI shows the restarts, the
`exited`/`restarting` events and the error at the end of its stderr log."""

import os
import random
import signal
import sys
import time

signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
low = float(os.environ.get("FLAKY_MIN_S", "20"))
high = float(os.environ.get("FLAKY_MAX_S", "40"))
lifetime = random.uniform(low, max(low, high))
print(f"flaky: up, pid {os.getpid()}; will crash in {lifetime:.0f} s", flush=True)
deadline = time.monotonic() + lifetime
while time.monotonic() < deadline:
    print("flaky: working", flush=True)
    time.sleep(min(2.0, max(0.0, deadline - time.monotonic())))
print("flaky: ERROR lost the connection to the queue; giving up", file=sys.stderr, flush=True)
sys.exit(1)
