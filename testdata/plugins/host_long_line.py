#!/usr/bin/env python3
"""Answers with a 2 MiB response line (over devctl's 1 MiB limit)."""
import json
import sys

sys.stdout.write(json.dumps({"type": "handshake", "protocol_version": "v1", "plugin_name": "long-line",
                             "capabilities": {"ops": ["test.big"]}}) + "\n")
sys.stdout.flush()
for line in sys.stdin:
    req = json.loads(line)
    blob = "x" * (2 * 1024 * 1024)
    sys.stdout.write(json.dumps({"type": "response", "request_id": req["request_id"], "ok": True,
                                 "output": {"blob": blob}}) + "\n")
    sys.stdout.flush()
