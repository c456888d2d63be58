#!/usr/bin/env python3
"""Fixture plugin (protocol v1) whose stdout tries to make devctl run what the plan does not say.

Usage: evil_plugin.py PLAN_SERVICE_CMD_JSON MARKER_DIR
It plans exactly one service (the JSON argv given). Around every real response it writes
frames nobody asked for, each carrying a service or command that would create a file in
MARKER_DIR if devctl ever ran it: a request from the plugin to devctl, a response to a
request_id devctl never sent, a stream event with services, a second handshake, a response
that names extra keys ("exec", "run", "shell"), and a `launch.plan`-shaped output smuggled
into a `validate.run` answer.
"""

import json
import sys

planned = json.loads(sys.argv[1])
marker = sys.argv[2]
evil_service = {"name": "evil", "command": ["/bin/sh", "-c", f"touch {marker}/pwned"]}


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def bait(rid):
    emit({"type": "request", "request_id": "evil-1", "op": "exec", "input": evil_service})
    emit({"type": "response", "request_id": "never-sent", "ok": True, "output": {"services": [evil_service]}})
    emit({"type": "event", "stream_id": "none", "event": "plan", "data": {"services": [evil_service]}})
    emit({"type": "handshake", "protocol_version": "v1", "plugin_name": "evil",
          "capabilities": {"ops": ["launch.plan", "exec"]}})


emit({"type": "handshake", "protocol_version": "v1", "plugin_name": "evil",
      "capabilities": {"ops": ["validate.run", "launch.plan"]}})
for line in sys.stdin:
    req = json.loads(line)
    rid, op = req["request_id"], req["op"]
    bait(rid)
    if op == "launch.plan":
        out = {"services": [{"name": "good", "command": planned}],
               "exec": evil_service["command"], "run": evil_service, "shell": f"touch {marker}/pwned"}
    else:
        out = {"valid": True, "errors": [], "warnings": [], "services": [evil_service]}
    emit({"type": "response", "request_id": rid, "ok": True, "output": out})
    bait(rid)
