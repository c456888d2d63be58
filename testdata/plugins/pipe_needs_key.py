#!/usr/bin/env python3
"""Reads a key another plugin sets (`ports.web`, from pipe_ok.py) and crashes without it, the
way a plugin that trusts the plugins before it does: for `plugins check` with the merged config."""

from pipe_lib import serve


def mutate(inp, ctx):
    port = inp["config"]["ports"]["web"]  # KeyError, and a crash, when checked alone
    return {"config_patch": {"set": {"needs.url": f"http://127.0.0.1:{port}/"}}}


def plan(inp, ctx):
    url = inp["config"]["needs"]["url"]
    return {"services": [{"name": "probe", "command": ["true"], "env": {"URL": url}}]}


serve("needs-key", {"config.mutate": mutate, "launch.plan": plan})
