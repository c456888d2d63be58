#!/usr/bin/env python3
"""validate.run takes SECONDS (argv[1]) to answer: for the per-phase deadline across plugins."""

import sys
import time

from pipe_lib import serve

seconds = float(sys.argv[1])


def validate(inp, ctx):
    time.sleep(seconds)
    return {"valid": True}


serve("slow", {"validate.run": validate})
