#!/usr/bin/env python3
"""Fixture plugin (protocol v1, raw JSON over stdio): plans whatever a JSON file says.

The file is named by the first argument or by SUP_PLAN_FILE. Its shape:
    {"services": [...launch.plan services...],
     "validate_errors": [{"code": ..., "message": ...}]}   (optional: validate.run fails)
Relative `command` (and exec `health.command`) entries starting with "@" are resolved against
testdata/services, and "{python}" is replaced by this interpreter, so tests can write short plans.
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SERVICES = os.path.join(os.path.dirname(HERE), "services")
PLAN = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("SUP_PLAN_FILE", "")


def emit(frame):
    sys.stdout.write(json.dumps(frame) + "\n")
    sys.stdout.flush()


def load():
    with open(PLAN) as fh:
        return json.load(fh)


def expand(arg):
    if arg == "{python}":
        return sys.executable
    if arg.startswith("@"):
        return os.path.join(SERVICES, arg[1:])
    return arg


def launch_plan():
    services = load().get("services", [])
    for svc in services:
        if isinstance(svc.get("command"), list):
            svc["command"] = [expand(a) if isinstance(a, str) else a for a in svc["command"]]
        health = svc.get("health")
        if isinstance(health, dict) and isinstance(health.get("command"), list):  # an exec probe
            health["command"] = [expand(a) if isinstance(a, str) else a for a in health["command"]]
    return {"services": services}


def validate():
    errors = load().get("validate_errors", [])
    return {"valid": not errors, "errors": errors, "warnings": []}


emit({
    "type": "handshake",
    "protocol_version": "v1",
    "plugin_name": "sup_plan",
    "capabilities": {"ops": ["validate.run", "launch.plan"]},
})
for line in sys.stdin:
    if not line.strip():
        continue
    req = json.loads(line)
    rid, op = req.get("request_id", ""), req.get("op", "")
    try:
        if op == "launch.plan":
            emit({"type": "response", "request_id": rid, "ok": True, "output": launch_plan()})
        elif op == "validate.run":
            emit({"type": "response", "request_id": rid, "ok": True, "output": validate()})
        else:
            emit({"type": "response", "request_id": rid, "ok": False,
                  "error": {"code": "E_UNSUPPORTED", "message": f"unsupported op: {op}"}})
    except (OSError, ValueError) as exc:
        print(f"sup_plan: {exc}", file=sys.stderr, flush=True)
        emit({"type": "response", "request_id": rid, "ok": False,
              "error": {"code": "E_PLAN", "message": str(exc)}})
