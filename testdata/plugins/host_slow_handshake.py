#!/usr/bin/env python3
"""Waits argv[1] seconds (default 3) before its handshake: slower than devctl allows."""
import json
import sys
import time

print("warming up slowly", file=sys.stderr, flush=True)
time.sleep(float(sys.argv[1]) if len(sys.argv) > 1 else 3.0)
sys.stdout.write(json.dumps({"type": "handshake", "protocol_version": "v1", "plugin_name": "slow",
                             "capabilities": {"ops": ["test.echo"]}}) + "\n")
sys.stdout.flush()
for _line in sys.stdin:
    pass
