#!/usr/bin/env python3
"""build.run reports a failed step (ok: false) next to a good one."""

from pipe_lib import log, serve


def build(inp, ctx):
    log("pipe-step-fail: compiling... cc exited 1")
    return {"steps": [{"name": "codegen", "ok": True},
                      {"name": "compile", "ok": False, "error": "cc exited with status 1"}]}


serve("step-fail", {"build.run": build})
