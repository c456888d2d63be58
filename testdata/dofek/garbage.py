"""Prints a debug line on stdout after each valid reply (the classic "print instead of log")."""
import json
import sys

for line in sys.stdin:
    if json.loads(line).get("type") == "shutdown":
        break
    print(json.dumps({"metrics": [{"id": "garbage.ok", "label": "ok", "value": 1, "unit": ""}]}))
    print("DEBUG: handled a poll, all good!!", flush=True)
