"""Answers N polls (default 1), then dies with exit code 3. Usage: crashing.py [N]"""
import json
import sys

limit = int(sys.argv[1]) if len(sys.argv) > 1 else 1
for n, _line in enumerate(sys.stdin, 1):
    print(json.dumps({"metrics": [{"id": "crash.polls", "label": "n", "value": n, "unit": ""}]}), flush=True)
    if n >= limit:
        print("crashing on purpose", file=sys.stderr, flush=True)
        sys.exit(3)
