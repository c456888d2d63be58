#!/usr/bin/env python3
"""Fixture plugin (devctl protocol v1) that misbehaves while answering `launch.plan`.

Usage: bad_plugin.py MODE [PIDFILE]
  mid_response        writes half a response line, then exits 1.
  mid_response_child  the same, but a child that inherited stdout keeps it open (no EOF).
  twice               answers the request correctly, then answers it again with other services.
  never_closes        answers, then ignores stdin EOF and SIGTERM, and leaves a child in a new
                      group holding its stdout; only SIGKILL of recorded processes ends it.
Every process writes "role pid" to PIDFILE so the test can check nothing is left.
"""

import json
import os
import signal
import sys
import time

mode = sys.argv[1]
pidfile = sys.argv[2] if len(sys.argv) > 2 else None


def note(role):
    if pidfile:
        with open(pidfile, "a") as fh:
            fh.write(f"{role} {os.getpid()}\n")


def emit(obj, end="\n"):
    sys.stdout.write(json.dumps(obj) + end)
    sys.stdout.flush()


def plan(name):
    return {"services": [{"name": name, "command": ["/bin/true"]}]}


note("plugin")
emit({"type": "handshake", "protocol_version": "v1", "plugin_name": "bad",
      "capabilities": {"ops": ["launch.plan"]}})
for line in sys.stdin:
    req = json.loads(line)
    rid = req["request_id"]
    if mode.startswith("mid_response"):
        if mode == "mid_response_child" and os.fork() == 0:
            note("child")
            time.sleep(300)
            os._exit(0)
        text = json.dumps({"type": "response", "request_id": rid, "ok": True, "output": plan("half")})
        sys.stdout.write(text[: len(text) // 2])
        sys.stdout.flush()
        print("bad: dying in the middle of a response", file=sys.stderr, flush=True)
        os._exit(1)
    emit({"type": "response", "request_id": rid, "ok": True, "output": plan("first")})
    if mode == "twice":
        emit({"type": "response", "request_id": rid, "ok": True, "output": plan("second")})
    if mode == "never_closes":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if os.fork() == 0:
            os.setpgid(0, 0)
            note("child")
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            time.sleep(300)
            os._exit(0)
while mode == "never_closes":  # stdin is closed: a polite plugin exits here
    time.sleep(1)
