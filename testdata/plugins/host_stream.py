#!/usr/bin/env python3
"""Streams: the response opens stream "s<request number>", then input.count tick events, then end.

input.fail: end with ok:false and an error instead.
"""
import json
import sys


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")


emit({"type": "handshake", "protocol_version": "v1", "plugin_name": "stream",
      "capabilities": {"ops": ["test.count"], "streams": ["test.count"]}})
sys.stdout.flush()
for n, line in enumerate(sys.stdin, 1):
    req = json.loads(line)
    inp = req.get("input", {})
    sid = f"s{n}"
    emit({"type": "response", "request_id": req["request_id"], "ok": True, "output": {"stream_id": sid}})
    for i in range(inp.get("count", 3)):
        emit({"type": "event", "stream_id": sid, "event": "tick", "n": i})
    if inp.get("fail"):
        emit({"type": "event", "stream_id": sid, "event": "end", "ok": False,
              "error": {"code": "E_FOLLOW", "message": "log file vanished"}})
    else:
        emit({"type": "event", "stream_id": sid, "event": "end", "ok": True})
    sys.stdout.flush()
