"""`devctl dofek new NAME`: a starter plugin that already passes `devctl dofek check`.

Each template shows all three kinds of data (a panel, an annotation of the plugin's own
process, a namespaced metric), sends its manifest first, flushes every reply, logs to
stderr, skips unparsable lines and exits on shutdown or EOF. Each is under 50 lines.
"""

from __future__ import annotations

import re

from devctl.errors import ConfigError

LANGS = {"python": ".py", "bash": ".sh", "node": ".js"}
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")

_PYTHON = '''#!/usr/bin/env python3
"""Dofek plugin "{name}": answers each poll on stdin with one JSON line on stdout."""
import json
import os
import sys

MANIFEST = {{"name": "{name}", "version": "0.1.0", "description": "{name} plugin", "author": ""}}


def respond(poll, first):
    processes = poll.get("processes") or []
    reply = {{
        "status": "ok",
        "panels": [{{"id": "{name}-main", "label": "{label}", "content": [
            {{"key": "Processes", "value": str(len(processes)), "style": "accent"}},
        ]}}],
        "process_annotations": [{{"pid": os.getpid(), "label": "{name}", "category": "watch"}}],
        "metrics": [{{"id": "{name}.processes", "label": "Procs", "value": len(processes), "unit": ""}}],
    }}
    if first:
        reply["manifest"] = MANIFEST
    return reply


def main():
    first = True
    for line in sys.stdin:
        try:
            msg = json.loads(line)
        except ValueError:
            print("{name}: skipping unparsable line", file=sys.stderr)
            continue
        if msg.get("type") == "shutdown":
            break
        if msg.get("type") == "poll":
            print(json.dumps(respond(msg, first)), flush=True)
            first = False


if __name__ == "__main__":
    main()
'''

_BASH = '''#!/usr/bin/env bash
# Dofek plugin "{name}": answers each poll on stdin with one JSON line on stdout.
# Logs go to stderr; stdout carries exactly one reply per poll.
polls=0
while IFS= read -r line; do
  case "$line" in
    *'"shutdown"'*) exit 0 ;;
    *'"poll"'*) ;;
    *) echo "{name}: skipping unknown line" >&2; continue ;;
  esac
  polls=$((polls + 1))
  manifest=""
  if [ "$polls" -eq 1 ]; then
    manifest='"manifest":{{"name":"{name}","version":"0.1.0","description":"{name} plugin","author":""}},'
  fi
  printf '{{%s"status":"ok","panels":[{{"id":"{name}-main","label":"{label}","content":[' "$manifest"
  printf '{{"key":"Polls","value":"%d","style":"accent"}}]}}],' "$polls"
  printf '"process_annotations":[{{"pid":%d,"label":"{name}","category":"watch"}}],' "$$"
  printf '"metrics":[{{"id":"{name}.polls","label":"Polls","value":%d,"unit":""}}]}}\\n' "$polls"
done
'''

_NODE = '''#!/usr/bin/env node
// Dofek plugin "{name}": answers each poll on stdin with one JSON line on stdout.
const readline = require("readline");

const MANIFEST = {{ name: "{name}", version: "0.1.0", description: "{name} plugin", author: "" }};
let first = true;

const rl = readline.createInterface({{ input: process.stdin }});
rl.on("line", (line) => {{
  let msg;
  try {{
    msg = JSON.parse(line);
  }} catch (err) {{
    console.error("{name}: skipping unparsable line");
    return;
  }}
  if (msg.type === "shutdown") {{
    process.exit(0);
  }}
  if (msg.type !== "poll") return;
  const processes = msg.processes || [];
  const reply = {{
    status: "ok",
    panels: [{{ id: "{name}-main", label: "{label}", content: [
      {{ key: "Processes", value: String(processes.length), style: "accent" }},
    ] }}],
    process_annotations: [{{ pid: process.pid, label: "{name}", category: "watch" }}],
    metrics: [{{ id: "{name}.processes", label: "Procs", value: processes.length, unit: "" }}],
  }};
  if (first) {{
    reply.manifest = MANIFEST;
    first = false;
  }}
  process.stdout.write(JSON.stringify(reply) + "\\n");
}});
rl.on("close", () => process.exit(0));
'''

_TEMPLATES = {"python": _PYTHON, "bash": _BASH, "node": _NODE}
RUNNERS = {"python": "python3", "bash": "bash", "node": "node"}


def check_plugin_name(name: str) -> str:
    if not _NAME.match(name):
        raise ConfigError(
            f"invalid plugin name {name!r}: use lowercase letters, digits, '-' and '_' "
            "(it becomes the file name and the metric namespace)"
        )
    return name


def render_plugin(name: str, lang: str) -> str:
    """The source of a starter plugin in `lang`."""
    check_plugin_name(name)
    if lang not in _TEMPLATES:
        raise ConfigError(f"unknown language {lang!r}: choose one of {', '.join(LANGS)}")
    return _TEMPLATES[lang].format(name=name, label=name.upper())


def file_name(name: str, lang: str) -> str:
    return f"dofek-{name}{LANGS[lang]}"


def toml_entry(name: str, lang: str, path: str) -> str:
    """The `[[plugins]]` section that runs the new plugin."""
    return (f'[[plugins]]\nname = "{name}"\ncommand = "{RUNNERS[lang]}"\nargs = ["{path}"]\n'
            "timeout_ms = 2000\n")
