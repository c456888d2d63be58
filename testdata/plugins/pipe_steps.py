#!/usr/bin/env python3
"""Steps with their own words: build's `compile` waits until the file named by argv[1] exists
(so a test can look at the progress while the build is still running), then reports a message;
prepare's `initdb` reports `skipped` with the reason, `seed` a plain ok."""

import os
import sys
import time

from pipe_lib import serve

GATE = sys.argv[1] if len(sys.argv) > 1 else ""


def build(inp, ctx):
    deadline = time.monotonic() + 20
    while GATE and not os.path.exists(GATE) and time.monotonic() < deadline:
        time.sleep(0.02)
    return {"steps": [{"name": "compile", "ok": True, "duration_ms": 1234, "message": "compiled 12 files"}]}


def prepare(inp, ctx):
    return {"steps": [
        {"name": "initdb", "ok": True, "skipped": True, "message": "data directory already initialised"},
        {"name": "seed", "ok": True, "duration_ms": 5},
    ]}


serve("steps", {"build.run": build, "prepare.run": prepare})
