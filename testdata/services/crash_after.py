"""Fixture service: runs for S seconds, then exits with CODE (default 3) after a line on stderr.

Usage: crash_after.py S [CODE]
"""

import sys
import time

seconds = float(sys.argv[1])
code = int(sys.argv[2]) if len(sys.argv) > 2 else 3
print("up", flush=True)
time.sleep(seconds)
print(f"crashing with code {code}", file=sys.stderr, flush=True)
sys.exit(code)
