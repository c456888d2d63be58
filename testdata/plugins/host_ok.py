#!/usr/bin/env python3
"""Well-behaved plugin: echoes requests back, logs to stderr. Used for the happy path."""
import json
import os
import sys
import time


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


emit({
    "type": "handshake",
    "protocol_version": "v1",
    "plugin_name": "host-ok",
    "capabilities": {"ops": ["test.echo", "test.stderr", "test.slow", "config.mutate"],
                     "commands": ["hello"]},
    "declares": {"side_effects": "none", "idempotent": True},
})
print("host_ok: ready", file=sys.stderr, flush=True)

for seen, line in enumerate(sys.stdin, 1):
    req = json.loads(line)
    rid, op, inp = req["request_id"], req["op"], req.get("input", {})
    if op == "test.echo":
        # Everything devctl sent plus how this process was started, so a test can check both.
        emit({"type": "response", "request_id": rid, "ok": True, "output": {
            "request": req, "seen": seen, "cwd": os.getcwd(), "pid": os.getpid(), "pgid": os.getpgid(0),
            "env": {k: os.environ.get(k) for k in inp.get("env", [])},
        }})
    elif op == "test.stderr":
        for i in range(inp.get("lines", 1)):
            print(f"stderr line {i}", file=sys.stderr, flush=True)
        emit({"type": "response", "request_id": rid, "ok": True})
    elif op == "test.slow":
        time.sleep(inp.get("s", 0.5))
        emit({"type": "response", "request_id": rid, "ok": True, "output": {"slept": True}})
    elif op == "config.mutate":
        emit({"type": "response", "request_id": rid, "ok": True,
              "output": {"config_patch": {"set": {"ok.seen": True}, "unset": []}}})
    else:
        emit({"type": "response", "request_id": rid, "ok": False,
              "error": {"code": "E_UNSUPPORTED", "message": f"unsupported op: {op}"}})
