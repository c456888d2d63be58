#!/usr/bin/env python3
"""Returns step "compile", artifact "bin" and service "web" — as does pipe_collide_a."""

from pipe_lib import serve

serve("collide-b", {
    "build.run": lambda inp, ctx: {"steps": [{"name": "compile", "ok": True, "by": "b"}],
                                   "artifacts": {"bin": "b/bin"}},
    "launch.plan": lambda inp, ctx: {"services": [{"name": "web", "command": ["echo", "from-b"]}]},
})
