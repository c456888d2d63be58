#!/usr/bin/env python3
"""The fullstack example's Dofek plugin: Redis in the dashboard.

Each poll asks the example's Redis for INFO and answers with:
- a panel (status, keys, clients, memory) for the plugin dock;
- metrics `redis.keys`, `redis.clients`, `redis.used_memory_mb`, `redis.ops_per_sec`;
- a label on the redis-server process row (its pid comes from INFO, so it is exact).

When Redis is not running it still answers, with `status: "error"` and no panels: the dashboard
shows the error on the panel, as Dofek does, instead of numbers that are no longer true.
One JSON line per poll on stdout; logs go to stderr.
"""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "app"))

import ports  # noqa: E402
from resp import RedisError, info  # noqa: E402

MANIFEST = {"name": "redis", "version": "0.1.0", "author": "devctl examples",
            "description": "The fullstack example's Redis: keys, clients, memory"}


def keys_of(stats):
    """Keys in db0, from INFO's keyspace line `db0:keys=3,expires=0,avg_ttl=0`."""
    fields = dict(part.split("=", 1) for part in stats.get("db0", "").split(",") if "=" in part)
    return int(fields.get("keys", 0))


def answer(poll):
    saved = ports.saved()
    if saved is None:
        return {"status": "error", "message": "no ports chosen yet: run `devctl up` first"}
    port = saved["redis"]
    try:
        stats = info(port, timeout=0.5)
    except (RedisError, ValueError) as exc:
        return {"status": "error", "message": str(exc)}
    keys = keys_of(stats)
    memory_mb = int(stats.get("used_memory", 0)) / (1024 * 1024)
    clients = int(stats.get("connected_clients", 0))
    reply = {
        "status": "ok",
        "panels": [{"id": "redis.status", "label": "REDIS", "content": [
            {"key": "Port", "value": str(port), "style": "accent"},
            {"key": "Keys", "value": str(keys), "style": "normal"},
            {"key": "Clients", "value": str(clients), "style": "dim"},
            {"key": "Memory", "value": f"{memory_mb:.1f} MiB", "style": "dim"},
        ]}],
        "metrics": [
            {"id": "redis.keys", "label": "Keys", "value": keys, "unit": ""},
            {"id": "redis.clients", "label": "Clients", "value": clients, "unit": ""},
            {"id": "redis.used_memory_mb", "label": "Mem", "value": round(memory_mb, 2), "unit": "MiB"},
            {"id": "redis.ops_per_sec", "label": "Ops",
             "value": int(stats.get("instantaneous_ops_per_sec", 0)), "unit": "/s"},
        ],
    }
    pid = int(stats.get("process_id", 0))
    if any(p.get("pid") == pid for p in poll.get("processes") or []):
        reply["process_annotations"] = [{"pid": pid, "label": f"redis :{port}", "category": "dev"}]
    return reply


def main():
    first = True
    for line in sys.stdin:
        try:
            message = json.loads(line)
        except ValueError:
            print(f"dofek-redis: skipping a line that is not JSON: {line[:80]!r}", file=sys.stderr)
            continue
        if message.get("type") == "shutdown":
            break
        if message.get("type") != "poll":
            continue
        reply = answer(message)
        if first:
            reply["manifest"] = MANIFEST
            first = False
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
