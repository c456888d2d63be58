#!/usr/bin/env python3
"""The quickstart's plugin: plans a small web app and a worker for devctl.

Written against the raw NDJSON protocol (no helper library) so it doubles as a readable
example of protocol v1. stdout carries only protocol frames; logs go to stderr.
"""

import json
import os
import socket
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLE = os.path.dirname(HERE)


def emit(frame):
    sys.stdout.write(json.dumps(frame) + "\n")
    sys.stdout.flush()


def log(message):
    print(f"quickstart: {message}", file=sys.stderr, flush=True)


def free_port():
    """A port the OS picks now; it is written into the config so the plan stays consistent."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def config_mutate(inp):
    config = inp.get("config") or {}
    port = (config.get("quickstart") or {}).get("port")
    patch = {}
    if not isinstance(port, int):
        pinned = os.environ.get("QUICKSTART_PORT", "")
        port = int(pinned) if pinned.isdigit() else free_port()  # a bad value is validate's to report
        patch["quickstart.port"] = port
        log(f"web port {port}")
    patch["quickstart.data_dir"] = os.path.join(EXAMPLE, ".data")
    return {"config_patch": {"set": patch, "unset": []}}


def validate(inp):
    """Catch what would make `up` fail later, with a message that says what to do."""
    errors, warnings = [], []
    for name in ("web.py", "worker.py"):
        if not os.path.isfile(os.path.join(EXAMPLE, "app", name)):
            errors.append({"code": "E_MISSING_APP", "message": f"app/{name} is missing: restore it from git"})
    pinned = os.environ.get("QUICKSTART_PORT")
    if pinned and not pinned.isdigit():
        errors.append({"code": "E_PORT", "message": f"QUICKSTART_PORT must be a number, got {pinned!r}"})
    elif pinned:
        warnings.append({"code": "W_PINNED_PORT", "message": f"web port {pinned} set by QUICKSTART_PORT"})
    return {"valid": not errors, "errors": errors, "warnings": warnings}


def launch_plan(inp):
    config = inp.get("config") or {}
    qs = config.get("quickstart") or {}
    port = qs["port"]
    data_dir = qs["data_dir"]
    python = sys.executable
    return {
        "services": [
            {
                "name": "web",
                "cwd": os.path.join(EXAMPLE, "app"),
                "command": [python, "web.py"],
                "env": {"PORT": str(port), "DATA_DIR": data_dir},
                "health": {"type": "http", "url": f"http://127.0.0.1:{port}/health", "timeout_ms": 15000},
            },
            {
                "name": "worker",
                "cwd": os.path.join(EXAMPLE, "app"),
                "command": [python, "worker.py"],
                "env": {"DATA_DIR": data_dir, "WEB_URL": f"http://127.0.0.1:{port}"},
                "depends_on": ["web"],
            },
        ]
    }


HANDLERS = {"config.mutate": config_mutate, "validate.run": validate, "launch.plan": launch_plan}

emit({
    "type": "handshake",
    "protocol_version": "v1",
    "plugin_name": "quickstart",
    "capabilities": {"ops": sorted(HANDLERS)},
})

for line in sys.stdin:
    if not line.strip():
        continue
    request = json.loads(line)
    rid = request.get("request_id", "")
    handler = HANDLERS.get(request.get("op"))
    if handler is None:
        emit({"type": "response", "request_id": rid, "ok": False,
              "error": {"code": "E_UNSUPPORTED", "message": f"unsupported op: {request.get('op')}"}})
        continue
    try:
        output = handler(request.get("input") or {})
        emit({"type": "response", "request_id": rid, "ok": True, "output": output})
    except Exception as exc:  # report, never crash mid-request
        emit({"type": "response", "request_id": rid, "ok": False,
              "error": {"code": "E_QUICKSTART", "message": str(exc)}})
