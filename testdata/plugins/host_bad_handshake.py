#!/usr/bin/env python3
"""Its first frame is JSON but not a v1 handshake: argv[1] picks how (v2, ops-string, response)."""
import json
import sys

kind = sys.argv[1] if len(sys.argv) > 1 else "v2"
frames = {
    "v2": {"type": "handshake", "protocol_version": "v2", "plugin_name": "bad",
           "capabilities": {"ops": ["x"]}},
    "ops-string": {"type": "handshake", "protocol_version": "v1", "plugin_name": "bad",
                   "capabilities": {"ops": "config.mutate"}},
    "response": {"type": "response", "request_id": "1", "ok": True},
}
sys.stdout.write(json.dumps(frames[kind]) + "\n")
sys.stdout.flush()
for _line in sys.stdin:
    pass
