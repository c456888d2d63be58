#!/usr/bin/env python3
"""A plugin of every kind that records each invoke payload, one JSON line, in `config.log`.

`config.fail = true` answers ok: false (with a suggest), so it can block a job as a preflight.
"""
import json
import sys

INFO = {"name": "recorder", "version": "1.0.0", "kinds": ["notify", "preflight", "sink"],
        "schema": {"type": "object", "required": ["log"],
                   "properties": {"log": {"type": "string"}, "fail": {"type": "boolean"}}}}
verb = sys.argv[1]
if verb == "info":
    print(json.dumps(INFO))
    sys.exit(0)
data = json.load(sys.stdin)
if verb == "validate":
    print(json.dumps({"ok": True}))
    sys.exit(0)
with open(data["config"]["log"], "a") as fh:
    fh.write(json.dumps(data) + "\n")
if data["config"].get("fail"):
    print(json.dumps({"ok": False, "error": "recorder asked to fail", "suggest": "unset fail"}))
else:
    print(json.dumps({"ok": True}))
