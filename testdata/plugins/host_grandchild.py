#!/usr/bin/env python3
"""Starts a grandchild (`sleep 300`) that stays in its process group; reports the pid on request.

With --ignore-term both the plugin and the grandchild ignore SIGTERM, so only SIGKILL ends them.
"""
import json
import signal
import subprocess
import sys

ignore = "--ignore-term" in sys.argv
if ignore:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # inherited by the child as "ignored"
child = subprocess.Popen(["sleep", "300"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
sys.stdout.write(json.dumps({"type": "handshake", "protocol_version": "v1", "plugin_name": "grandchild",
                             "capabilities": {"ops": ["test.pid"]}}) + "\n")
sys.stdout.flush()
for line in sys.stdin:
    req = json.loads(line)
    sys.stdout.write(json.dumps({"type": "response", "request_id": req["request_id"], "ok": True,
                                 "output": {"grandchild": child.pid}}) + "\n")
    sys.stdout.flush()
if ignore:
    signal.pause()  # stays after stdin EOF: the host has to SIGKILL
