#!/usr/bin/env python3
"""On a request: with input.escape, starts a child in a session of its own that keeps this
plugin's stdout and stderr open and says its pid on stderr ("escapee <pid>"); then exits with
code 3. Once the plugin is gone the child is neither in its process group nor among its
descendants."""
import json
import subprocess
import sys

sys.stdout.write(json.dumps({"type": "handshake", "protocol_version": "v1", "plugin_name": "escapee",
                             "capabilities": {"ops": ["test.escape"]}}) + "\n")
sys.stdout.flush()
for line in sys.stdin:
    if json.loads(line).get("input", {}).get("escape"):
        child = subprocess.Popen(["sleep", "300"], start_new_session=True, stdin=subprocess.DEVNULL)
        print(f"escapee {child.pid}", file=sys.stderr, flush=True)
    sys.exit(3)
