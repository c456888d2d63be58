#!/usr/bin/env python3
"""A well-behaved plugin: every kind, a schema, a validate that can say no, an echoing invoke."""
import json
import os
import sys

INFO = {
    "name": "good", "version": "1.2.3", "kinds": ["notify", "preflight", "sink"], "platforms": [],
    "schema": {"type": "object", "required": ["greeting"],
               "properties": {"greeting": {"type": "string"}, "count": {"type": "integer", "minimum": 1}}},
    "homepage": "https://example.invalid/good",
}
verb = sys.argv[1]
if os.environ.get("GOOD_CALLS"):
    with open(os.environ["GOOD_CALLS"], "a") as fh:
        fh.write(verb + "\n")
if verb == "info":
    print(json.dumps(INFO))
    sys.exit(0)
data = json.load(sys.stdin)
if verb == "validate":
    if data.get("greeting") == "bad":
        print(json.dumps({"ok": False, "error": "greeting must not be 'bad'"}))
    else:
        print(json.dumps({"ok": True}))
elif verb == "invoke":
    print("good: invoked", file=sys.stderr)
    ok = data.get("message") != "fail"
    out = {"ok": ok, "echo": {"kind": data["kind"], "event": data["event"], "message": data["message"]}}
    if not ok:
        out.update(error="asked to fail", suggest="send another message")
    print(json.dumps(out))
