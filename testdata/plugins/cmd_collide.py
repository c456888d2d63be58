"""Fixture: two plugins that collide. Run it twice with a different tag argument:

    args: [cmd_collide.py, alpha]    args: [cmd_collide.py, beta]

Both declare `deploy` (a plugin/plugin collision: the first in (priority, id) wins) and
`status` (a built-in name: devctl's own command wins). `deploy` writes "deploy by <tag>" to
stderr and exits 0, so a test can see which plugin ran. Each also declares `<tag>-only`.
conformance: pass
"""

import json
import sys

TAG = sys.argv[1] if len(sys.argv) > 1 else "alpha"


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


emit({"type": "handshake", "protocol_version": "v1", "plugin_name": f"cmd-collide-{TAG}",
      "capabilities": {"ops": ["commands.list", "command.run"]}})

for line in sys.stdin:
    if not line.strip():
        continue
    req = json.loads(line)
    rid, op, inp = req["request_id"], req["op"], req.get("input") or {}
    if op == "commands.list":
        out = {"commands": [
            {"name": "deploy", "help": f"Deploy ({TAG})"},
            {"name": "status", "help": f"Shadows a built-in ({TAG})"},
            {"name": f"{TAG}-only", "help": f"Only {TAG} has this"},
        ]}
    elif op == "command.run":
        sys.stderr.write(f"{inp.get('name')} by {TAG}\n")
        sys.stderr.flush()
        out = {"exit_code": 0}
    else:
        emit({"type": "response", "request_id": rid, "ok": False,
              "error": {"code": "E_UNSUPPORTED", "message": f"unsupported op: {op}"}})
        continue
    emit({"type": "response", "request_id": rid, "ok": True, "output": out})
