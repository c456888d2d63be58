#!/usr/bin/env python3
"""Records every call as "<label> <op>" in a file, and appends its label to config.order.

Usage: pipe_order.py LABEL LOGFILE. The config it receives shows what earlier plugins patched,
so tests can check both the calling order and that each plugin sees the current config.
"""

import sys

from pipe_lib import serve

label, logfile = sys.argv[1], sys.argv[2]


def record(op):
    with open(logfile, "a") as fh:
        fh.write(f"{label} {op}\n")


def mutate(inp, ctx):
    record("config.mutate")
    order = list((inp.get("config") or {}).get("order") or [])
    return {"config_patch": {"set": {"order": [*order, label]}}}


def simple(op, output):
    def run(inp, ctx):
        record(op)
        return output
    return run


serve(f"order-{label}", {
    "config.mutate": mutate,
    "build.run": simple("build.run", {"steps": [{"name": f"step-{label}", "ok": True}]}),
    "validate.run": simple("validate.run", {"valid": True}),
    "launch.plan": simple("launch.plan", {"services": [{"name": f"svc-{label}", "command": ["true"]}]}),
})
