"""Tiny NDJSON v1 server shared by the pipe_* fixture plugins (pipeline tests).

Each fixture declares its ops and a handler per op; a handler gets (input, ctx) and returns
the response `output`, or raises `Fail(code, message)` for an `ok: false` response.
stdout carries only protocol frames; anything for humans goes to stderr.
"""

import json
import sys


class Fail(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def log(message):
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def serve(name, handlers):
    emit({
        "type": "handshake",
        "protocol_version": "v1",
        "plugin_name": name,
        "capabilities": {"ops": sorted(handlers)},
    })
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        rid = req.get("request_id")
        op = req.get("op")
        handler = handlers.get(op)
        try:
            if handler is None:
                raise Fail("E_UNSUPPORTED", f"unsupported op: {op}")
            output = handler(req.get("input") or {}, req.get("ctx") or {})
            emit({"type": "response", "request_id": rid, "ok": True, "output": output})
        except Fail as exc:
            emit({"type": "response", "request_id": rid, "ok": False,
                  "error": {"code": exc.code, "message": exc.message}})
