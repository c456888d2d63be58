"""Fixture: stream op `deploy.watch` sends three log events, then ends with ok false.

conformance: pass (a stream that reports failure is still a well-behaved stream)
"""

import json
import sys


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


emit({"type": "handshake", "protocol_version": "v1", "plugin_name": "cmd-stream-fail",
      "capabilities": {"ops": ["deploy.watch"], "streams": ["deploy.watch"]}})

for line in sys.stdin:
    if not line.strip():
        continue
    req = json.loads(line)
    rid, op = req["request_id"], req["op"]
    if op != "deploy.watch":
        emit({"type": "response", "request_id": rid, "ok": False,
              "error": {"code": "E_UNSUPPORTED", "message": f"unsupported op: {op}"}})
        continue
    emit({"type": "response", "request_id": rid, "ok": True, "output": {"stream_id": "w1"}})
    for step in ("building", "pushing", "rolling out"):
        emit({"type": "event", "stream_id": "w1", "event": "log", "level": "info", "message": step})
    emit({"type": "event", "stream_id": "w1", "event": "end", "ok": False,
          "error": {"code": "E_ROLLOUT", "message": "rollout failed: 2 of 3 pods crashed"}})
