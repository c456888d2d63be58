"""Answers the first poll with a 2 MiB line (over the host's 1 MiB cap), then waits."""
import json
import sys
import time

sys.stdin.readline()
sys.stdout.write(json.dumps({"panels": [{"id": "big", "label": "x" * (2 * 1024 * 1024)}]}) + "\n")
sys.stdout.flush()
time.sleep(60)
