#!/usr/bin/env python3
"""launch.plan returns a service whose command is a string, not an argv list."""

from pipe_lib import serve

serve("bad-service", {
    "launch.plan": lambda inp, ctx: {"services": [{"name": "api", "command": "make run"}]},
})
