#!/usr/bin/env python3
"""Valid handshake, then a progress message on stdout without a newline (contamination that no
line break ever completes), then serves requests until stdin ends."""
import json
import sys

print(json.dumps({"type": "handshake", "protocol_version": "v1", "plugin_name": "noisy-no-newline",
                  "capabilities": {"ops": ["validate.run"]}}), flush=True)
sys.stdout.write("Loading plugins... ")
sys.stdout.flush()
for _line in sys.stdin:
    pass
