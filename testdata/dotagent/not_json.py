#!/usr/bin/env python3
"""invoke writes human text on stdout, where only JSON belongs."""
import json
import sys

if sys.argv[1] == "info":
    print(json.dumps({"name": "not-json", "version": "0.1.0", "kinds": ["notify", "sink"],
                      "schema": {"type": "object"}}))
    sys.exit(0)
sys.stdin.read()
print("Sending notification...")
print('{"ok": true}')
