"""A well-behaved Dofek plugin: one reply per poll, manifest first, exits on shutdown.

Echoes each poll's timestamp_ms in its panel so tests can prove replies match their polls.
Usage: ok.py [NAME]
"""
import json
import os
import sys

name = sys.argv[1] if len(sys.argv) > 1 else "ok"
polls = 0
for line in sys.stdin:
    try:
        msg = json.loads(line)
    except ValueError:
        continue
    if msg.get("type") == "shutdown":
        break
    polls += 1
    reply = {
        "status": "ok",
        "panels": [{"id": f"{name}-main", "label": name.upper(), "content": [
            {"key": "Polls", "value": str(polls), "style": "accent"},
            {"key": "Seen", "value": str(msg.get("timestamp_ms")), "style": "dim"},
        ]}],
        "process_annotations": [{"pid": os.getpid(), "label": f"{name} plugin", "category": "watch"}],
        "metrics": [{"id": f"{name}.processes", "label": "Procs", "value": len(msg.get("processes", [])),
                     "unit": ""}],
    }
    if polls == 1:
        reply["manifest"] = {"name": name, "version": "1.0.0", "description": "test", "author": "tests"}
    print(f"poll {polls}", file=sys.stderr)
    print(json.dumps(reply), flush=True)
