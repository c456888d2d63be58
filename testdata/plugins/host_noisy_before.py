#!/usr/bin/env python3
"""Prints a banner on stdout before its handshake: protocol contamination."""
import json
import sys

print("Starting host_noisy_before v0.1 ...")
sys.stdout.write(json.dumps({"type": "handshake", "protocol_version": "v1", "plugin_name": "noisy",
                             "capabilities": {"ops": ["test.echo"]}}) + "\n")
sys.stdout.flush()
for _line in sys.stdin:
    pass
