#!/usr/bin/env python3
"""The smallest useful plugin: answers every request at once. Used by bench/bench_roundtrip.py."""
import json
import sys

out = sys.stdout
out.write('{"type":"handshake","protocol_version":"v1","plugin_name":"min","capabilities":{"ops":["ping"]}}\n')
out.flush()
loads, dumps = json.loads, json.dumps
for line in sys.stdin:
    rid = loads(line)["request_id"]
    out.write(dumps({"type": "response", "request_id": rid, "ok": True, "output": {}}) + "\n")
    out.flush()
