#!/usr/bin/env python3
"""validate.run says invalid; launch.plan would answer a malformed plan (services is not a
list) and appends "launch.plan" to the file named by argv[1] when it is asked at all, so a
test can tell that devctl never asked."""

import sys

from pipe_lib import serve

RECORD = sys.argv[1]


def plan(inp, ctx):
    with open(RECORD, "a") as f:
        f.write("launch.plan\n")
    return {"services": "not a list"}


serve("validate-then-bad-plan", {
    "validate.run": lambda inp, ctx: {
        "valid": False,
        "errors": [{"code": "E_NO_DB", "message": "database not reachable on :5432"}],
    },
    "launch.plan": plan,
})
