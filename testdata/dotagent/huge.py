#!/usr/bin/env python3
"""invoke never stops writing: an endless JSON string on stdout and noise on stderr."""
import json
import sys

if sys.argv[1] == "info":
    print(json.dumps({"name": "huge", "version": "0.1.0", "kinds": ["notify", "sink"],
                      "schema": {"type": "object"}}))
    sys.exit(0)
sys.stdin.read()
sys.stdout.write('{"ok": true, "blob": "')
chunk = "x" * 65536
noise = ("huge: still going " * 100 + "\n") * 60  # > MAX_STDERR_BYTES on the first pass
while True:
    sys.stdout.write(chunk)
    sys.stderr.write(noise)
