#!/usr/bin/env python3
"""The dashboard example's Dofek plugin: the web app and the flood log, as a panel and metrics.

Each poll: is web answering (and how many requests it served), how big the flood log is; a
label on web's process. Answers `status: "error"` while web is down, so the dock says so.
One JSON line per poll on stdout; logs go to stderr.
"""

import json
import os
import sys
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "app"))

from common import read_web  # noqa: E402

MANIFEST = {"name": "example", "version": "0.1.0", "author": "devctl examples",
            "description": "The dashboard example: web requests and the flood log"}
FLOOD_LOG = os.path.join(".devctl", "logs", "flood.stdout.log")


def answer():
    try:
        flood_mib = os.path.getsize(FLOOD_LOG) / (1024 * 1024)
    except OSError:
        flood_mib = 0.0
    metrics = [{"id": "example.flood_log_mib", "label": "Flood log", "value": round(flood_mib, 1),
                "unit": "MiB"}]
    web = read_web()
    if web is None:
        return {"status": "error", "message": "web has not started", "metrics": metrics}
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{web['port']}/", timeout=0.5) as response:
            served = json.loads(response.read())["served"]
    except (OSError, ValueError, KeyError) as exc:
        return {"status": "error", "message": f"web does not answer: {exc}", "metrics": metrics}
    metrics.append({"id": "example.web_requests", "label": "Requests", "value": served, "unit": ""})
    return {
        "status": "ok",
        "panels": [{"id": "example.web", "label": "WEB", "content": [
            {"key": "Port", "value": str(web["port"]), "style": "accent"},
            {"key": "Served", "value": str(served), "style": "normal"},
            {"key": "Flood log", "value": f"{flood_mib:.1f} MiB", "style": "dim"},
        ]}],
        "process_annotations": [{"pid": web["pid"], "label": "web app", "category": "dev"}],
        "metrics": metrics,
    }


first = True
for line in sys.stdin:
    try:
        message = json.loads(line)
    except ValueError:
        continue
    if message.get("type") == "shutdown":
        break
    reply = answer()
    if first:
        reply["manifest"] = MANIFEST
        first = False
    print(json.dumps(reply), flush=True)
