#!/usr/bin/env python3
"""Valid handshake, then a debug print on stdout in the middle of a request: contamination."""
import json
import sys


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


emit({"type": "handshake", "protocol_version": "v1", "plugin_name": "noisy-after",
      "capabilities": {"ops": ["test.echo"]}})
for line in sys.stdin:
    req = json.loads(line)
    print("about to answer", file=sys.stderr, flush=True)
    print(f"DEBUG got request {req['request_id']} " + "x" * 300, flush=True)
    emit({"type": "response", "request_id": req["request_id"], "ok": True})
