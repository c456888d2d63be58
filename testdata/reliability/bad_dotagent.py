#!/usr/bin/env python3
"""Fixture dotagent plugin that misbehaves on `invoke` (info is fine).

The mode comes from BAD_MODE:
  mid_reply     writes half a JSON reply, then exits 0.
  twice         writes two JSON replies.
  never_closes  writes a reply, then a child keeps stdout open and the process ignores SIGTERM.
"""

import json
import os
import signal
import sys
import time

verb, mode = sys.argv[1], os.environ.get("BAD_MODE", "")
if verb == "info":
    print(json.dumps({"name": "bad", "version": "0.1", "kinds": ["notify"], "platforms": [],
                      "schema": {"type": "object"}}))
    sys.exit(0)
json.load(sys.stdin)
reply = json.dumps({"ok": True})
if mode == "mid_reply":
    sys.stdout.write(reply[:4])
elif mode == "twice":
    sys.stdout.write(reply + "\n" + reply + "\n")
elif mode == "never_closes":
    sys.stdout.write(reply + "\n")
    sys.stdout.flush()
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if os.fork() == 0:
        os.setpgid(0, 0)  # leaves the call's group, still holding stdout
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        time.sleep(300)
        os._exit(0)
    time.sleep(300)
sys.stdout.flush()
