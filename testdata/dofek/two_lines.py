"""Answers every poll with two response lines instead of one."""
import json
import sys

for line in sys.stdin:
    if json.loads(line).get("type") == "shutdown":
        break
    reply = json.dumps({"metrics": [{"id": "two.lines", "label": "two", "value": 2, "unit": ""}]})
    print(reply)
    print(reply, flush=True)
