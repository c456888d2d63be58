#!/usr/bin/env python3
"""info answers; validate/invoke (or just the verbs in $FIXTURE_HANG_VERBS) fork a child,
then both hang (the host must kill the tree)."""
import json
import os
import signal
import sys
import time

if sys.argv[1] == "info":
    print(json.dumps({"name": "hang", "version": "0.0.1", "kinds": ["notify", "preflight", "sink"],
                      "schema": {"type": "object"}}))
    sys.exit(0)
if sys.argv[1] not in os.environ.get("FIXTURE_HANG_VERBS", "validate invoke").split():
    sys.stdin.read()
    print(json.dumps({"ok": True}))
    sys.exit(0)
if os.environ.get("FIXTURE_IGNORE_TERM") == "1":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
pid = os.fork()
if pid == 0:
    if os.environ.get("FIXTURE_ESCAPE") == "1":
        os.setsid()
    while True:
        time.sleep(1)
pidfile = os.environ.get("FIXTURE_PIDFILE")
if pidfile:
    with open(pidfile + ".tmp", "w") as fh:
        fh.write(f"{os.getpid()} {pid}\n")
    os.replace(pidfile + ".tmp", pidfile)
print("hang: waiting forever", file=sys.stderr, flush=True)
while True:
    time.sleep(1)
