#!/usr/bin/env python3
"""A plugin the Go devctl accepts: it writes a blank stdout line before every response (a bare
print()). devctl skips blank lines with a warning (E_BLANK_LINE); --strict refuses them."""
import json
import sys

print(json.dumps({"type": "handshake", "protocol_version": "v1", "plugin_name": "blank-lines",
                  "capabilities": {"ops": ["config.mutate"]}}), flush=True)
for line in sys.stdin:
    req = json.loads(line)
    print(flush=True)
    if req["op"] == "config.mutate":
        out = {"type": "response", "request_id": req["request_id"], "ok": True,
               "output": {"config_patch": {"set": {"blank.seen": True}}}}
    else:
        out = {"type": "response", "request_id": req["request_id"], "ok": False,
               "error": {"code": "E_UNSUPPORTED", "message": f"unsupported op: {req['op']}"}}
    print(json.dumps(out), flush=True)
