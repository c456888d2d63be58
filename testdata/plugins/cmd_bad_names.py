"""Fixture: `commands.list` mixes one valid name with names that are not CLI words.

devctl keeps `good-name` and reports and skips the others.
conformance: fail (command names that are not valid CLI words)
"""

import json
import sys


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


emit({"type": "handshake", "protocol_version": "v1", "plugin_name": "cmd-bad-names",
      "capabilities": {"ops": ["commands.list", "command.run"]}})

for line in sys.stdin:
    if not line.strip():
        continue
    req = json.loads(line)
    rid, op = req["request_id"], req["op"]
    if op == "commands.list":
        out = {"commands": [
            {"name": "good-name", "help": "A fine command"},
            {"name": "--force", "help": "starts with a dash"},
            {"name": "two words", "help": "has a space"},
            {"name": "", "help": "empty"},
            {"name": 42, "help": "not a string"},
        ]}
    elif op == "command.run":
        out = {"exit_code": 0}
    else:
        emit({"type": "response", "request_id": rid, "ok": False,
              "error": {"code": "E_UNSUPPORTED", "message": f"unsupported op: {op}"}})
        continue
    emit({"type": "response", "request_id": rid, "ok": True, "output": out})
