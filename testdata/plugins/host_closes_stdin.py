#!/usr/bin/env python3
"""Sends its handshake, closes its stdin and stays running (stdout open) without a word more."""
import json
import os
import sys
import time

sys.stdout.write(json.dumps({"type": "handshake", "protocol_version": "v1", "plugin_name": "deaf",
                             "capabilities": {"ops": ["test.echo"]}}) + "\n")
sys.stdout.flush()
os.close(0)
print("closed my stdin", file=sys.stderr, flush=True)
time.sleep(3600)
