"""Reads polls and never answers (a deadlocked plugin). Exits on shutdown like a good citizen."""
import json
import sys

for line in sys.stdin:
    if json.loads(line).get("type") == "shutdown":
        break
