"""Fixture: stream op `numbers.count` sends `input.count` events (default 1,000), then end ok.

Each event is {"event": "tick", "n": i}; every 100th is a `log` event instead. With
`input.interval` (seconds) it sleeps between events and flushes each one: a slow, long stream
for Ctrl-C tests.
conformance: pass
"""

import json
import sys
import time

out = sys.stdout


def emit(obj):
    out.write(json.dumps(obj, separators=(",", ":")) + "\n")
    out.flush()


emit({"type": "handshake", "protocol_version": "v1", "plugin_name": "cmd-stream-many",
      "capabilities": {"ops": ["numbers.count"], "streams": ["numbers.count"]}})

for line in sys.stdin:
    if not line.strip():
        continue
    req = json.loads(line)
    rid, op, inp = req["request_id"], req["op"], req.get("input") or {}
    if op != "numbers.count":
        emit({"type": "response", "request_id": rid, "ok": False,
              "error": {"code": "E_UNSUPPORTED", "message": f"unsupported op: {op}"}})
        continue
    count = int(inp.get("count", 1000))
    interval = float(inp.get("interval", 0))
    emit({"type": "response", "request_id": rid, "ok": True, "output": {"stream_id": "s1"}})
    chunk = []
    for i in range(count):
        if i % 100 == 99:
            ev = {"type": "event", "stream_id": "s1", "event": "log", "level": "info",
                  "message": f"at {i + 1}"}
        else:
            ev = {"type": "event", "stream_id": "s1", "event": "tick", "n": i}
        chunk.append(json.dumps(ev, separators=(",", ":")))
        if len(chunk) == 200 or interval:
            out.write("\n".join(chunk) + "\n")
            out.flush()
            chunk = []
            time.sleep(interval)
    if chunk:
        out.write("\n".join(chunk) + "\n")
    emit({"type": "event", "stream_id": "s1", "event": "end", "ok": True})
