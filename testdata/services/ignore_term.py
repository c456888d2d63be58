"""Fixture service: ignores SIGTERM (and SIGINT); only SIGKILL ends it."""

import signal
import sys
import time

signal.signal(signal.SIGTERM, signal.SIG_IGN)
signal.signal(signal.SIGINT, signal.SIG_IGN)
print("ignoring SIGTERM", flush=True)
sys.stdout.flush()
while True:
    time.sleep(3600)
