#!/usr/bin/env python3
"""All five pipeline ops, well-behaved. Records ctx.dry_run so tests can see it arrive."""

from pipe_lib import log, serve


def mutate(inp, ctx):
    log(f"pipe-ok: config.mutate (dry_run={ctx.get('dry_run')})")
    return {"config_patch": {
        "set": {"pipe_ok.dry_run": bool(ctx.get("dry_run")), "ports.web": 8080, "env.MODE": "dev"},
        "unset": ["obsolete"],
    }}


def steps(names):
    def run(inp, ctx):
        wanted = inp.get("steps") or names
        log(f"pipe-ok: steps {wanted} (dry_run={ctx.get('dry_run')})")
        return {
            "steps": [{"name": n, "ok": True, "duration_ms": 1, "dry_run": bool(ctx.get("dry_run"))}
                      for n in wanted if n in names],
            "artifacts": {f"{names[0]}-out": f"out/{names[0]}"},
        }
    return run


def validate(inp, ctx):
    return {"valid": True, "errors": [], "warnings": [{"code": "W_SLOW_DISK", "message": "disk is slow"}]}


def plan(inp, ctx):
    port = inp["config"]["ports"]["web"]
    return {"services": [
        {"name": "web", "command": ["python3", "-m", "http.server", str(port)], "cwd": "app",
         "env": {"PORT": str(port)},
         "health": {"type": "http", "url": f"http://127.0.0.1:{port}/", "timeout_ms": 5000}},
        {"name": "worker", "command": ["python3", "worker.py"], "depends_on": ["web"]},
    ]}


serve("pipe-ok", {
    "config.mutate": mutate,
    "build.run": steps(["compile", "assets"]),
    "prepare.run": steps(["migrate"]),
    "validate.run": validate,
    "launch.plan": plan,
})
