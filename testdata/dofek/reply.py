"""Answers every poll with the JSON given as its argument (for `check` findings tests)."""
import sys

reply = sys.argv[1]
for line in sys.stdin:
    if '"shutdown"' in line:
        break
    print(reply, flush=True)
