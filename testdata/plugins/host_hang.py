#!/usr/bin/env python3
"""Reads a request and never answers it."""
import json
import sys
import time

sys.stdout.write(json.dumps({"type": "handshake", "protocol_version": "v1", "plugin_name": "hang",
                             "capabilities": {"ops": ["test.hang"]}}) + "\n")
sys.stdout.flush()
for _line in sys.stdin:
    print("got a request, thinking forever", file=sys.stderr, flush=True)
    time.sleep(3600)
