#!/usr/bin/env python3
"""invoke fails the loud way: JSON error + suggest on stdout, reasons on stderr, exit 3."""
import json
import sys

if sys.argv[1] == "info":
    print(json.dumps({"name": "exit-json", "version": "0.1.0", "kinds": ["preflight", "notify", "sink"],
                      "schema": {"type": "object"}}))
    sys.exit(0)
sys.stdin.read()
for i in range(1, 16):
    print(f"exit-json: diagnostic line {i}", file=sys.stderr)
print(json.dumps({"ok": False, "error": "disk is full", "suggest": "free space on /tmp", "used": "100%"}))
sys.exit(3)
