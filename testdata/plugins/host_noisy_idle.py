#!/usr/bin/env python3
"""Valid handshake, then at once a debug print on stdout (contamination), before any request.

It declares only validate.run, so `devctl plan` never asks it anything: the contamination must
still be reported (a warning; an error under --strict, or when a command needs the plugin).
"""
import json
import sys

print(json.dumps({"type": "handshake", "protocol_version": "v1", "plugin_name": "noisy-idle",
                  "capabilities": {"ops": ["validate.run"]}}), flush=True)
print("DEBUG connected to the metrics daemon", flush=True)
for line in sys.stdin:
    req = json.loads(line)
    print(json.dumps({"type": "response", "request_id": req["request_id"], "ok": True,
                      "output": {"valid": True}}), flush=True)
