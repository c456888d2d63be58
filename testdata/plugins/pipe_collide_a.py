#!/usr/bin/env python3
"""Returns step "compile", artifact "bin" and service "web" — as does pipe_collide_b."""

from pipe_lib import serve

serve("collide-a", {
    "build.run": lambda inp, ctx: {"steps": [{"name": "compile", "ok": True, "by": "a"}],
                                   "artifacts": {"bin": "a/bin"}},
    "launch.plan": lambda inp, ctx: {"services": [{"name": "web", "command": ["echo", "from-a"]},
                                                  {"name": "only-a", "command": ["true"]}]},
})
