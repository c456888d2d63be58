"""Fixture: `commands.list` takes 10 s (devctl gives up after 3 s and skips this plugin).

conformance: fail (a declared op does not answer within the timeout)
"""

import json
import sys
import time


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


emit({"type": "handshake", "protocol_version": "v1", "plugin_name": "cmd-slow-list",
      "capabilities": {"ops": ["commands.list", "command.run"]}})

for line in sys.stdin:
    if not line.strip():
        continue
    req = json.loads(line)
    rid, op = req["request_id"], req["op"]
    if op == "commands.list":
        time.sleep(10)
        emit({"type": "response", "request_id": rid, "ok": True,
              "output": {"commands": [{"name": "slow-cmd", "help": "never listed in time"}]}})
    elif op == "command.run":
        emit({"type": "response", "request_id": rid, "ok": True, "output": {"exit_code": 0}})
    else:
        emit({"type": "response", "request_id": rid, "ok": False,
              "error": {"code": "E_UNSUPPORTED", "message": f"unsupported op: {op}"}})
