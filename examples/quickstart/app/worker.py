"""Quickstart worker: every second, records a tick the web app can show."""

import json
import os
import signal
import sys
import time

DATA_DIR = os.environ.get("DATA_DIR", ".data")
running = True


def stop(signum, frame):
    global running
    running = False


signal.signal(signal.SIGTERM, stop)
os.makedirs(DATA_DIR, exist_ok=True)
tick = 0
while running:
    tick += 1
    tmp = os.path.join(DATA_DIR, "tick.json.tmp")
    with open(tmp, "w") as fh:
        json.dump({"tick": tick, "at": time.time()}, fh)
    os.replace(tmp, os.path.join(DATA_DIR, "tick.json"))
    print(f"worker: tick {tick}", flush=True)
    time.sleep(1)
print("worker: stopping", file=sys.stderr, flush=True)
