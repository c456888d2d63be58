#!/usr/bin/env python3
"""Declares two ops but implements one: the other gets ok:false E_UNSUPPORTED, as the spec shows."""
import json
import sys


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


emit({"type": "handshake", "protocol_version": "v1", "plugin_name": "unsupported",
      "capabilities": {"ops": ["test.known", "build.run"]}})
for line in sys.stdin:
    req = json.loads(line)
    if req["op"] == "test.known":
        emit({"type": "response", "request_id": req["request_id"], "ok": True, "output": {"known": True}})
    else:
        print(f"no handler for {req['op']}", file=sys.stderr, flush=True)
        emit({"type": "response", "request_id": req["request_id"], "ok": False,
              "error": {"code": "E_UNSUPPORTED", "message": f"unsupported op: {req['op']}"}})
