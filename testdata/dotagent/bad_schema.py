#!/usr/bin/env python3
"""info advertises a schema that is not a valid JSON Schema (and an unknown kind)."""
import json
import sys

if sys.argv[1] == "info":
    print(json.dumps({"name": "bad-schema", "version": "0.1.0", "kinds": ["notify", "webhook"],
                      "schema": {"type": "objekt", "properties": {"url": {"type": 5}}}}))
    sys.exit(0)
sys.stdin.read()
print(json.dumps({"ok": True}))
