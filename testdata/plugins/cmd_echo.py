"""Fixture: a plugin command that echoes its argv and exits with a code taken from it.

`devctl echo-args --exit 3 --flag x` answers exit_code 3 (`--sleep S` first sleeps S seconds,
printing "sleeping" to stderr: for Ctrl-C tests). Its stderr (the command's output)
is one JSON line with the argv and the config it received, so tests can check both; the
`stdout` output key (a devctl extension) is printed by devctl on its own stdout.
config.mutate sets `cmd_echo.mutated` so a test can see the phase ran before command.run (and,
with CMD_ECHO_LOG_MUTATE set, says so on stderr: that line is not the command's output).
conformance: pass
"""

import json
import os
import sys
import time


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def option(argv, name, default):
    for i, arg in enumerate(argv):
        if arg == name and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return default


def exit_code(argv):
    return int(option(argv, "--exit", 0))


emit({
    "type": "handshake",
    "protocol_version": "v1",
    "plugin_name": "cmd-echo",
    "capabilities": {"ops": ["config.mutate", "commands.list", "command.run"], "commands": ["echo-args"]},
})

for line in sys.stdin:
    if not line.strip():
        continue
    req = json.loads(line)
    rid, op, inp = req["request_id"], req["op"], req.get("input") or {}
    if op == "config.mutate":
        if os.environ.get("CMD_ECHO_LOG_MUTATE"):
            sys.stderr.write("cmd_echo: mutating the config\n")
            sys.stderr.flush()
        out = {"config_patch": {"set": {"cmd_echo.mutated": True}, "unset": []}}
    elif op == "commands.list":
        out = {"commands": [{"name": "echo-args", "help": "Echo the arguments; --exit N sets the exit code"}]}
    elif op == "command.run":
        argv = inp.get("argv", [])
        if option(argv, "--sleep", None):
            sys.stderr.write("sleeping\n")
            sys.stderr.flush()
            time.sleep(float(option(argv, "--sleep", 0)))
        seen = {"name": inp.get("name"), "argv": argv, "config": inp.get("config")}
        sys.stderr.write(json.dumps(seen) + "\n")
        sys.stderr.flush()
        out = {"exit_code": exit_code(argv), "stdout": "argv=" + json.dumps(argv) + "\n"}
    else:
        emit({"type": "response", "request_id": rid, "ok": False,
              "error": {"code": "E_UNSUPPORTED", "message": f"unsupported op: {op}"}})
        continue
    emit({"type": "response", "request_id": rid, "ok": True, "output": out})
