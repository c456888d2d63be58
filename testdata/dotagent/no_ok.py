#!/usr/bin/env python3
"""validate/invoke reply without the required `ok` field."""
import json
import sys

if sys.argv[1] == "info":
    print(json.dumps({"name": "no-ok", "version": "0.1.0", "kinds": ["notify", "sink", "preflight"],
                      "schema": {"type": "object"}}))
    sys.exit(0)
sys.stdin.read()
print(json.dumps({"status": "delivered"}))
