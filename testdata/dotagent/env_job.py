#!/usr/bin/env python3
"""An agent command: writes its AGENT_* environment (and argv) to `env.json` in its working
directory, prints N numbered lines, exits with a given code.

usage: env_job.py [--lines N] [--exit CODE] [schedule args...]
"""
import json
import os
import sys

args = sys.argv[1:]
lines = int(args[args.index("--lines") + 1]) if "--lines" in args else 0
code = int(args[args.index("--exit") + 1]) if "--exit" in args else 0
tmpdir = os.environ.get("AGENT_TMPDIR", "")
snapshot = {
    "agent": {k: v for k, v in os.environ.items() if k.startswith("AGENT_")},
    "extra": {k: os.environ.get(k) for k in ("KEEP_DAYS", "PATH")},
    "tmpdir_was_dir": bool(tmpdir) and os.path.isdir(tmpdir),
    "argv": sys.argv[1:],
}
with open("env.json", "w") as fh:
    json.dump(snapshot, fh)
for i in range(lines):
    print(f"line {i}")
sys.exit(code)
