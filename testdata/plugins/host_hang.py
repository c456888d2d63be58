#!/usr/bin/env python3
"""Reads a request and never answers it. With --no-read it never even reads stdin."""
import json
import sys
import time

sys.stdout.write(json.dumps({"type": "handshake", "protocol_version": "v1", "plugin_name": "hang",
                             "capabilities": {"ops": ["test.hang"]}}) + "\n")
sys.stdout.flush()
if "--no-read" in sys.argv:
    print("not reading stdin at all", file=sys.stderr, flush=True)
    time.sleep(3600)
for _line in sys.stdin:
    print("got a request, thinking forever", file=sys.stderr, flush=True)
    time.sleep(3600)
