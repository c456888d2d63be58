"""Fixture service: writes N numbered lines to stdout as fast as it can, then idles.

Usage: numbered_lines.py N [--exit]   (--exit: exit 0 when done instead of idling)
"""

import sys
import time

n = int(sys.argv[1])
out = sys.stdout
for i in range(1, n + 1):
    out.write(f"line {i}\n")
out.flush()
print(f"wrote {n} lines", file=sys.stderr, flush=True)
if "--exit" in sys.argv:
    sys.exit(0)
while True:
    time.sleep(3600)
