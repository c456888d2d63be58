#!/usr/bin/env python3
"""A handshake without capabilities.ops, which the Go devctl reads as "no ops": devctl accepts it
with a warning (E_NO_OPS); --strict refuses it. It answers anything with E_UNSUPPORTED."""
import json
import sys

print(json.dumps({"type": "handshake", "protocol_version": "v1", "plugin_name": "no-ops",
                  "capabilities": {}}), flush=True)
for line in sys.stdin:
    req = json.loads(line)
    print(json.dumps({"type": "response", "request_id": req["request_id"], "ok": False,
                      "error": {"code": "E_UNSUPPORTED", "message": f"unsupported op: {req['op']}"}}),
          flush=True)
