#!/usr/bin/env python3
"""Plans one service; when its stdin ends (devctl has nothing more to ask) it writes the file
named by its first argument, then exits. Tests see from it when devctl told it so."""

import sys
from pathlib import Path

from pipe_lib import serve


def plan(inp, ctx):
    return {"services": [{"name": "web", "command": ["sleep", "1"]}]}


serve("eof-marker", {"launch.plan": plan})
Path(sys.argv[1]).write_text("end of stdin\n")
