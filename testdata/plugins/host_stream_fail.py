#!/usr/bin/env python3
"""A stream that emits two log events and then ends with ok:false."""
import json
import sys


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


emit({"type": "handshake", "protocol_version": "v1", "plugin_name": "stream-fail",
      "capabilities": {"ops": ["logs.follow"], "streams": ["logs.follow"]}})
for line in sys.stdin:
    req = json.loads(line)
    emit({"type": "response", "request_id": req["request_id"], "ok": True, "output": {"stream_id": "f1"}})
    emit({"type": "event", "stream_id": "f1", "event": "log", "level": "info", "message": "line 1"})
    emit({"type": "event", "stream_id": "f1", "event": "log", "level": "warn", "message": "line 2"})
    emit({"type": "event", "stream_id": "f1", "event": "end", "ok": False,
          "error": {"code": "E_FOLLOW", "message": "log file vanished"}})
