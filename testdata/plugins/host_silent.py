#!/usr/bin/env python3
"""Handshakes, reads every request and never answers any (exits when stdin closes)."""
import json
import sys

sys.stdout.write(json.dumps({"type": "handshake", "protocol_version": "v1", "plugin_name": "silent",
                             "capabilities": {"ops": ["config.mutate"]}}) + "\n")
sys.stdout.flush()
for line in sys.stdin:
    print(f"ignoring a request of {len(line)} bytes", file=sys.stderr, flush=True)
