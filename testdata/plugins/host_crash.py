#!/usr/bin/env python3
"""Dies in the middle of a request: exit code input.code (default 3), or a signal if input.signal.
With input.orphan it first starts a `sleep` that inherits its stdout (so stdout stays open).

argv[1] == "--before-handshake": exits with code 4 before saying anything.
argv[1] == "--after-handshake": exits with code 5 right after its handshake.
"""
import json
import os
import signal
import subprocess
import sys

if sys.argv[1:] == ["--before-handshake"]:
    print("fatal: cannot read my config", file=sys.stderr, flush=True)
    sys.exit(4)
sys.stdout.write(json.dumps({"type": "handshake", "protocol_version": "v1", "plugin_name": "crash",
                             "capabilities": {"ops": ["test.crash"]}}) + "\n")
sys.stdout.flush()
if sys.argv[1:] == ["--after-handshake"]:
    sys.exit(5)
for line in sys.stdin:
    inp = json.loads(line).get("input", {})
    print("Traceback: something broke badly", file=sys.stderr, flush=True)
    if inp.get("orphan"):
        subprocess.Popen(["sleep", "300"], stdin=subprocess.DEVNULL)  # keeps our stdout open
    if inp.get("signal"):
        os.kill(os.getpid(), getattr(signal, inp["signal"]))
    sys.exit(inp.get("code", 3))
