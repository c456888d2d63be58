#!/usr/bin/env python3
"""The ci-smoke example's plugin: picks a free port, plans one web service with an http health check.

Raw NDJSON protocol v1, standard library only. stdout carries only protocol frames.
"""

import json
import os
import socket
import sys

EXAMPLE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def emit(frame):
    sys.stdout.write(json.dumps(frame) + "\n")
    sys.stdout.flush()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def config_mutate(config):
    if isinstance((config.get("web") or {}).get("port"), int):
        return {"config_patch": {"set": {}, "unset": []}}
    return {"config_patch": {"set": {"web.port": free_port(), "web.greeting": "hello from web"}, "unset": []}}


def launch_plan(config):
    web = config["web"]
    return {"services": [{
        "name": "web",
        "cwd": os.path.join(EXAMPLE, "app"),
        "command": [sys.executable, "web.py"],
        "env": {"PORT": str(web["port"]), "GREETING": web["greeting"]},
        "health": {"type": "http", "url": f"http://127.0.0.1:{web['port']}/health", "timeout_ms": 15000},
    }]}


emit({"type": "handshake", "protocol_version": "v1", "plugin_name": "ci-smoke",
      "capabilities": {"ops": ["config.mutate", "launch.plan"]}})
for line in sys.stdin:
    if not line.strip():
        continue
    req = json.loads(line)
    config = (req.get("input") or {}).get("config") or {}
    op = req.get("op")
    if op == "config.mutate":
        output = config_mutate(config)
    elif op == "launch.plan":
        output = launch_plan(config)
    else:
        emit({"type": "response", "request_id": req.get("request_id"), "ok": False,
              "error": {"code": "E_UNSUPPORTED", "message": f"unsupported op: {op}"}})
        continue
    emit({"type": "response", "request_id": req.get("request_id"), "ok": True, "output": output})
