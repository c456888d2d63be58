"""Fixture service: writes numbered lines as fast as it can for S seconds, then idles.

Usage: flood.py SECONDS [RATE_MB_S [DELAY_S]]
Each line is "<n> <padding>\n", 100 bytes, so `logs -f` can check every line arrives, in
order. With RATE_MB_S the writer paces itself (checked every 1000 lines); without, it goes
flat out (a rate of 0 also means flat out). With DELAY_S it waits that long before the first
line, so a follower started after `up` returned is there from the start. At the end it prints
"wrote N lines in T s" on stderr.
"""

import sys
import time

seconds = float(sys.argv[1])
rate = float(sys.argv[2]) * 1e6 if len(sys.argv) > 2 else 0.0
time.sleep(float(sys.argv[3]) if len(sys.argv) > 3 else 0.0)
pad = "x" * 90
out = sys.stdout.buffer
start = time.monotonic()
n = 0
while True:
    now = time.monotonic() - start
    if now >= seconds:
        break
    if rate and n * 100 > rate * now:
        time.sleep(0.001)
        continue
    out.write(b"".join(b"%09d %s\n" % (n + i, pad.encode()) for i in range(1, 1001)))
    n += 1000
out.flush()
took = time.monotonic() - start
print(f"wrote {n} lines in {took:.2f} s ({n * 100 / took / 1e6:.1f} MB/s)", file=sys.stderr, flush=True)
while True:
    time.sleep(3600)
