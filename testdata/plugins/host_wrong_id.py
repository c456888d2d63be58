#!/usr/bin/env python3
"""Answers with a request_id devctl never sent.

input.mode == "wrong": only a response with a made-up id (the request stays unanswered).
input.mode == "extra": the right response, then a second one with a made-up id.
"""
import json
import sys


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


emit({"type": "handshake", "protocol_version": "v1", "plugin_name": "wrong-id",
      "capabilities": {"ops": ["test.answer"]}})
for line in sys.stdin:
    req = json.loads(line)
    mode = req.get("input", {}).get("mode", "wrong")
    if mode == "extra":
        emit({"type": "response", "request_id": req["request_id"], "ok": True, "output": {"n": 1}})
    emit({"type": "response", "request_id": "bogus-" + req["request_id"], "ok": True})
