"""Replies correctly, but sleeps before replying. Usage: slow.py DELAY_S [ONLY_FIRST_N]

With ONLY_FIRST_N, only the first N polls are slow (a plugin that recovers), so tests can
check that a late reply never shifts the replies to later polls.
"""
import json
import sys
import time

delay = float(sys.argv[1]) if len(sys.argv) > 1 else 3.0
slow_polls = int(sys.argv[2]) if len(sys.argv) > 2 else 10**9
for polls, line in enumerate(sys.stdin, 1):
    msg = json.loads(line)
    if msg.get("type") == "shutdown":
        break
    if polls <= slow_polls:
        time.sleep(delay)
    print(json.dumps({"panels": [{"id": "slow", "label": "SLOW", "content": [
        {"key": "Seen", "value": str(msg["timestamp_ms"])}]}]}), flush=True)
