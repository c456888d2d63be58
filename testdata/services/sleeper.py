"""Fixture service: prints one line, then sleeps until signalled (a trivial service)."""

import signal
import sys
import time

signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
print("sleeping", flush=True)
while True:
    time.sleep(3600)
