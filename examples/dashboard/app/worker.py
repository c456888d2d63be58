"""A background job: one tick a second, a warning every tenth."""

import signal
import sys
import time

signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
tick = 0
while True:
    tick += 1
    if tick % 10 == 0:
        print(f"worker: WARNING tick {tick} took longer than usual", file=sys.stderr, flush=True)
    else:
        print(f"worker: tick {tick}", flush=True)
    time.sleep(1)
