#!/usr/bin/env python3
"""The dashboard example's devctl plugin: something for the TUI's pipeline and plugins views.

The services themselves are declared in `.devctl.yaml`; this plugin adds what a real project's
plugin would: a prepare step (the `.data` directory), a validation warning, and a command,
`devctl traffic [N]`, that sends N requests to the web app (its output shows in the plugins
view when run from there). Raw NDJSON protocol v1; stdout carries frames only, logs go to stderr.
"""

import json
import os
import sys
import time
import urllib.request

EXAMPLE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(EXAMPLE, "app"))

from common import DATA_DIR, read_web  # noqa: E402

COMMANDS = [{"name": "traffic", "help": "Send N requests (default 20) to the web app: devctl traffic [N]"}]


def emit(frame):
    sys.stdout.write(json.dumps(frame) + "\n")
    sys.stdout.flush()


def log(message):
    print(f"dashboard: {message}", file=sys.stderr, flush=True)


def prepare(inp, ctx):
    started = time.monotonic()
    existed = os.path.isdir(DATA_DIR)
    if not ctx.get("dry_run"):
        os.makedirs(DATA_DIR, exist_ok=True)
    step = {"name": "data-dir", "ok": True, "duration_ms": round((time.monotonic() - started) * 1000),
            "message": ".data/ " + ("already there" if existed else "created")}
    return {"steps": [step, {"name": "seed", "ok": True, "skipped": True, "message": "nothing to seed"}]}


def validate(inp, ctx):
    warnings = [{"code": "W_FLOOD", "message": "the flood service floods its log on purpose: "
                 "try the logs view's filter (&) and first error (e) on it"}]
    return {"valid": True, "errors": [], "warnings": warnings}


def command_run(inp, ctx):
    if inp.get("name") != "traffic":
        raise LookupError(f"unknown command {inp.get('name')!r}")
    argv = inp.get("argv") or []
    count = int(argv[0]) if argv and argv[0].isdigit() else 20
    web = read_web()
    if web is None:
        log("traffic: web has not started; run `devctl up` first")
        return {"exit_code": 1}
    served = 0
    for _ in range(count):
        with urllib.request.urlopen(f"http://127.0.0.1:{web['port']}/", timeout=2) as response:
            served = json.loads(response.read())["served"]
    return {"exit_code": 0, "stdout": f"sent {count} requests to web; it has served {served} in all\n"}


HANDLERS = {
    "prepare.run": prepare,
    "validate.run": validate,
    "commands.list": lambda inp, ctx: {"commands": COMMANDS},
    "command.run": command_run,
}

emit({"type": "handshake", "protocol_version": "v1", "plugin_name": "dashboard",
      "capabilities": {"ops": sorted(HANDLERS), "commands": [c["name"] for c in COMMANDS]}})
log("ready")

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
        output = handler(request.get("input") or {}, request.get("ctx") or {})
        emit({"type": "response", "request_id": rid, "ok": True, "output": output})
    except Exception as exc:  # report, never crash mid-request
        emit({"type": "response", "request_id": rid, "ok": False,
              "error": {"code": "E_DASHBOARD", "message": str(exc)}})
