"""Fixture: commands declared only in the handshake (the protocol document's own example).

The handshake is the document's example as written: `capabilities.commands: ["db-reset"]`
and no `commands.list` / `command.run` in `ops`. `--objects` declares the commands in the Go
devctl's later object form (`{"name", "help"}`); `--list` also declares `commands.list`,
which answers a second command, `db-seed`; `--no-ops` leaves `capabilities.ops` (and
`streams`) out, as a Go-devctl plugin that only adds commands may. Every `command.run` appends one JSON line
(name, argv) to `ran.log` in the plugin's working directory, so a test can tell whether the
command ran.
conformance: pass
"""

import json
import os
import sys

OBJECTS = "--objects" in sys.argv[1:]
LIST = "--list" in sys.argv[1:]
NO_OPS = "--no-ops" in sys.argv[1:]


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


ops = ["config.mutate", "validate.run", "build.run", "prepare.run", "launch.plan"]
commands = [{"name": "db-reset", "help": "Reset local DB"}] if OBJECTS else ["db-reset"]
emit({
    "type": "handshake",
    "protocol_version": "v1",
    "plugin_name": "example",
    "capabilities": {"commands": commands} if NO_OPS else {
        "ops": ops + (["commands.list"] if LIST else []), "streams": ["logs.follow"], "commands": commands},
    "declares": {"side_effects": "process", "idempotent": False},
})

OUTPUTS = {
    "config.mutate": {"config_patch": {"set": {}, "unset": []}},
    "validate.run": {"valid": True, "errors": [], "warnings": []},
    "build.run": {"steps": [], "artifacts": {}},
    "prepare.run": {"steps": [], "artifacts": {}},
    "launch.plan": {"services": []},
    "commands.list": {"commands": [{"name": "db-seed", "help": "Seed the local DB"}]},
}

for line in sys.stdin:
    if not line.strip():
        continue
    req = json.loads(line)
    rid, op, inp = req["request_id"], req["op"], req.get("input") or {}
    if op == "command.run":
        with open(os.path.join(os.getcwd(), "ran.log"), "a") as fh:
            fh.write(json.dumps({"name": inp.get("name"), "argv": inp.get("argv")}) + "\n")
        emit({"type": "response", "request_id": rid, "ok": True, "output": {"exit_code": 0}})
    elif op == "logs.follow":
        emit({"type": "response", "request_id": rid, "ok": True, "output": {"stream_id": "s1"}})
        emit({"type": "event", "stream_id": "s1", "event": "end", "ok": True})
    elif op in OUTPUTS and (op != "commands.list" or LIST):
        emit({"type": "response", "request_id": rid, "ok": True, "output": OUTPUTS[op]})
    else:
        emit({"type": "response", "request_id": rid, "ok": False,
              "error": {"code": "E_UNSUPPORTED", "message": f"unsupported op: {op}"}})
