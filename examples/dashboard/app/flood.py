"""Floods its log: FLOOD_RATE lines a second in small bursts, an ERROR line every 5000th.

For trying the TUI's log view under load (follow, filter, search, first error) and the log
rotation (`logs: max_size` in .devctl.yaml)."""

import os
import signal
import sys
import time

signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
rate = max(1, int(os.environ.get("FLOOD_RATE", "2000")))
burst = max(1, rate // 100)  # 100 bursts a second
out = sys.stdout
n = 0
next_at = time.monotonic()
while True:
    lines = []
    for _ in range(burst):
        n += 1
        if n % 5000 == 0:
            lines.append(f"flood: ERROR line {n}: checksum mismatch in batch {n // 5000}\n")
        else:
            lines.append(f"flood: line {n} payload={n * 2654435761 % 4294967296:08x}\n")
    out.write("".join(lines))
    out.flush()
    next_at += burst / rate
    delay = next_at - time.monotonic()
    if delay > 0:
        time.sleep(delay)
    else:
        next_at = time.monotonic()  # behind: never burst to catch up
